import type { FastifyInstance } from 'fastify';
import type { MetricsService } from '@app/metrics';

/** Incoming request ids we accept verbatim (anything else is replaced with our own). */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request id to use for a request: the caller's `x-request-id` when sane, otherwise a new one. */
export function pickRequestId(
  header: string | string[] | undefined,
  generate: () => string,
): string {
  const v = Array.isArray(header) ? header[0] : header;
  return v && VALID_REQUEST_ID.test(v) ? v : generate();
}

/**
 * Fastify hooks on every request: echo the request id, and time the request into the HTTP
 * histogram labelled by route PATTERN (`/v1beta/models/*`), never by raw URL, so the series count
 * stays bounded whatever clients request.
 */
export function installHttpHooks(app: FastifyInstance, metrics: MetricsService): void {
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    // Read the peer's address while the socket is open: Node keeps it once read, and a
    // connection closed right after the answer (a load balancer's) would otherwise leave the
    // access line and the request log without a client address.
    void req.raw.socket.remoteAddress;
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observeHttp(
      req.routeOptions.url ?? 'unmatched',
      req.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
