import type { IRStopReason, IRUsage, WireFormat } from '@app/llm/ir/types';
import type { GeminiUsageMetadata } from '@app/llm/formats/gemini/gemini.types';
import { isRecord } from '@app/llm/util/json';

/** Formats that share Gemini's body: their unknown fields pass through between each other. */
const GEMINI_FAMILY: ReadonlySet<WireFormat> = new Set(['gemini', 'gemini-cli', 'antigravity']);

/** Whether a format carries a Gemini body (bare or inside a Code Assist envelope). */
export function isGeminiFamily(format: WireFormat): boolean {
  return GEMINI_FAMILY.has(format);
}

/**
 * IR `extra` key holding the envelope-level fields of a gemini-cli / antigravity body (e.g.
 * `user_prompt_id`), so the inner Gemini builder never copies them into `request`.
 */
export const ENVELOPE_EXTRA_KEY = '$envelope';

/**
 * IR response `extra` key holding per-candidate fields with no IR slot (safetyRatings,
 * groundingMetadata, citationMetadata…), aligned with `candidates`.
 */
export const CANDIDATE_EXTRA_KEY = '$candidates';

/** Read a field by its camelCase name or its snake_case twin (the REST API takes both). */
export function pick(obj: Record<string, unknown>, camel: string, snake: string): unknown {
  const v = obj[camel];
  return v === undefined ? obj[snake] : v;
}

/** Number field or undefined. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** String field or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Gemini finishReason → IR stop reason. `hasToolCall`: the candidate contains a functionCall. */
export function geminiFinishToIR(reason: string, hasToolCall: boolean): IRStopReason {
  switch (reason) {
    case 'STOP':
      // Gemini says STOP after emitting a function call; every other format calls that tool_calls.
      return hasToolCall ? 'tool_calls' : 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
    case 'MODEL_ARMOR':
    case 'LANGUAGE':
      return 'content_filter';
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
    case 'TOO_MANY_TOOL_CALLS':
      return 'error';
    default:
      // OTHER, FINISH_REASON_UNSPECIFIED, NO_IMAGE, IMAGE_OTHER, CONTINUATION, anything new.
      return hasToolCall ? 'tool_calls' : 'stop';
  }
}

/** IR stop reason → Gemini finishReason. */
export function irFinishToGemini(reason: IRStopReason): string {
  switch (reason) {
    case 'stop':
    case 'tool_calls':
    case 'stop_sequence':
    case 'pause':
      return 'STOP';
    case 'length':
      return 'MAX_TOKENS';
    case 'content_filter':
    case 'refusal':
      return 'SAFETY';
    case 'error':
      return 'OTHER';
  }
}

/** Gemini usageMetadata → IR usage (OpenAI semantics: output includes thoughts). */
export function geminiUsageToIR(meta: Record<string, unknown>): IRUsage {
  const prompt = num(meta.promptTokenCount) ?? 0;
  const candidates = num(meta.candidatesTokenCount) ?? 0;
  const thoughts = num(meta.thoughtsTokenCount) ?? 0;
  const cached = num(meta.cachedContentTokenCount) ?? 0;
  const output = candidates + thoughts;
  return {
    inputTokens: prompt,
    outputTokens: output,
    reasoningTokens: thoughts,
    cachedTokens: cached,
    totalTokens: num(meta.totalTokenCount) ?? prompt + output,
  };
}

/** IR usage → Gemini usageMetadata (candidates exclude thoughts, as Gemini counts them). */
export function irUsageToGemini(usage: IRUsage): GeminiUsageMetadata {
  const meta: GeminiUsageMetadata = {
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: Math.max(0, usage.outputTokens - usage.reasoningTokens),
    totalTokenCount: usage.totalTokens || usage.inputTokens + usage.outputTokens,
  };
  if (usage.reasoningTokens > 0) meta.thoughtsTokenCount = usage.reasoningTokens;
  if (usage.cachedTokens > 0) meta.cachedContentTokenCount = usage.cachedTokens;
  return meta;
}

/** Read usageMetadata (either spelling) from a response body, if present. */
export function readUsage(body: Record<string, unknown>): IRUsage | undefined {
  const meta = pick(body, 'usageMetadata', 'usage_metadata');
  return isRecord(meta) ? geminiUsageToIR(meta) : undefined;
}

/** Parse an RFC 3339 timestamp (Vertex `createTime`) into Unix seconds. */
export function timestampSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

const UNSAFE_ID_CHARS = /[^A-Za-z0-9_-]/g;

/** Make a tool name safe inside an id (Claude ids allow only [A-Za-z0-9_-]). */
export function idSafe(name: string): string {
  return name.replace(UNSAFE_ID_CHARS, '_');
}
