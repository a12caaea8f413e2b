import { isRecord } from '@app/llm/util/json';

/** Parse a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfterHeader(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const trimmed = v.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Parse a google.protobuf.Duration string such as `"37s"` or `"1.5s"`. */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Gemini: `error.details[]` entry of type google.rpc.RetryInfo with `retryDelay`. */
export function geminiRetryDelay(body: string): number | undefined {
  const parsed = parseJson(body);
  const root = Array.isArray(parsed) ? (parsed[0] as unknown) : parsed;
  if (!isRecord(root) || !isRecord(root.error) || !Array.isArray(root.error.details)) return undefined;
  for (const d of root.error.details) {
    if (isRecord(d) && String(d['@type'] ?? '').endsWith('google.rpc.RetryInfo')) {
      return parseDurationSeconds(d.retryDelay);
    }
  }
  return undefined;
}

/** Codex: `error.resets_in_seconds` (or `resets_at`, Unix seconds) on a 429 body. */
export function codexResetSeconds(body: string, now = Date.now()): number | undefined {
  const parsed = parseJson(body);
  if (!isRecord(parsed) || !isRecord(parsed.error)) return undefined;
  const e = parsed.error;
  if (typeof e.resets_in_seconds === 'number') return e.resets_in_seconds;
  if (typeof e.resets_at === 'number') return Math.max(0, Math.ceil(e.resets_at - now / 1000));
  return undefined;
}
