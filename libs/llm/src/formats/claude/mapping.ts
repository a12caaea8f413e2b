import type { TranslationContext } from '@app/llm/codec';
import type { IRStopReason, IRUsage } from '@app/llm/ir/types';
import { isRecord } from '@app/llm/util/json';

/**
 * max_tokens is mandatory in a Messages request. When the source format left it out (OpenAI and
 * Gemini make it optional) we send 8192: every current Claude model accepts it, and it is large
 * enough for a normal answer without reserving a huge output window.
 */
export const CLAUDE_DEFAULT_MAX_TOKENS = 8192;

/** Claude rejects `thinking.budget_tokens` below 1024. */
export const CLAUDE_MIN_THINKING_BUDGET = 1024;

/** Claude's stop reasons as the API spells them. */
export type ClaudeStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

const STOP_FROM_CLAUDE: Readonly<Record<string, IRStopReason>> = {
  end_turn: 'stop',
  tool_use: 'tool_calls',
  max_tokens: 'length',
  stop_sequence: 'stop_sequence',
  refusal: 'refusal',
  pause_turn: 'pause',
  // The window filled up before max_tokens: for every other format this is a length stop.
  model_context_window_exceeded: 'length',
};

/** Normalise a Claude stop_reason (unknown values → undefined). */
export function stopReasonFromClaude(reason: unknown): IRStopReason | undefined {
  return typeof reason === 'string' ? STOP_FROM_CLAUDE[reason] : undefined;
}

/**
 * Claude stop_reason for an IR stop reason. A plain stop with tool calls in the answer is a
 * `tool_use` (Gemini says STOP after a function call; Claude clients only run tools on tool_use).
 */
export function stopReasonToClaude(
  reason: IRStopReason | undefined,
  hasToolCalls: boolean,
): ClaudeStopReason {
  switch (reason) {
    case 'tool_calls':
      return 'tool_use';
    case 'length':
      return 'max_tokens';
    case 'stop_sequence':
      return 'stop_sequence';
    case 'refusal':
    case 'content_filter':
      return 'refusal';
    case 'pause':
      return 'pause_turn';
    case 'stop':
    case 'error':
    case undefined:
      return hasToolCalls ? 'tool_use' : 'end_turn';
  }
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * IR usage from a Claude `usage` object. Claude's input_tokens excludes cache reads and cache
 * writes; the IR follows OpenAI and counts them in inputTokens. `base` supplies the values a
 * partial usage (a stream's message_delta) leaves out.
 */
export function usageFromClaude(usage: unknown, base?: IRUsage): IRUsage | undefined {
  if (!isRecord(usage)) return base;
  const has = (k: string): boolean => typeof usage[k] === 'number';
  const cacheRead = has('cache_read_input_tokens')
    ? num(usage.cache_read_input_tokens)
    : (base?.cachedTokens ?? 0);
  const cacheCreation = has('cache_creation_input_tokens')
    ? num(usage.cache_creation_input_tokens)
    : (base?.cacheCreationTokens ?? 0);
  const freshInput = has('input_tokens')
    ? num(usage.input_tokens)
    : base
      ? base.inputTokens - base.cachedTokens - (base.cacheCreationTokens ?? 0)
      : 0;
  const outputTokens = has('output_tokens') ? num(usage.output_tokens) : (base?.outputTokens ?? 0);
  const details = usage.output_tokens_details;
  const reasoningTokens =
    isRecord(details) && typeof details.thinking_tokens === 'number'
      ? details.thinking_tokens
      : (base?.reasoningTokens ?? 0);
  const inputTokens = freshInput + cacheRead + cacheCreation;
  return {
    inputTokens,
    outputTokens,
    reasoningTokens,
    cachedTokens: cacheRead,
    totalTokens: inputTokens + outputTokens,
    cacheCreationTokens: cacheCreation,
  };
}

/** Claude `usage` fields for IR usage (input_tokens without the cached part). */
export interface ClaudeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens_details?: { thinking_tokens: number };
}

/** Render IR usage in Claude's shape. */
export function usageToClaude(usage: IRUsage | undefined): ClaudeUsage {
  if (!usage) {
    return {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
  }
  const cacheCreation = usage.cacheCreationTokens ?? 0;
  const out: ClaudeUsage = {
    input_tokens: Math.max(0, usage.inputTokens - usage.cachedTokens - cacheCreation),
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: usage.cachedTokens,
  };
  if (usage.reasoningTokens > 0) {
    out.output_tokens_details = { thinking_tokens: usage.reasoningTokens };
  }
  return out;
}

/** What a Claude body held for an IR object that the IR has no slot for. */
export interface ClaudeOrigin {
  /** A content block with no IR equivalent (server tool blocks, search results, …), verbatim. */
  raw?: Record<string, unknown>;
  /** Fields of a block or tool beyond the ones the IR models (cache_control, citations, …). */
  extras?: Record<string, unknown>;
  /** The request's `thinking` object, verbatim. */
  thinking?: unknown;
  /** The request's `output_config.effort`. */
  effort?: unknown;
}

const ORIGIN_KEY = 'claude.origin';

/**
 * Side table from IR objects to the Claude fields they came from, kept in the exchange context so
 * a Claude → Claude translation restores them. Keyed by object identity: an IR object that was
 * replaced on the way (e.g. reasoning overridden by a model suffix) no longer matches, which is
 * exactly when the original must not be restored.
 */
export function claudeOrigins(ctx: TranslationContext): WeakMap<object, ClaudeOrigin> {
  const existing = ctx.state[ORIGIN_KEY];
  if (existing instanceof WeakMap) return existing as WeakMap<object, ClaudeOrigin>;
  const created = new WeakMap<object, ClaudeOrigin>();
  ctx.state[ORIGIN_KEY] = created;
  return created;
}
