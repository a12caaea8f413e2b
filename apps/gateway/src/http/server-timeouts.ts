import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { AppConfig } from '@app/config';

/** The Node server fields `applyServerTimeouts` sets (a subset of `http.Server`). */
export type TimeoutTarget = Pick<
  Server,
  'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout'
> & {
  /** Read by Node when the server starts listening (not in @types/node as a property). */
  connectionsCheckingInterval?: number;
};

/** How often Node looks for connections past their header or request deadline (ms). */
const CHECK_EVERY_MS = 1000;

/**
 * Apply `server-timeouts` to the gateway's HTTP server, before it listens. Node only checks the
 * header and request deadlines every `connectionsCheckingInterval` (30 s by default), so that
 * check runs every second here: a slowloris client is cut within a second of its deadline.
 */
export function applyServerTimeouts(
  server: TimeoutTarget,
  t: Readonly<AppConfig['server-timeouts']>,
): void {
  server.requestTimeout = Math.round(t['request-seconds'] * 1000);
  server.headersTimeout = Math.round(t['headers-seconds'] * 1000);
  server.keepAliveTimeout = Math.round(t['keep-alive-seconds'] * 1000);
  server.connectionsCheckingInterval = Math.min(CHECK_EVERY_MS, server.headersTimeout);
}

/**
 * Close connections that send nothing at all within `headersMs` of connecting. Node's header
 * deadline starts only with a request's first byte, so without this a silent connection is held
 * forever (Fastify sets no socket timeout: long upstream calls must not be cut). The timer is
 * cleared when the first request arrives; later idle time is `keep-alive-seconds`' business.
 */
export function closeSilentConnections(server: Server, headersMs: number): void {
  const fresh = new WeakSet<Socket>();
  const event = server instanceof TlsServer ? 'secureConnection' : 'connection';
  server.on(event, (socket: Socket) => {
    fresh.add(socket);
    // No 'timeout' listener: Node's http server destroys a socket that times out unclaimed.
    socket.setTimeout(headersMs);
  });
  server.on('request', (req: IncomingMessage) => {
    if (fresh.delete(req.socket)) req.socket.setTimeout(0);
  });
}
