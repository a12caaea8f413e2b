/** The wire formats an error can be rendered in. */
export type ErrorFormat = 'openai' | 'claude' | 'gemini' | 'plain' | 'management';

/** What every renderer needs. */
export interface RenderableError {
  status: number;
  type: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
}

const GOOGLE_STATUS: Record<number, string> = {
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

/** Google RPC status name for an HTTP status. */
export function googleStatus(status: number): string {
  return GOOGLE_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'UNKNOWN');
}

/**
 * Render an error body in a wire format: OpenAI `{"error":{message,type,code}}`, Claude
 * `{"type":"error","error":{type,message}}`, Gemini `{"error":{code,message,status}}`; `plain` is
 * the gateway's own surfaces (`{"error":{type,message}}`, as /status answers); `management` is
 * CLIProxyAPI's management API shape (`{"error":"message"}`).
 */
export function renderError(format: ErrorFormat, e: RenderableError): Record<string, unknown> {
  switch (format) {
    case 'openai':
      return { error: { message: e.message, type: e.type, code: e.code ?? null, ...e.details } };
    case 'claude':
      return { type: 'error', error: { type: e.type, message: e.message, ...e.details } };
    case 'gemini':
      return {
        error: { code: e.status, message: e.message, status: googleStatus(e.status), ...e.details },
      };
    case 'management':
      return { error: e.message };
    case 'plain':
      return {
        error: {
          type: e.type,
          message: e.message,
          ...(e.code ? { code: e.code } : {}),
          ...e.details,
        },
      };
  }
}
