import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { RecordedRequest } from '@test/fakes';
import type { CliAdapter, RowMode } from './cli-adapters';
import { describeRun, makeSandbox, runCli, type CliResult } from './cli-run';
import type { ClientEnv, Family, InstalledClient } from './client-env';
import {
  isGeneration,
  plainAnswer,
  scenarioHook,
  toolAnswer,
  type ToolAsk,
} from './client-scenario';
import type { TapExchange } from './client-tap';
import {
  claudeSystemMessages,
  claudeSystemPrompt,
  headerTokens,
  parseBody,
  streamedTextDeltas,
  systemPromptTexts,
  userTurnTexts,
  withoutModel,
} from './wire-views';

/** Everything one row left behind. */
export interface RowRun {
  readonly mode: RowMode;
  readonly result: CliResult;
  /** What the CLI must print. */
  readonly expected: string;
  readonly tool?: ToolAsk;
  /** The CLI's model calls as it sent them (tap), in order. */
  readonly client: TapExchange[];
  /** The model calls the fake upstream received, in order. */
  readonly upstream: RecordedRequest[];
  /** Every exchange the CLI had with the gateway. */
  readonly exchanges: TapExchange[];
  readonly gatewayLog: string;
}

/** Run one row: a fresh sandbox, the fake model's script for it, the CLI to the end. */
export async function runRow(
  env: ClientEnv,
  adapter: CliAdapter,
  installed: InstalledClient,
  mode: RowMode,
  model: string | undefined,
): Promise<RowRun> {
  env.reset();
  const tag = `sbrow${randomBytes(4).toString('hex')}`;
  const sb = makeSandbox(`note-${randomBytes(6).toString('hex')}-secret`);
  try {
    const tool = mode === 'tool' ? { ...adapter.readTool(sb), secret: sb.secret } : undefined;
    env.fake.onRequest(scenarioHook({ tag, tool }));
    const prompt =
      mode === 'tool'
        ? `Read the file ${sb.noteFile} with your file tool and tell me what it says. (${tag})`
        : `Reply with the word ${tag}.`;
    const logAt = env.gateway.output().length;
    const result = await runCli(installed.binPath, adapter.args(mode, prompt, model), {
      cwd: sb.work,
      env: adapter.prepare(sb, env.tap.url),
    });
    const exchanges = [...env.tap.exchanges];
    return {
      mode,
      result,
      expected: tool ? toolAnswer(tool) : plainAnswer({ tag }),
      tool,
      client: exchanges.filter((x) => x.method === 'POST' && adapter.isGeneration(x.url)),
      upstream: env.fake.requests().filter(isGeneration),
      exchanges,
      gatewayLog: env.gateway.output().slice(logAt),
    };
  } finally {
    env.fake.onRequest();
    sb.cleanup();
  }
}

/** A readable account of a row, for failure messages. */
export function explain(run: RowRun): string {
  const calls = run.exchanges
    .map((x) => {
      const body = x.status >= 400 ? ` ${x.responseBody.toString().slice(0, 400)}` : '';
      return `  ${x.method} ${x.url} → ${x.status}${body}`;
    })
    .join('\n');
  const up = run.upstream.map((r) => `  ${r.method} ${r.path} model=${r.model ?? ''}`).join('\n');
  return `${describeRun(run.result)}\n--- CLI → gateway\n${calls || '  (none)'}\n--- gateway → fake upstream\n${up || '  (none)'}\n--- gateway log\n${run.gatewayLog.slice(-3000) || '  (empty)'}`;
}

function check(ok: boolean, what: string, run: RowRun): void {
  if (!ok) throw new Error(`${what}\n${explain(run)}`);
}

/** The CLI exited 0 and printed the fake model's answer. */
export function expectAnswered(run: RowRun, output = run.result.stdout): void {
  check(run.result.code === 0, `the CLI failed (mode ${run.mode})`, run);
  check(output.includes(run.expected), `the CLI did not print "${run.expected}"`, run);
}

/** Every model call reached the family's upstream with its credential and upstream name. */
export function expectRoutedTo(run: RowRun, family: Family, upstreamModel = family.upstream): void {
  check(run.upstream.length > 0, 'no model call reached the fake upstream', run);
  for (const r of run.upstream) {
    const format = formatOfRoute(r.route);
    check(
      format === family.format,
      `a model call went to a ${format} route (${r.path}), not ${family.format}`,
      run,
    );
    check(r.apiKey === family.key, `a model call carried ${r.apiKey}, not ${family.key}`, run);
    check(r.model === upstreamModel, `a model call named ${r.model}, not ${upstreamModel}`, run);
  }
}

function formatOfRoute(route: string): string {
  switch (route) {
    case 'claude-messages':
      return 'claude';
    case 'openai-chat':
      return 'openai';
    case 'openai-responses':
    case 'codex-responses':
      return 'openai-responses';
    default:
      return 'gemini';
  }
}

/**
 * The tool loop: the first model call was answered with the tool call, the CLI ran it, and a
 * later call carried the tool's result (the note's secret) to the fake.
 */
export function expectToolLoop(run: RowRun): void {
  const tool = run.tool;
  if (!tool) throw new Error('not a tool row');
  const first = run.upstream[0];
  check(
    first?.answer?.toolCalls.length === 1 && first.answer.toolCalls[0].name === tool.name,
    `the first model call was not answered with a ${tool.name} call`,
    run,
  );
  const later = run.upstream.slice(1).some((r) => JSON.stringify(r.body).includes(tool.secret));
  check(later, 'no later model call carried the tool result to the upstream', run);
  expectAnswered(run);
}

