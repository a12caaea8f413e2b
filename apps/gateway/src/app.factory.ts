import type { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import multipart from '@fastify/multipart';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ConfigService } from '@app/config';
import { UPLOAD_LIMITS, ManagementGuard } from '@app/management';
import { MetricsService } from '@app/metrics';
import { GatewayModule } from '@app/gateway/gateway.module';
import { installAccessLog } from '@app/gateway/http/access-log';
import { installCors } from '@app/gateway/http/cors';
import { PeerService } from '@app/gateway/http/peer.service';
import { installHttpHooks, pickRequestId } from '@app/gateway/http/http-hooks';
import { ErrorFilter } from '@app/gateway/http/error.filter';
import { installJsonBodyParser } from '@app/gateway/http/json-body.parser';
import { installJsonCompression } from '@app/gateway/http/json-compression';
import { installRequestGate } from '@app/gateway/http/request-gate';
import { ClientKeyService } from '@app/proxy';
import { ClusterAuthGuard } from '@app/gateway/cluster/cluster-auth.guard';
import { ControlAuthGuard } from '@app/gateway/control/control-auth.guard';
import { applyServerTimeouts, closeSilentConnections } from '@app/gateway/http/server-timeouts';

/** Default request body limit when config.yaml does not say (image-heavy requests are large). */
const DEFAULT_BODY_LIMIT_MB = 50;

/**
 * Build the gateway application (not listening yet). Used by main.ts and by e2e specs, which
 * call `app.listen(0, '127.0.0.1')` or Fastify's `inject`.
 */
export async function createGatewayApp(
  opts: {
    logger?: false | LogLevel[] | LoggerService;
    /** Hold startup logs until the caller installs its logger (main.ts: the shared process log). */
    bufferLogs?: boolean;
    /** One process-log line per answered request (default on; test harnesses turn it off). */
    accessLog?: boolean;
  } = {},
): Promise<NestFastifyApplication> {
  // The body limit is fixed at listen time; read the config file once for it.
  const adapter = new FastifyAdapter({
    bodyLimit: DEFAULT_BODY_LIMIT_MB * 1024 * 1024,
    trustProxy: false,
    genReqId: (req: IncomingMessage) => pickRequestId(req.headers['x-request-id'], randomUUID),
    requestIdHeader: false,
    forceCloseConnections: 'idle',
    // No Nest middleware is used; middie's per-request hooks would only cost time.
    skipMiddie: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule, adapter, {
    logger: opts.logger ?? ['log', 'error', 'warn'],
    bufferLogs: opts.bufferLogs ?? false,
    // Fastify's built-in JSON parser; Nest's builds a new parser function on every request.
    bodyParser: false,
    // Throw instead of process.exit so callers (main.ts, specs) report the real error.
    abortOnError: false,
  });
  const config = app.get(ConfigService);
  const limitMb = () => config.current['body-limit-mb'] ?? DEFAULT_BODY_LIMIT_MB;
  const fastify = app.getHttpAdapter().getInstance();
  // First onRequest hook: CORS preflights are answered before any authentication hook runs.
  installCors(fastify);
  // Header, request and keep-alive deadlines for clients (set before listen; read at start-up).
  applyServerTimeouts(fastify.server, config.current['server-timeouts']);
  closeSilentConnections(fastify.server, fastify.server.headersTimeout);
  // Fastify's bodyLimit is per server; apply the configured one (can only grow/shrink at start).
  fastify.addHook('onRoute', (route) => {
    route.bodyLimit ??= limitMb() * 1024 * 1024;
  });
  // Fastify's JSON parser plus a nesting limit: deeper bodies are a 400, not a stack overflow.
  installJsonBodyParser(fastify);
  // PUT /v0/management/config.yaml takes the file as its raw body (text/plain is built in).
  fastify.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );
  installHttpHooks(fastify, app.get(MetricsService));
  // JSON answers of the management, control and cluster APIs go compressed (never the proxy's
  // relays or any SSE stream).
  installJsonCompression(fastify);
  if (opts.accessLog ?? true) {
    const peer = app.get(PeerService);
    installAccessLog(fastify, (req) => peer.address(req));
  }
  // Keys and body sizes are checked in onRequest, before any body is read.
  installRequestGate(fastify, {
    config,
    clientKeys: app.get(ClientKeyService, { strict: false }),
    management: app.get(ManagementGuard, { strict: false }),
    control: app.get(ControlAuthGuard, { strict: false }),
    cluster: app.get(ClusterAuthGuard, { strict: false }),
    defaultBodyLimit: limitMb() * 1024 * 1024,
  });
  // Multipart bodies (auth-file uploads) are read only by the routes that ask for them.
  await app.register(multipart, { limits: UPLOAD_LIMITS });
  const filter = new ErrorFilter(limitMb);
  app.useGlobalFilters(filter);
  return app;
}
