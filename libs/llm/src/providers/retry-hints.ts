/** Parse a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfterHeader(
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const trimmed = v.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Gemini: google.rpc.RetryInfo `retryDelay` (or the Code Assist quota-reset delay), seconds. */
export { parseGeminiRetryDelay as geminiRetryDelay } from '@app/llm/formats/gemini/error';
/** Codex: `error.resets_in_seconds` (or `resets_at`) on a 429 body, seconds. */
export { parseCodexResetSeconds as codexResetSeconds } from '@app/llm/formats/codex/error';
