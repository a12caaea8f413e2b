import type { TranslationContext } from '@app/llm/codec';
import type { IRMediaSource, IRStopReason, IRUsage, WireFormat } from '@app/llm/ir/types';
import { isRecord } from '@app/llm/util/json';

/** Formats that speak the Responses API body (unknown fields pass between them untouched). */
export function isResponsesFamily(format: WireFormat): boolean {
  return format === 'openai-responses' || format === 'codex';
}

/** ctx.state key under which parseRequest keeps the client's Responses body for echo fields. */
export const RESPONSES_REQUEST_STATE = 'openaiResponses.request';

/** The client's Responses request body, when the client spoke this format (see parseRequest). */
export function clientRequest(ctx: TranslationContext): Record<string, unknown> | undefined {
  const value = ctx.state[RESPONSES_REQUEST_STATE];
  return isRecord(value) ? value : undefined;
}

const DATA_URI = /^data:([^;,]+)?(?:;[^,]*)?;base64,/;

/** Parse a `data:<type>;base64,<data>` URI into a base64 media source (else a URL source). */
export function mediaFromUrl(url: string, fallbackType: string): IRMediaSource {
  const m = DATA_URI.exec(url);
  if (!m) return { kind: 'url', url };
  return { kind: 'base64', mediaType: m[1] ?? fallbackType, data: url.slice(m[0].length) };
}

/** Render a base64 source as a data URI. */
export function toDataUri(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Read a Responses `usage` object (input includes cached, output includes reasoning). */
export function parseUsage(value: unknown): IRUsage | undefined {
  if (!isRecord(value)) return undefined;
  const input = num(value.input_tokens);
  const output = num(value.output_tokens);
  const inDetails = isRecord(value.input_tokens_details) ? value.input_tokens_details : undefined;
  const outDetails = isRecord(value.output_tokens_details)
    ? value.output_tokens_details
    : undefined;
  const usage: IRUsage = {
    inputTokens: input,
    outputTokens: output,
    reasoningTokens: num(outDetails?.reasoning_tokens),
    cachedTokens: num(inDetails?.cached_tokens),
    totalTokens: typeof value.total_tokens === 'number' ? value.total_tokens : input + output,
  };
  if (typeof inDetails?.cache_write_tokens === 'number' && inDetails.cache_write_tokens > 0) {
    usage.cacheCreationTokens = inDetails.cache_write_tokens;
  }
  return usage;
}

/** Render IR usage as a Responses `usage` object. */
export function buildUsage(usage: IRUsage): Record<string, unknown> {
  const inputDetails: Record<string, number> = { cached_tokens: usage.cachedTokens };
  if (usage.cacheCreationTokens) inputDetails.cache_write_tokens = usage.cacheCreationTokens;
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: inputDetails,
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.totalTokens || usage.inputTokens + usage.outputTokens,
  };
}

/** Normalised stop reason of a finished Responses `response` object. */
export function stopReasonOf(
  status: unknown,
  incompleteDetails: unknown,
  hasToolCalls: boolean,
): IRStopReason {
  if (status === 'incomplete') {
    const reason = isRecord(incompleteDetails) ? incompleteDetails.reason : undefined;
    return reason === 'content_filter' ? 'content_filter' : 'length';
  }
  if (status === 'failed') return 'error';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

/** Response `status` and `incomplete_details` for an IR stop reason. */
export function statusOf(stop: IRStopReason | undefined): {
  status: 'completed' | 'incomplete' | 'failed';
  incompleteDetails: { reason: string } | null;
} {
  switch (stop) {
    case 'length':
      return { status: 'incomplete', incompleteDetails: { reason: 'max_output_tokens' } };
    case 'content_filter':
      return { status: 'incomplete', incompleteDetails: { reason: 'content_filter' } };
    case 'error':
      return { status: 'failed', incompleteDetails: null };
    case undefined:
    case 'stop':
    case 'tool_calls':
    case 'stop_sequence':
    case 'refusal':
    case 'pause':
      return { status: 'completed', incompleteDetails: null };
  }
}
