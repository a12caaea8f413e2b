import type { WireError } from '@app/llm/codec';
import type { GeminiErrorBody } from '@app/llm/formats/gemini/gemini.types';
import { num, str } from '@app/llm/formats/gemini/common';
import { isRecord } from '@app/llm/util/json';

/** HTTP status → google.rpc.Code name, as Google APIs put it in `error.status`. */
const STATUS_BY_HTTP: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** google.rpc.Code name → normalised WireError type. */
const TYPE_BY_STATUS: Readonly<Record<string, string>> = {
  INVALID_ARGUMENT: 'invalid_request_error',
  FAILED_PRECONDITION: 'invalid_request_error',
  OUT_OF_RANGE: 'invalid_request_error',
  UNAUTHENTICATED: 'authentication_error',
  PERMISSION_DENIED: 'permission_error',
  NOT_FOUND: 'not_found_error',
  RESOURCE_EXHAUSTED: 'rate_limit_error',
  UNAVAILABLE: 'overloaded_error',
  INTERNAL: 'api_error',
  UNKNOWN: 'api_error',
  DEADLINE_EXCEEDED: 'api_error',
  CANCELLED: 'api_error',
  ABORTED: 'api_error',
  UNIMPLEMENTED: 'invalid_request_error',
};

/** Normalised type → status name, for errors that only know their type. */
const STATUS_BY_TYPE: Readonly<Record<string, string>> = {
  invalid_request_error: 'INVALID_ARGUMENT',
  authentication_error: 'UNAUTHENTICATED',
  permission_error: 'PERMISSION_DENIED',
  not_found_error: 'NOT_FOUND',
  rate_limit_error: 'RESOURCE_EXHAUSTED',
  overloaded_error: 'UNAVAILABLE',
  service_error: 'UNAVAILABLE',
  api_error: 'INTERNAL',
  timeout_error: 'DEADLINE_EXCEEDED',
};

/** The google.rpc status name for an HTTP status (falls back to the error type, then the class). */
export function googleStatusName(status: number, type?: string): string {
  const byStatus = STATUS_BY_HTTP[status];
  if (byStatus) return byStatus;
  const byType = type === undefined ? undefined : STATUS_BY_TYPE[type];
  if (byType) return byType;
  if (status === 529) return 'UNAVAILABLE'; // Anthropic's "overloaded"
  if (status >= 500) return 'INTERNAL';
  if (status >= 400) return 'FAILED_PRECONDITION';
  return 'UNKNOWN';
}

/** Normalised WireError type for a Google status name (HTTP status as fallback). */
export function errorTypeForGoogleStatus(statusName: string | undefined, status: number): string {
  const byName = statusName === undefined ? undefined : TYPE_BY_STATUS[statusName];
  if (byName) return byName;
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/**
 * Render a WireError as a Google error body `{"error":{"code","message","status",…details}}`
 * (details: `details: [google.rpc.ErrorInfo, …]` for the gateway's own errors).
 */
export function buildGeminiError(
  error: WireError,
  details: Record<string, unknown> = {},
): GeminiErrorBody & Record<string, unknown> {
  return {
    error: {
      code: error.status,
      message: error.message,
      status: googleStatusName(error.status, error.type),
      ...details,
    },
  };
}

/** The `error` object of a Google error body (also inside the `[{…}]` array streams return). */
export function googleErrorObject(value: unknown): Record<string, unknown> | undefined {
  const body = Array.isArray(value) ? (value[0] as unknown) : value;
  if (!isRecord(body)) return undefined;
  return isRecord(body.error) ? body.error : undefined;
}

/** Read an upstream Google error body (best effort; anything unparseable becomes the message). */
export function parseGeminiError(status: number, body: string): WireError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const err = googleErrorObject(parsed);
  if (!err) {
    return {
      status,
      type: errorTypeForGoogleStatus(undefined, status),
      message: body.trim() || `Upstream returned HTTP ${status}`,
    };
  }
  const statusName = str(err.status);
  const out: WireError = {
    status,
    type: errorTypeForGoogleStatus(statusName, num(err.code) ?? status),
    message: str(err.message) || statusName || `Upstream returned HTTP ${status}`,
  };
  const reason = errorInfoReason(err.details);
  if (reason) out.code = reason;
  else if (statusName) out.code = statusName;
  return out;
}

function errorInfoReason(details: unknown): string | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    if (isRecord(d) && typeEndsWith(d, 'google.rpc.ErrorInfo')) return str(d.reason);
  }
  return undefined;
}

function typeEndsWith(detail: Record<string, unknown>, name: string): boolean {
  const t = detail['@type'];
  return typeof t === 'string' && t.endsWith(name);
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g;
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  h: 3600,
  m: 60,
  s: 1,
  ms: 1e-3,
  us: 1e-6,
  µs: 1e-6,
  ns: 1e-9,
};

/** Seconds in a protobuf Duration ("37s", "0.5s") or Go duration ("1h2m3.5s", "250ms"). */
export function parseDurationSeconds(text: string): number | undefined {
  let total = 0;
  let matched = false;
  for (const m of text.matchAll(DURATION_PART)) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]];
    matched = true;
  }
  return matched ? total : undefined;
}

/**
 * How long a Google API asks the caller to wait, in seconds: `google.rpc.RetryInfo.retryDelay`,
 * else the Code Assist `ErrorInfo.metadata.quotaResetDelay`. Accepts the raw body text or its
 * parsed JSON. For the proxy's cooldown / Retry-After.
 */
export function parseGeminiRetryDelay(body: unknown): number | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const err = googleErrorObject(value);
  if (!err || !Array.isArray(err.details)) return undefined;
  let fallback: number | undefined;
  for (const d of err.details) {
    if (!isRecord(d)) continue;
    if (typeEndsWith(d, 'google.rpc.RetryInfo')) {
      const delay = d.retryDelay;
      if (typeof delay === 'string') {
        const seconds = parseDurationSeconds(delay);
        if (seconds !== undefined) return seconds;
      } else if (isRecord(delay)) {
        return (num(delay.seconds) ?? Number(delay.seconds ?? 0)) + (num(delay.nanos) ?? 0) / 1e9;
      }
    } else if (typeEndsWith(d, 'google.rpc.ErrorInfo') && isRecord(d.metadata)) {
      const reset = str(d.metadata.quotaResetDelay);
      if (reset !== undefined) fallback ??= parseDurationSeconds(reset);
    }
  }
  return fallback;
}
