import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AppError,
  clusterError,
  controlError,
  errorTypeOf,
  managementError,
  renderClusterError,
  renderControlError,
  renderManagementError,
  renderPlainError,
  type ErrorFormat,
  type ErrorSurface,
  type RenderableError,
} from '@app/common';
import { renderGatewayError } from '@app/proxy';
import { isRedisFailure } from '@app/storage';
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

/** The API surfaces with an envelope of their own (any other route speaks a wire format). */
export type ApiSurface = 'management' | 'control' | 'cluster';

/** Whether an error surface is one of the API surfaces. */
export function isApiSurface(s: ErrorSurface): s is ApiSurface {
  return s === 'management' || s === 'control' || s === 'cluster';
}

/**
 * An error in an API surface's envelope: management `{"error": message}`, control
 * `{"error": title, "message": …}`, cluster `{"error": message, "code": CODE}`. A disabled
 * management API answers exactly like an unknown route.
 */
export function renderApiError(
  surface: ApiSurface,
  err: AppError | RenderableError,
): Record<string, unknown> {
  if (err instanceof AppError && err.errorCode === 'management.DISABLED') {
    return renderPlainError(err);
  }
  if (surface === 'management') return renderManagementError(err);
  if (surface === 'control') return renderControlError(err);
  return renderClusterError(err);
}

/** The errors each API surface renders as its own; any other error there is a 500. */
const OWN_ERRORS: Readonly<Record<ApiSurface, readonly ErrorSurface[]>> = {
  management: ['management'],
  // Shared services throw management errors; the control API titles them by status.
  control: ['control', 'management'],
  cluster: ['cluster', 'logs'],
};

const API_SURFACES: readonly [prefix: string, surface: ApiSurface][] = [
  ['/v0/management/', 'management'],
  ['/api/cliproxy/', 'control'],
  ['/api/v1/', 'cluster'],
];

/**
 * The API surface of a route the router matched. An unmatched path (and an error raised before
 * routing, such as a body Fastify refused) answers in the path's wire format, so an unknown
 * management route looks like any unknown route.
 */
export function apiSurfaceOf(req: FastifyRequest): ApiSurface | undefined {
  if (req.is404) return undefined;
  const path = req.url.split('?')[0];
  return API_SURFACES.find(([prefix]) => path.startsWith(prefix))?.[1];
}

function fromHttpException(e: HttpException): RenderableError {
  const status = e.getStatus();
  const res = e.getResponse();
  let message = e.message;
  if (typeof res === 'object' && res && 'message' in res) {
    const m = res.message;
    message = Array.isArray(m) ? m.join('; ') : String(m);
  }
  return { status, type: errorTypeOf(status), message };
}

/** Fastify's own errors (body too large, bad JSON, …) carry a statusCode and a code. */
interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message: string;
}

/**
 * The one exception filter: every error, whichever route raised it, rendered in the envelope of
 * the route's surface: the management, control and cluster APIs' own shapes, else the caller's
 * wire format (OpenAI, Claude, Gemini, or the gateway's plain shape). Nothing internal leaks:
 * unexpected errors become a 500 with the request id.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(private readonly bodyLimitMb: () => number) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    if (reply.sent || reply.raw.headersSent) return;
    const surface = isFastifyError(exception) ? undefined : apiSurfaceOf(req);
    if (surface) return this.apiError(surface, exception, req, reply);
    this.wireError(exception, req, reply);
  }

  /** A management, control or cluster API route: its own envelope. */
  private apiError(
    surface: ApiSurface,
    exception: unknown,
    req: FastifyRequest,
    reply: FastifyReply,
  ): void {
    let err: AppError | RenderableError;
    if (exception instanceof AppError && OWN_ERRORS[surface].includes(exception.surface)) {
      err = exception;
    } else if (exception instanceof HttpException) err = this.httpError(surface, exception);
    else if (surface !== 'management' && isRedisFailure(exception)) err = redisError(surface);
    else err = this.internal(surface, exception, req);
    // Only an error of the surface itself sets headers (a shared service's management error on
    // a control route lends its status and message alone).
    if (err instanceof AppError && err.surface === surface) {
      for (const [k, v] of Object.entries(err.headers)) void reply.header(k, v);
    }
    const body = renderApiError(surface, err);
    void reply.status(err.status).send(body);
  }

  private httpError(surface: ApiSurface, e: HttpException): AppError | RenderableError {
    const { status, message } = fromHttpException(e);
    if (surface === 'management') return managementError(status, message);
    if (surface === 'control') return { status, type: errorTypeOf(status), message: e.message };
    return clusterError(status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', e.message);
  }

  private internal(surface: ApiSurface, exception: unknown, req: FastifyRequest): AppError {
    this.logger.error(
      `request ${String(req.id)} failed: ${(exception as Error)?.stack ?? String(exception)}`,
    );
    if (surface === 'management') {
      return managementError(
        500,
        'internal error; the request id in x-request-id identifies it in the logs',
      );
    }
    if (surface === 'control') {
      return controlError(
        500,
        'Internal error',
        'the request id in x-request-id identifies it in the logs',
      );
    }
    return clusterError(
      'INTERNAL',
      'Internal error; the request id in x-request-id identifies it in the logs',
    );
  }

  /** Any other route: the caller's wire format. */
  private wireError(exception: unknown, req: FastifyRequest, reply: FastifyReply): void {
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
    for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
    // An unknown management route answers like any unknown route (so does a disabled
    // management API): the 404 must not reveal that the management API exists.
    const shape = format === 'management' && err.status === 404 ? 'plain' : format;
    const body = renderGatewayError(shape, err, false);
    if (err.status !== 413) return void reply.status(err.status).send(body);
    // A body found too large while it was read (no Content-Length): read and discard the rest
    // first, so the client, still sending, receives the 413 instead of a reset connection.
    const limits = drainLimits(this.bodyLimitMb() * 1024 * 1024);
    void drainBody(req.raw, limits).then(() => {
      if (!reply.sent) void reply.status(413).send(body);
    });
  }
}

/** Redis is down: the control and cluster APIs say so (the management API answers a 500). */
function redisError(surface: 'control' | 'cluster'): AppError {
  if (surface === 'control') {
    return controlError(
      503,
      'Redis unavailable',
      'Redis is unreachable; the shared state cannot be read or changed right now',
    );
  }
  return clusterError(
    'REDIS_UNAVAILABLE',
    'Redis is unreachable; the cluster state cannot be read',
  );
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
