import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_KEY } from './client-env';
import { isolatedEnv, type Sandbox } from './cli-run';
import { parseBody } from './wire-views';

/** How a row drives the CLI. */
export type RowMode = 'plain' | 'stream' | 'tool';

/** What a CLI printed in its event-stream mode. */
export interface StreamedOutput {
  /** Answer text pieces in the order the CLI printed them ([] when it prints none). */
  readonly deltas: string[];
  /** The final answer text. */
  readonly final: string;
}

/** How to run one coding CLI non-interactively against the gateway. */
export interface CliAdapter {
  readonly id: 'claude-code' | 'codex' | 'gemini-cli';
  /** The wire format the CLI speaks. */
  readonly format: 'claude' | 'openai-responses' | 'gemini';
  /** The path of its model calls (to pick them out of the tap). */
  isGeneration(url: string): boolean;
  /** Write its config into the sandbox's HOME; return its environment. */
  prepare(sb: Sandbox, baseUrl: string): NodeJS.ProcessEnv;
  args(mode: RowMode, prompt: string, model: string | undefined): string[];
  /** The tool call that reads the sandbox's note file, in this CLI's own tool names. */
  readTool(sb: Sandbox): { name: string; args: Record<string, unknown> };
  /** Its event-stream output (the `stream` rows). */
  streamed(stdout: string): StreamedOutput;
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .map((l) => parseBody(l.trim()))
    .filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
}

function field(v: unknown, ...path: string[]): unknown {
  let at = v;
  for (const p of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[p];
  }
  return at;
}

/**
 * Claude Code: `claude -p`, ANTHROPIC_BASE_URL at the gateway, telemetry, error reporting,
 * auto-update and other non-essential traffic off. Streams with
 * `--output-format stream-json --verbose --include-partial-messages` (the raw stream events).
 */
export const claudeCode: CliAdapter = {
  id: 'claude-code',
  format: 'claude',
  isGeneration: (url) => url.split('?')[0] === '/v1/messages',
  prepare: (sb, baseUrl) =>
    isolatedEnv(sb.home, {
      ANTHROPIC_BASE_URL: baseUrl,
      ANTHROPIC_API_KEY: CLIENT_KEY,
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    }),
  args: (mode, prompt, model) => [
    '-p',
    prompt,
    ...(model ? ['--model', model] : []),
    ...(mode === 'stream'
      ? ['--output-format', 'stream-json', '--verbose', '--include-partial-messages']
      : ['--output-format', 'text']),
  ],
  readTool: (sb) => ({ name: 'Read', args: { file_path: sb.noteFile } }),
  streamed: (stdout) => {
    const lines = jsonLines(stdout);
    const deltas = lines.flatMap((l) =>
      l.type === 'stream_event' &&
      field(l, 'event', 'type') === 'content_block_delta' &&
      field(l, 'event', 'delta', 'type') === 'text_delta'
        ? [String(field(l, 'event', 'delta', 'text'))]
        : [],
    );
    const result = lines.find((l) => l.type === 'result');
    return { deltas, final: typeof result?.result === 'string' ? result.result : '' };
  },
};

/**
 * Codex CLI: `codex exec` with a custom provider (`wire_api = "responses"`) at the gateway's
 * `/v1`, update checks, analytics and OpenTelemetry off. `--json` prints events as JSONL; Codex
 * prints whole items, not text deltas.
 */
export const codex: CliAdapter = {
  id: 'codex',
  format: 'openai-responses',
  isGeneration: (url) => url.split('?')[0] === '/v1/responses',
  prepare: (sb, baseUrl) => {
    const codexHome = join(sb.home, '.codex');
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(
      join(codexHome, 'config.toml'),
      [
        'check_for_update_on_startup = false',
        'model_provider = "switchboard"',
        '',
        '[model_providers.switchboard]',
        'name = "Switchboard"',
        `base_url = "${baseUrl}/v1"`,
        'env_key = "SWITCHBOARD_API_KEY"',
        'wire_api = "responses"',
        '',
        '[analytics]',
        'enabled = false',
        '',
        '[otel]',
        'exporter = "none"',
        '',
      ].join('\n'),
    );
    return isolatedEnv(sb.home, { CODEX_HOME: codexHome, SWITCHBOARD_API_KEY: CLIENT_KEY });
  },
  args: (mode, prompt, model) => [
    'exec',
    '--strict-config',
    '--skip-git-repo-check',
    '--ephemeral',
    '--color',
    'never',
    ...(model ? ['-m', model] : []),
    ...(mode === 'stream' ? ['--json'] : []),
    prompt,
  ],
  readTool: (sb) => ({ name: 'exec_command', args: { cmd: `cat ${sb.noteFile}` } }),
  streamed: (stdout) => {
    const messages = jsonLines(stdout).flatMap((l) =>
      l.type === 'item.completed' && field(l, 'item', 'type') === 'agent_message'
        ? [String(field(l, 'item', 'text'))]
        : [],
    );
    return { deltas: [], final: messages[messages.length - 1] ?? '' };
  },
};

/**
 * Gemini CLI: `gemini -p` with GOOGLE_GEMINI_BASE_URL at the gateway and an API key, the
 * working directory trusted, usage statistics, telemetry and auto-update off. Streams with
 * `--output-format stream-json` (assistant `message` events with `delta: true`).
 */
export const geminiCli: CliAdapter = {
  id: 'gemini-cli',
  format: 'gemini',
  isGeneration: (url) => /:(stream)?generateContent$/i.test(url.split('?')[0]),
  prepare: (sb, baseUrl) => {
    const dir = join(sb.home, '.gemini');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'settings.json'),
      JSON.stringify({
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        general: { disableAutoUpdate: true, disableUpdateNag: true },
        security: { auth: { selectedType: 'gemini-api-key' } },
      }),
    );
    return isolatedEnv(sb.home, {
      GEMINI_API_KEY: CLIENT_KEY,
      GOOGLE_GEMINI_BASE_URL: baseUrl,
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
    });
  },
  args: (mode, prompt, model) => [
    '-p',
    prompt,
    ...(model ? ['-m', model] : []),
    ...(mode === 'stream' ? ['--output-format', 'stream-json'] : []),
  ],
  readTool: (sb) => ({ name: 'read_file', args: { file_path: sb.noteFile } }),
  streamed: (stdout) => {
    const deltas = jsonLines(stdout).flatMap((l) =>
      l.type === 'message' && l.role === 'assistant' && typeof l.content === 'string'
        ? [l.content]
        : [],
    );
    return { deltas, final: deltas.join('') };
  },
};
