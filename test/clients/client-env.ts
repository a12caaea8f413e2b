import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeUpstream } from '@test/fakes';
import { FakeAmpServer } from '@test/fakes/amp/fake-amp-server';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';
import { ClientTap } from './client-tap';

/** The key every CLI uses against the gateway (`api-keys`). */
export const CLIENT_KEY = 'sk-clients-tier';
/** What the gateway sends to the fake Amp server instead of the client's key. */
export const AMP_UPSTREAM_KEY = 'amp-upstream-key';

/** One pinned CLI, as scripts/test-clients.mjs installed it. */
export interface InstalledClient {
  readonly package: string;
  readonly version: string;
  readonly bin: string;
  readonly binPath: string;
  /** The model the CLI asks for when none is given. */
  readonly defaultModel?: string;
  /** Amp (Node build): the model it names its threads with. */
  readonly titleModel?: string;
}

export type ClientId = 'claude-code' | 'codex' | 'gemini-cli' | 'amp' | 'amp-node';

/** The CLIs installed for this run (scripts/test-clients.mjs passes them in SB_CLIENTS). */
export function installedClients(): Record<ClientId, InstalledClient> {
  const raw = process.env.SB_CLIENTS;
  if (!raw) {
    throw new Error(
      'SB_CLIENTS is not set: run the client tier with `npm run test:clients` (it installs the pinned CLIs)',
    );
  }
  return JSON.parse(raw) as Record<ClientId, InstalledClient>;
}

/** An upstream family, reached through an alias, and how the fake sees its calls. */
export interface Family {
  readonly family: 'claude' | 'openai-compatible' | 'responses' | 'gemini';
  /** The model name the CLI asks for. */
  readonly alias: string;
  /** The name the upstream receives. */
  readonly upstream: string;
  /** The credential the gateway uses for it. */
  readonly key: string;
  /** The wire format of the upstream. */
  readonly format: 'claude' | 'openai' | 'openai-responses' | 'gemini';
}

export const FAMILIES: readonly Family[] = [
  {
    family: 'claude',
    alias: 'cli-claude',
    upstream: 'claude-sonnet-4-5-20250929',
    key: 'up-claude-key',
    format: 'claude',
  },
  {
    family: 'openai-compatible',
    alias: 'cli-openai',
    upstream: 'gpt-4.1',
    key: 'up-openai-key',
    format: 'openai',
  },
  {
    family: 'responses',
    alias: 'cli-codex',
    upstream: 'gpt-5-codex',
    key: 'up-codex-key',
    format: 'openai-responses',
  },
  {
    family: 'gemini',
    alias: 'cli-gemini',
    upstream: 'gemini-2.5-flash',
    key: 'up-gemini-key',
    format: 'gemini',
  },
];

/** The key of the Claude credential configured as a real user does it (no `models:` list). */
export const PLAIN_CLAUDE_KEY = 'up-claude-user-key';

/** How a client spec wants the gateway configured beyond the aliased families. */
export interface ClientEnvOptions {
  /** Extra model names the aliased Claude credential lists explicitly. */
  readonly claudeModels?: readonly string[];
  /**
   * Add a second Claude key the way a real user configures one: a key and nothing else, so it
   * serves the built-in catalog and any newer `claude-*` name (the CLI's default model).
   */
  readonly plainClaudeKey?: boolean;
}

function gatewayConfig(port: number, fake: string, amp: string, opts: ClientEnvOptions): string {
  const claudeModels = (opts.claudeModels ?? []).map((m) => `      - name: ${m}\n`).join('');
  const plainClaude = opts.plainClaudeKey
    ? `  - api-key: "${PLAIN_CLAUDE_KEY}"\n    base-url: "${fake}"\n`
    : '';
  return `host: 127.0.0.1
port: ${port}
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('clients')}"
openai-compatibility:
  - name: fakeoai
    base-url: "${fake}/v1"
    api-key-entries:
      - api-key: "up-openai-key"
    models:
      - name: gpt-4.1
        alias: cli-openai
claude-api-key:
  - api-key: "up-claude-key"
    base-url: "${fake}"
    models:
      - name: claude-sonnet-4-5-20250929
        alias: cli-claude
${claudeModels}${plainClaude}codex-api-key:
  - api-key: "up-codex-key"
    base-url: "${fake}/backend-api/codex"
    models:
      - name: gpt-5-codex
        alias: cli-codex
gemini-api-key:
  - api-key: "up-gemini-key"
    base-url: "${fake}"
    models:
      - name: gemini-2.5-flash
        alias: cli-gemini
ampcode:
  upstream-url: "${amp}"
  upstream-api-key: "${AMP_UPSTREAM_KEY}"
`;
}

/**
 * What one client spec runs against: the fake upstream (every provider), the fake Amp server,
 * the built gateway as its own process (as users run it) configured with one alias per upstream
 * family, and a tap in front of the gateway.
 */
export class ClientEnv {
  private constructor(
    readonly fake: FakeUpstream,
    readonly amp: FakeAmpServer,
    readonly gateway: ChildApp,
    readonly gatewayUrl: string,
    readonly tap: ClientTap,
    private readonly dir: string,
  ) {}

  /** Start everything (see ClientEnvOptions for what a spec may add). */
  static async start(opts: ClientEnvOptions = {}): Promise<ClientEnv> {
    const dir = mkdtempSync(join(tmpdir(), 'sb-clients-gw-'));
    const fake = await FakeUpstream.start({ streamChunks: 5 });
    const amp = await FakeAmpServer.start();
    const port = await freePort();
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, gatewayConfig(port, fake.url, amp.url, opts));
    const gateway = startNode(distEntry('apps/gateway/src/main.js'), {
      CONFIG_PATH: configPath,
      AUTH_DIR: join(dir, 'auths'),
      DATA_DIR: join(dir, 'data'),
      REDIS_URL: testRedisUrl(),
      SB_PROCESS_NAME: 'gateway-clients',
      LOG_LEVEL: 'warn',
    });
    const gatewayUrl = `http://127.0.0.1:${port}`;
    try {
      await waitFor(
        async () => {
          if (gateway.child.exitCode !== null) {
            throw new Error(`the gateway exited: ${gateway.output()}`);
          }
          return (await fetch(`${gatewayUrl}/healthz`)).status === 200;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'the gateway to be ready' },
      );
    } catch (err) {
      await gateway.stop('SIGKILL');
      await fake.close();
      await amp.close();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const tap = await ClientTap.start(gatewayUrl);
    return new ClientEnv(fake, amp, gateway, gatewayUrl, tap, dir);
  }

  /** Forget what every recorder saw and any hook, before a row. */
  reset(): void {
    this.fake.reset();
    this.fake.clearRequests();
    this.amp.clear();
    this.tap.clear();
  }

  async close(): Promise<void> {
    await this.tap.close();
    const code = await this.gateway.stop();
    await this.fake.close();
    await this.amp.close();
    rmSync(this.dir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`the gateway exited with ${code}: ${this.gateway.output()}`);
  }
}