/**
 * A streamed answer: the gateway sent it as SSE in several text events that assemble into the
 * answer, and the CLI's own event stream (when it prints deltas) shows the same pieces.
 */
export function expectStreamed(
  run: RowRun,
  format: 'claude' | 'openai-responses' | 'gemini',
  cli: { deltas: string[]; final: string },
): void {
  const answered = run.client.filter((x) => x.status === 200);
  const last = answered[answered.length - 1];
  check(!!last, 'no model call was answered', run);
  const type = String(last.responseHeaders['content-type'] ?? '');
  check(type.includes('text/event-stream'), `the answer was ${type}, not an SSE stream`, run);
  const pieces = streamedTextDeltas(format, last.responseBody.toString());
  check(pieces.length >= 2, `the gateway streamed ${pieces.length} text event(s)`, run);
  check(pieces.join('') === run.expected, `the streamed text was "${pieces.join('')}"`, run);
  check(cli.final.includes(run.expected), `the CLI's final text was "${cli.final}"`, run);
  if (cli.deltas.length > 0) {
    check(cli.deltas.length >= 2, 'the CLI printed the answer in one piece', run);
    check(cli.deltas.join('').includes(run.expected), 'the CLI deltas do not assemble', run);
  }
}

/**
 * Same format in and out: each model call reached the fake as the CLI sent it, apart from the
 * model name (Gemini names it in the URL, so there the body is whole) and the fields the
 * upstream variant requires: the Codex endpoint needs `instructions` (added when the CLI sent
 * none) and `store: false`.
 */
export function expectBodyUnchanged(run: RowRun, family: Family): void {
  check(
    run.client.length === run.upstream.length,
    `${run.client.length} model call(s) from the CLI but ${run.upstream.length} at the upstream`,
    run,
  );
  run.client.forEach((x, i) => {
    const sent = withoutModel(parseBody(x.body));
    const got = withoutModel(run.upstream[i].body);
    if (family.family === 'responses') dropVariantFields(sent, got);
    if (!isDeepStrictEqual(sent, got)) {
      check(false, `model call ${i + 1} changed on the way:\n${firstDifference(sent, got)}`, run);
    }
  });
}

/** Leave the Codex variant's own fields out of a comparison (see expectBodyUnchanged). */
function dropVariantFields(sent: unknown, got: unknown): void {
  if (typeof sent !== 'object' || !sent || typeof got !== 'object' || !got) return;
  const s = sent as Record<string, unknown>;
  const g = got as Record<string, unknown>;
  if (!('instructions' in s)) delete g.instructions;
  delete s.store;
  delete g.store;
}

/** Where two JSON values first differ, as a path and both sides. */
function firstDifference(a: unknown, b: unknown, path = '$'): string {
  if (isDeepStrictEqual(a, b)) return '';
  if (typeof a === 'object' && a && typeof b === 'object' && b) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        `${path}.${k}`,
      );
      if (d) return d;
    }
  }
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v).slice(0, 300));
  return `${path}: sent ${show(a)}, received ${show(b)}`;
}

/** Claude Code → Claude: its feature headers reached the upstream. */
export function expectClaudeHeadersForwarded(run: RowRun): void {
  run.client.forEach((x, i) => {
    const up = run.upstream[i];
    if (!up) return;
    const sent = headerTokens(x.headers['anthropic-beta']);
    check(sent.length > 0, 'Claude Code sent no anthropic-beta header', run);
    const got = new Set(headerTokens(up.headers['anthropic-beta']));
    const missing = sent.filter((t) => !got.has(t));
    check(missing.length === 0, `betas not forwarded: ${missing.join(', ')}`, run);
    check(
      up.headers['anthropic-version'] === x.headers['anthropic-version'],
      `anthropic-version ${String(up.headers['anthropic-version'])} reached the upstream`,
      run,
    );
  });
}

/**
 * Claude Code → another format: its mid-conversation `role: "system"` messages arrived as user
 * turns wrapped in `<system-reminder>`, and its top-level system prompt stayed the system prompt.
 */
export function expectSystemReminders(run: RowRun, family: Family): void {
  const sent = parseBody(run.client[0]?.body ?? '');
  const got = run.upstream[0]?.body;
  const system = claudeSystemMessages(sent);
  check(system.length > 0, 'Claude Code sent no mid-conversation system message', run);
  const turns = userTurnTexts(family.format, got).filter((t) => t.includes('<system-reminder>'));
  for (const block of system.flat()) {
    const found = turns.some((t) => t.includes(block.trim()));
    check(
      found,
      `a system message did not arrive as a <system-reminder> user turn: ${block.slice(0, 120)}`,
      run,
    );
  }
  // The body of the system prompt (its longest block; a gateway may drop bookkeeping blocks).
  const prompt = claudeSystemPrompt(sent).reduce((a, b) => (b.length > a.length ? b : a), '');
  const upstreamPrompt = systemPromptTexts(family.format, got).join('\n');
  check(
    upstreamPrompt.includes(prompt.trim()),
    'the top-level system prompt did not stay the system prompt',
    run,
  );
}
