import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ConfigService } from '@app/config';
import { acceptsClientKey, extractClientKey } from '@app/common';
import { RelayHub, type RelaySocket } from '@app/proxy';
import { LifecycleService } from '@app/gateway/lifecycle/lifecycle.service';

/** The relay's path (CLIProxyAPI's). */
export const WS_RELAY_PATH = '/v1/ws';

/** Largest frame accepted from the app (CLIProxyAPI's 64 MiB). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** How long sockets get to close cleanly at shutdown before they are cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * `GET /v1/ws`: the WebSocket through which a browser-side app becomes a runtime credential
 * (provider `aistudio`, see RelayHub). Attached to the HTTP server's upgrade event for this
 * path only; with `ws-auth: true` the upgrade needs a client key (header or `?key=`) from
 * `api-keys`, otherwise it is open, as in CLIProxyAPI.
 */
@Injectable()
export class WsRelayServer implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('WsRelay');
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });
  private server: Server | undefined;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void =>
    this.upgrade(req, socket, head);

  constructor(
    private readonly host: HttpAdapterHost,
    private readonly hub: RelayHub,
    private readonly config: ConfigService,
    private readonly lifecycle: LifecycleService,
  ) {}

  onModuleInit(): void {
    this.server = this.host.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
  }

  /** Close every relay socket (its app reconnects, to another replica if need be). */
  async beforeApplicationShutdown(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    const open = [...this.wss.clients];
    for (const ws of open) ws.close(1001, 'gateway shutting down');
    const closed = Promise.all(
      open.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve()))),
    );
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS))]);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== WS_RELAY_PATH) {
      // Another upgrade handler may own the path; answer only when there is none.
      if ((this.server?.listenerCount('upgrade') ?? 0) <= 1) {
        refuse(
          socket,
          404,
          `No WebSocket endpoint at ${url.pathname}; the relay is ${WS_RELAY_PATH}`,
        );
      }
      return;
    }
    if (this.lifecycle.draining) {
      refuse(socket, 503, 'The gateway is shutting down; connect to another replica');
      return;
    }
    const cfg = this.config.current;
    const keys = cfg['api-keys'];
    if (cfg['ws-auth'] && keys.length > 0) {
      const key = extractClientKey({
        headers: req.headers,
        query: { key: url.searchParams.get('key') ?? undefined },
      });
      if (!key || !acceptsClientKey(key, keys)) {
        refuse(socket, 401, 'Invalid or missing API key');
        return;
      }
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.adopt(ws, req));
  }

  /** Hand a new socket to the hub and feed it the socket's events. */
  private adopt(ws: WebSocket, req: IncomingMessage): void {
    const socket: RelaySocket = {
      send: (text) => ws.send(text),
      ping: () => ws.ping(),
      close: (code, reason) => ws.close(code, reason),
    };
    const session = this.hub.attach(socket, req.socket.remoteAddress);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      session.onText(rawText(data));
    });
    ws.on('pong', () => session.onPong());
    ws.on('close', (code: number) => session.onSocketClosed(`socket closed (${code})`));
    ws.on('error', (err: Error) => {
      this.logger.warn(`relay ${session.id}: ${err.message}`);
      session.onSocketClosed(err.message);
    });
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** Answer an upgrade request with a plain HTTP error and drop the socket. */
function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  );
}
