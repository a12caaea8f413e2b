import { Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ExchangeRecorder,
  isLoggedPath,
  pipelineRequests,
  type ProxyExchange,
} from '@app/proxy/exchange-capture';

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

/**
 * Feed errors answered before the pipeline to the request and error logs. The hook sees every
 * response; for a success it is one comparison.
 */
export function installRefusalCapture(app: FastifyInstance, recorder: ExchangeRecorder): void {
  app.addHook('onSend', (req, reply, payload, done) => {
    if (reply.statusCode >= 400) {
      try {
        const exchange = refusalExchange(req, reply, payload);
        if (exchange) recorder.record(exchange);
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
  constructor(
    private readonly host: HttpAdapterHost,
    @Optional() private readonly recorder?: ExchangeRecorder,
  ) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter;
    if (!adapter || !this.recorder) return;
    installRefusalCapture(adapter.getInstance<FastifyInstance>(), this.recorder);
  }
}
