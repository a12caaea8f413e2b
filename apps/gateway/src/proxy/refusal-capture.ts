import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  isLoggedPath,
  logGatewayError,
  pipelineRequests,
  type GatewayErrorLine,
  type InfoWarnLogger,
} from '@app/proxy';
import { ExchangeRecorder, type ProxyExchange } from '@app/logs';

/**
 * The exchange of a request answered with an error before the proxy pipeline took it: a body
 * over the limit (413), bad JSON, an unknown route or method (404), a wrong client key (401), a
 * paused proxy (503). Undefined for requests the logs leave out: successes, GETs (CLIProxyAPI
 * logs no GET), the management API, and requests the pipeline records itself.
 */
export function refusalExchange(
  req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): ProxyExchange | undefined {
  const status = reply.statusCode;
  if (status < 400 || req.method === 'GET' || req.method === 'HEAD') return undefined;
  if (pipelineRequests.has(req) || !isLoggedPath(req.url)) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined)
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return {
    requestId: String(req.id),
    startedAt: Date.now() - reply.elapsedTime,
    method: req.method,
    url: req.url,
    headers: req.headers,
    body: req.body,
    status,
    responseHeaders: headers,
    responseBody: typeof payload === 'string' ? payload : undefined,
    failed: true,
    clientAborted: false,
  };
}

/** Paths of the proxy API (model calls and model lists), whose refusals are logged. */
export function isProxyPath(url: string): boolean {
  return (
    url.startsWith('/v1/') ||
    url.startsWith('/v1beta/') ||
    url.startsWith('/v1internal') ||
    url.startsWith('/api/provider/')
  );
}

/** The message of a rendered error body (any wire format), or a status line. */
function reasonOf(payload: unknown, status: number): string {
  if (typeof payload === 'string' && payload.startsWith('{')) {
    try {
      const body = JSON.parse(payload) as { error?: unknown };
      const error = body.error;
      if (typeof error === 'string') return error;
      if (error && typeof error === 'object') {
        const message = (error as { message?: unknown }).message;
        if (typeof message === 'string') return message;
      }
    } catch {
      // not JSON after all
    }
  }
  return `HTTP ${status}`;
}

/** A proxy request answered with an error before the pipeline took it, as a log line. */
export function refusalLogLine(
  req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): GatewayErrorLine | undefined {
  if (reply.statusCode < 400 || pipelineRequests.has(req) || !isProxyPath(req.url)) {
    return undefined;
  }
  const body = req.body as { model?: unknown } | undefined;
  return {
    requestId: String(req.id),
    // The route pattern; an unknown route's path without its query (`?key=` stays out).
    route: req.routeOptions?.url ?? req.url.split('?')[0],
    model: typeof body?.model === 'string' ? body.model : '',
    status: reply.statusCode,
    reason: reasonOf(payload, reply.statusCode),
  };
}

/**
 * Feed errors answered before the pipeline to the request and error logs, and log the proxy's
 * (a wrong key, a paused proxy, a body too large, an unknown route…) at info/warn. The hook
 * sees every response; for a success it is one comparison.
 */
export function installRefusalCapture(
  app: FastifyInstance,
  recorder: ExchangeRecorder,
  logger?: InfoWarnLogger,
): void {
  app.addHook('onSend', (req, reply, payload, done) => {
    if (reply.statusCode >= 400) {
      try {
        const exchange = refusalExchange(req, reply, payload);
        if (exchange) recorder.record(exchange);
        const line = logger ? refusalLogLine(req, reply, payload) : undefined;
        if (line && logger) logGatewayError(logger, line);
      } catch {
        // the logs must never break a response
      }
    }
    done(null, payload);
  });
}

/** Installs the refusal capture on the gateway's Fastify instance (a no-op without HTTP). */
@Injectable()
export class RefusalCapture implements OnModuleInit {
  private readonly logger = new Logger('Proxy');

  constructor(
    private readonly host: HttpAdapterHost,
    private readonly recorder: ExchangeRecorder,
  ) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter;
    if (!adapter) return;
    installRefusalCapture(adapter.getInstance<FastifyInstance>(), this.recorder, this.logger);
  }
}
