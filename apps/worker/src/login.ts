import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { AppError } from '@app/common';
import { ConfigRepository, ConfigService } from '@app/config';
import {
  OAuthHttpRepository,
  AuthDirSink,
  listenForCallback,
  LOGIN_PROVIDERS,
  LoginService,
  loginSpec,
  MemoryLoginSessionStore,
  normalizeLoginProvider,
  parsePastedCallback,
  RedisLoginSessionStore,
  renderCallbackPage,
  type LocalCallbackServer,
  type LoginSessionStore,
  type LoginStatusView,
} from '@app/oauth';
import { AUTH_DIR_CHANNEL, AuthDirRepository } from '@app/routing';
import { ConfigStoreService, RedisService, settingsFromConfig } from '@app/storage';

/** Where the CLI reads and writes (process streams; tests pass their own). */
export interface LoginIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** Every login flow with the other names it accepts, from the provider registry. */
const LOGIN_NAMES = LOGIN_PROVIDERS.map((p) => {
  const aliases = loginSpec(p).aliases;
  return aliases.length ? `${p} (${aliases.join(', ')})` : p;
}).join(', ');

const USAGE = `Usage: npm run login -- --provider <name> [options]

Sign an account in and save its auth file into auth-dir (as CLIProxyAPI's --login does).

Providers (other accepted names in parentheses): ${LOGIN_NAMES}

Options:
  --provider, -p <name>   the account type to sign in (required)
  --config, -c <path>     config.yaml (default: $CONFIG_PATH or ./config.yaml)
  --project-id <id>       Gemini CLI: the Google Cloud project, or ALL for every project
  --iflow-cookie <cookie> iFlow: sign in with a browser cookie (BXAuth=...) instead of OAuth
  --no-listen             do not listen on the provider's local redirect port
  --timeout <seconds>     give up after this long (default 600)
  --help, -h              this text

Redirect logins print a URL. Open it in any browser; when the provider sends the browser back:
  - to this machine's localhost port, this command receives it by itself;
  - to a page that does not load (another machine), copy the address bar and paste it here;
  - to a Switchboard gateway (its /<provider>/callback), the gateway finishes the login and
    this command sees it through Redis.
Device logins (Qwen, Kimi) print a code to enter at the URL and wait for approval.
`;

interface CliOptions {
  provider?: string;
  config?: string;
  projectId?: string;
  iflowCookie?: string;
  listen: boolean;
  timeoutSec: number;
  help: boolean;
}

/** Parse the command line; throws with a message for bad input. */
export function parseLoginArgs(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      provider: { type: 'string', short: 'p' },
      config: { type: 'string', short: 'c' },
      'project-id': { type: 'string' },
      'iflow-cookie': { type: 'string' },
      'no-listen': { type: 'boolean', default: false },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const timeout = values.timeout === undefined ? 600 : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new Error(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
  }
  return {
    provider: values.provider,
    config: values.config,
    projectId: values['project-id'],
    iflowCookie: values['iflow-cookie'],
    listen: !values['no-listen'],
    timeoutSec: timeout,
    help: values.help,
  };
}

/** Redis when it answers within 2 s; the CLI then shares sessions with the gateways. */
async function connectRedis(config: ConfigService): Promise<RedisService | undefined> {
  const redis = new RedisService(settingsFromConfig(config.current), 'login-cli');
  redis.connect();
  if (await redis.waitReady(2000)) return redis;
  await redis.close();
  return undefined;
}

/**
 * The login CLI. Returns the exit code: 0 when the auth file was saved, 1 when the login
 * failed or timed out, 2 for bad arguments.
 */
