import type { WireError } from '@app/llm/codec';
import type { IRStreamEvent } from '@app/llm/ir/types';
import { isRecord } from '@app/llm/util/json';
import { num, str } from '@app/llm/formats/openai/wire';

/** Error types every codec understands (see WireError.type). */
const NORMALISED_TYPES: ReadonlySet<string> = new Set([
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'rate_limit_error',
  'api_error',
  'overloaded_error',
  'service_error',
]);

/** Normalised error type for an HTTP status. */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/**
 * The OpenAI error envelope `{"error":{"message","type",["param"],"code",…details}}`: `param`
 * only when given (a codec's bodies say null; the gateway's own errors carry it in details).
 */
export function renderOpenAIError(
  error: WireError,
  opts: { param?: unknown; details?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const inner: Record<string, unknown> = { message: error.message, type: error.type };
  if ('param' in opts) inner.param = opts.param;
  inner.code = error.code ?? null;
  return { error: { ...inner, ...opts.details } };
}

/** Render an error as OpenAI does: `{"error":{"message","type","param","code"}}`. */
export function buildOpenAIError(error: WireError): Record<string, unknown> {
  return renderOpenAIError(error, { param: null });
}

/**
 * Read an OpenAI-style error body. OpenAI's own types (`server_error`, `insufficient_quota`,
 * `requests`, …) are normalised by status and kept as `code` when the body has none.
 */
export function parseOpenAIError(status: number, body: string): WireError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  // Some compatible hosts wrap the error in a one-element array (Gemini's OpenAI layer).
  if (Array.isArray(parsed)) parsed = parsed[0];
  return readError(status, parsed, body);
}

/** The IR error event for an `{"error":{…}}` payload found in a stream. */
export function streamErrorEvent(payload: Record<string, unknown>): IRStreamEvent {
  const inner = isRecord(payload.error) ? payload.error : payload;
  // Compatible hosts put the HTTP status in `code` or `status`; OpenAI's own codes are strings.
  const status = httpStatus(num(inner.status)) ?? httpStatus(num(inner.code)) ?? 500;
  const error = readError(status, payload, '');
  return { type: 'error', status, errorType: error.type, message: error.message };
}

function httpStatus(value: number | undefined): number | undefined {
  return value !== undefined && value >= 400 && value <= 599 ? value : undefined;
}

function readError(status: number, parsed: unknown, body: string): WireError {
  let message: string | undefined;
  let rawType: string | undefined;
  let code: string | undefined;
  if (isRecord(parsed)) {
    const err = parsed.error;
    if (isRecord(err)) {
      message = str(err.message);
      rawType = str(err.type);
      const rawCode = err.code;
      if (typeof rawCode === 'string' && rawCode !== '') code = rawCode;
    } else if (typeof err === 'string') {
      message = err;
    }
    message ??= str(parsed.message);
    // The Codex backend answers `{"detail": "…"}` (or `{"detail": {"message": …}}`).
    const detail = parsed.detail;
    message ??= str(detail) ?? (isRecord(detail) ? str(detail.message) : undefined);
  }
  message ??= body.trim() || `Upstream answered with HTTP ${status}`;
  const type =
    rawType !== undefined && NORMALISED_TYPES.has(rawType) ? rawType : errorTypeForStatus(status);
  if (rawType !== undefined && type !== rawType && code === undefined) code = rawType;
  const out: WireError = { status, type, message };
  if (code !== undefined) out.code = code;
  return out;
}
