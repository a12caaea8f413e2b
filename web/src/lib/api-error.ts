/** An HTTP answer the panel could not use, with the server's own message. */
export class ApiError extends Error {
  constructor(
    /** HTTP status (0 when the gateway could not be reached). */
    readonly status: number,
    message: string,
    /** The parsed body (JSON) or its text. */
    readonly body: unknown,
    /** True when the route does not exist on this gateway (not built or not enabled yet). */
    readonly missingRoute = false,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The human message of an error body, whatever surface sent it: management `{"error":"msg"}`,
 * CLIProxyAPI `{"error":"code","message":"msg"}`, cluster `{"error","code"}`, and the wire
 * formats' `{"error":{"message"}}`.
 */
export function errorMessage(body: unknown, status: number): string {
  if (isRecord(body)) {
    const err = body.error;
    const msg = body.message;
    if (typeof err === 'string' && typeof msg === 'string' && msg) return `${err}: ${msg}`;
    if (typeof err === 'string' && err) return err;
    if (isRecord(err) && typeof err.message === 'string') return err.message;
    if (typeof msg === 'string' && msg) return msg;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 500);
  return status ? `HTTP ${status}` : 'The gateway could not be reached';
}

/**
 * True when a 404 says the route itself is unknown (Nest's "Cannot GET /x"), as opposed to a
 * route answering "file not found". A missing route is shown as "not available", not an error.
 */
export function isMissingRoute(status: number, body: unknown): boolean {
  if (status !== 404 || !isRecord(body)) return false;
  const err = body.error;
  const msg = isRecord(err) ? err.message : body.message;
  return typeof msg === 'string' && /^Cannot (GET|POST|PUT|PATCH|DELETE|HEAD) /.test(msg);
}