export async function runLogin(argv: readonly string[], io: LoginIo): Promise<number> {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const err = (line: string) => io.stderr.write(`${line}\n`);
  let opts: CliOptions;
  try {
    opts = parseLoginArgs(argv);
  } catch (e) {
    err((e as Error).message);
    err(USAGE);
    return 2;
  }
  if (opts.help) {
    out(USAGE);
    return 0;
  }
  const provider = normalizeLoginProvider(opts.iflowCookie ? 'iflow' : opts.provider);
  if (!provider) {
    err(opts.provider ? `unknown provider "${opts.provider}"` : '--provider is required');
    err(USAGE);
    return 2;
  }

  const env = { ...io.env };
  if (opts.config) env.CONFIG_PATH = opts.config;
  const config = new ConfigService(new ConfigRepository(), { env });
  try {
    await config.init();
  } catch (e) {
    err(`cannot load config: ${(e as Error).message}`);
    return 1;
  }

  const redis = await connectRedis(config);
  const storeMode = config.current['config-store'] === 'redis';
  if (!redis && storeMode) {
    err(
      'Redis is not reachable, and this config keeps auth files in Redis (config-store: redis): the login cannot be saved; try again once Redis answers.',
    );
    return 1;
  }
  if (!redis) {
    err('Redis is not reachable: the login completes here only (paste the redirect URL).');
  }
  const store: LoginSessionStore = redis
    ? new RedisLoginSessionStore(redis)
    : new MemoryLoginSessionStore();
  const dir = config.current['auth-dir'];
  // With the Redis config store the file goes to the store (and is mirrored here); a file
  // dropped into the auth dir would be refused as a hand edit.
  const backend =
    storeMode && redis
      ? new ConfigStoreService(config, redis, new ConfigRepository(), `login-cli:${process.pid}`)
      : undefined;
  const sink = new AuthDirSink(
    () => (dir?.trim() ? new AuthDirRepository(dir, {}, backend) : undefined),
    async () => {
      // Gateways reload on this (replicas elsewhere may not see the shared volume's events).
      await redis?.publish(
        AUTH_DIR_CHANNEL,
        JSON.stringify({ from: `login-cli:${process.pid}`, at: Date.now() }),
      );
    },
  );
  const http = new OAuthHttpRepository();
  const login = new LoginService(() => config.current, http, store, sink, {
    owner: `login-cli:${process.pid}`,
  });
  let listener: LocalCallbackServer | undefined;
  const lines = createInterface({ input: io.stdin, terminal: false });
  try {
    if (opts.iflowCookie) {
      const r = await login.loginWithIflowCookie(opts.iflowCookie);
      out(`Saved ${r.path}`);
      return 0;
    }
    const spec = loginSpec(provider);
    const start = await login.start(provider, { projectId: opts.projectId });
    out(`${spec.label} login`);
    if (start.flow === 'device') {
      out(`Open ${start.url}`);
      if (start.userCode) out(`and enter the code ${start.userCode}`);
      out('Waiting for you to approve the login…');
    } else {
      out('Open this URL in a browser and sign in:');
      out(start.url);
      const redirectUri = login.endpoints(provider).redirectUri ?? '';
      if (opts.listen) {
        listener = await listenForCallback(redirectUri, async (params) => {
          try {
            const done = await login.complete({ ...params, state: params.state ?? start.state });
            return {
              status: 200,
              html: renderCallbackPage({ ok: true, message: `Saved ${done.fileName}.` }),
            };
          } catch (e) {
            const status = AppError.is(e, 'login') ? e.status : 500;
            return {
              status,
              html: renderCallbackPage({ ok: false, message: (e as Error).message }),
            };
          }
        });
      }
      out(
        listener
          ? `Listening on port ${listener.port} for the browser to come back; or paste the redirect URL here:`
          : 'When the browser ends on a page that does not load, paste its URL here:',
      );
      lines.on('line', (line) => {
        const params = parsePastedCallback(line);
        if (!params) {
          if (line.trim())
            err('That is not a redirect URL (it needs code= and state=); try again.');
          return;
        }
        login.complete({ ...params, state: params.state ?? start.state }).catch((e: unknown) => {
          // The status poll reports failures that ended the login; others (a wrong paste) not.
          if (AppError.is(e, 'login') && e.status === 409) return;
          err((e as Error).message);
        });
      });
    }
    const result: LoginStatusView = await login.waitFor(start.state, {
      timeoutMs: opts.timeoutSec * 1000,
    });
    if (result.status === 'ok') {
      out(`Saved ${result.fileName ?? 'the auth file'} in ${dir}`);
      return 0;
    }
    err(
      result.status === 'error'
        ? `Login failed: ${result.error}`
        : 'Timed out waiting for the login.',
    );
    return 1;
  } catch (e) {
    err(`Login failed: ${(e as Error).message}`);
    return 1;
  } finally {
    lines.close();
    await listener?.close();
    await login.stop();
    await http.onApplicationShutdown();
    await redis?.close();
  }
}

if (require.main === module) {
  // Keep the terminal for the login's own messages: library logs only when something is wrong.
  Logger.overrideLogger(['error']);
  void runLogin(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  }).then((code) => process.exit(code));
}
