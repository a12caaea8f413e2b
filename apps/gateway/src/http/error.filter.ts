import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, renderError, type ErrorFormat, type RenderableError } from '@app/common';
import { drainBody, drainLimits } from '@app/gateway/http/body-drain';

// `/api/provider/<id>` pins a provider; the endpoint after it decides the wire format.
const PROVIDER_PREFIX = /^\/api\/provider\/[^/]*/;
const CLAUDE_ENDPOINT = /^(?:\/v1)?\/messages(?:\/|$)/;

/**
 * The wire format errors on a path are rendered in: the one the endpoint speaks (a Claude
 * endpoint answers Claude errors whichever provider the path pins), as the proxy does.
 */
export function errorFormatForPath(url: string): ErrorFormat {
  const path = url.split('?')[0];
  const pinned = PROVIDER_PREFIX.exec(path);
  const endpoint = pinned ? path.slice(pinned[0].length) : path;
  if (
    pinned ||
    path.startsWith('/v1/') ||
    path.startsWith('/v1beta') ||
    path.startsWith('/v1internal')
  ) {
    if (CLAUDE_ENDPOINT.test(endpoint)) return 'claude';
    if (endpoint.startsWith('/v1beta') || endpoint.startsWith('/v1internal')) return 'gemini';
    return 'openai';
  }
  if (path.startsWith('/v0/management')) return 'management';
  return 'plain';
}

function fromHttpException(e: HttpException): RenderableError {
  const status = e.getStatus();
  const res = e.getResponse();
  let message = e.message;
  if (typeof res === 'object' && res && 'message' in res) {
    const m = res.message;
    message = Array.isArray(m) ? m.join('; ') : String(m);
  }
  const type =
    status === 401
      ? 'authentication_error'
      : status === 403
        ? 'permission_error'
        : status === 404
          ? 'not_found_error'
          : status === 413
            ? 'invalid_request_error'
            : status === 429
              ? 'rate_limit_error'
              : status >= 500
                ? 'api_error'
                : 'invalid_request_error';
  return { status, type, message };
}

/** Fastify's own errors (body too large, bad JSON, …) carry a statusCode and a code. */
interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
}

/**
 * Renders every error in the caller's wire format (OpenAI, Claude, Gemini, or the gateway's
 * plain shape) and never leaks internals: unexpected errors become a 500 with the request id.
 */
@Catch()
export class WireErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly bodyLimitMb: () => number) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const format = errorFormatForPath(req.url);
    let err: RenderableError;
    let headers: Record<string, string> = {};
    if (exception instanceof AppError) {
      err = exception;
      headers = exception.headers;
    } else if (exception instanceof HttpException) {
      err =
        exception.getStatus() === 413
          ? AppError.of('BODY_TOO_LARGE', { limitMb: this.bodyLimitMb() })
          : fromHttpException(exception);
    } else if (isFastifyError(exception)) {
      err = fastifyError(exception, this.bodyLimitMb());
    } else {
      this.logger.error(
        `request ${String(req.id)} failed: ${(exception as Error)?.stack ?? String(exception)}`,
      );
      err = AppError.of('INTERNAL');
    }
    if (reply.sent) return;
    for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
    // An unknown management route answers like any unknown route (so does a disabled
    // management API): the 404 must not reveal that the management API exists.
    const shape = format === 'management' && err.status === 404 ? 'plain' : format;
    const body = renderError(shape, err);
    if (err.status !== 413) return void reply.status(err.status).send(body);
    // A body found too large while it was read (no Content-Length): read and discard the rest
    // first, so the client, still sending, receives the 413 instead of a reset connection.
    const limits = drainLimits(this.bodyLimitMb() * 1024 * 1024);
    void drainBody(req.raw, limits).then(() => {
      if (!reply.sent) void reply.status(413).send(body);
    });
  }
}

function isFastifyError(e: unknown): e is FastifyLikeError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as FastifyLikeError).statusCode === 'number' &&
    typeof (e as FastifyLikeError).code === 'string'
  );
}

function fastifyError(e: FastifyLikeError, limitMb: number): RenderableError {
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return AppError.of('BODY_TOO_LARGE', { limitMb });
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return AppError.of('INVALID_JSON', { detail: e.message });
  const status = e.statusCode ?? 500;
  if (status >= 500) return AppError.of('INTERNAL');
  return { status, type: 'invalid_request_error', message: e.message };
}
