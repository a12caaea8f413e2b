import type { WireError } from '@app/llm/codec';
import { isRecord } from '@app/llm/util/json';

/** Error types the Claude API uses, with the HTTP status it sends each with. */
export const CLAUDE_ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** The Claude error type for a normalised error type and status. */
export function claudeErrorType(type: string | undefined, status: number): string {
  if (type && type in CLAUDE_ERROR_STATUS) return type;
  switch (status) {
    case 400:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

/** Status for a Claude error type (used for errors that arrive inside a stream). */
export function claudeErrorStatus(type: string): number {
  return CLAUDE_ERROR_STATUS[type] ?? 500;
}

/** Render an error as Claude does: {"type":"error","error":{"type","message"}}. */
export function buildClaudeError(error: WireError): Record<string, unknown> {
  return renderClaudeError(claudeErrorType(error.type, error.status), error.message);
}

/** The Claude error envelope `{"type":"error","error":{type,message,…details}}`. */
export function renderClaudeError(
  type: string,
  message: string,
  details: Record<string, unknown> = {},
): Record<string, unknown> {
  return { type: 'error', error: { type, message, ...details } };
}

/**
 * Read an upstream error body. Claude's own shape first, then the OpenAI-style `{"error":{…}}`
 * some Claude-compatible hosts send, then the raw text.
 */
export function parseClaudeError(status: number, body: string): WireError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const err = isRecord(parsed) ? parsed.error : undefined;
  if (isRecord(err)) {
    const message = typeof err.message === 'string' ? err.message : body;
    const type = claudeErrorType(typeof err.type === 'string' ? err.type : undefined, status);
    const out: WireError = { status, type, message };
    if (typeof err.code === 'string') out.code = err.code;
    return out;
  }
  const text = body.trim();
  return {
    status,
    type: claudeErrorType(undefined, status),
    message: text || `Upstream returned HTTP ${status}`,
  };
}
