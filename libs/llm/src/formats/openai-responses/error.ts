import type { WireError } from '@app/llm/codec';
import { isRecord } from '@app/llm/util/json';

/** The normalised error types of WireError; anything else an upstream says becomes the code. */
const NORMALISED_TYPES = new Set([
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
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'api_error';
}

/** Render an error as OpenAI does: `{"error":{"message","type","param","code"}}`. */
export function buildOpenAIError(error: WireError): Record<string, unknown> {
  return {
    error: {
      message: error.message,
      type: error.type,
      param: null,
      code: error.code ?? null,
    },
  };
}

/**
 * Read an OpenAI-family error body: `{"error":{…}}`, `{"error":"text"}`, the Codex backend's
 * `{"detail":"…"}`, or plain text.
 */
export function parseOpenAIError(status: number, body: string): WireError {
  const fallbackType = errorTypeForStatus(status);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { status, type: fallbackType, message: body.trim() || `Upstream returned ${status}` };
  }
  const root = isRecord(parsed) ? parsed : {};
  const err = isRecord(root.error) ? root.error : root;
  let message = '';
  if (typeof err.message === 'string') message = err.message;
  else if (typeof root.error === 'string') message = root.error;
  else if (typeof root.detail === 'string') message = root.detail;
  else if (isRecord(root.detail) && typeof root.detail.message === 'string') {
    message = root.detail.message;
  }
  const upstreamType = typeof err.type === 'string' ? err.type : undefined;
  const out: WireError = {
    status,
    type: upstreamType && NORMALISED_TYPES.has(upstreamType) ? upstreamType : fallbackType,
    message: message || body.trim() || `Upstream returned ${status}`,
  };
  if (typeof err.code === 'string' && err.code) out.code = err.code;
  else if (upstreamType && !NORMALISED_TYPES.has(upstreamType)) out.code = upstreamType;
  return out;
}
