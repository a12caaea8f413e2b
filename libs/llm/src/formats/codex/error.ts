import { isRecord } from '@app/llm/util/json';

/**
 * Seconds until a Codex usage limit resets, read from a 429 body such as
 * `{"error":{"type":"usage_limit_reached","resets_in_seconds":1234,"resets_at":1760000000}}`.
 * `resets_in_seconds` wins; `resets_at` (Unix seconds) is converted against the clock. Undefined
 * when the body says neither or the time has passed.
 */
export function parseCodexResetSeconds(body: string, now: number = Date.now()): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const err = isRecord(parsed.error) ? parsed.error : parsed;
  const inSeconds = toNumber(err.resets_in_seconds);
  if (inSeconds !== undefined && inSeconds > 0) return Math.ceil(inSeconds);
  const at = toNumber(err.resets_at);
  if (at === undefined) return undefined;
  const seconds = Math.ceil(at - now / 1000);
  return seconds > 0 ? seconds : undefined;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}
