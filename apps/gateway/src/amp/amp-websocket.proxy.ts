import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ConfigService, type AppConfig } from '@app/config';
import { AddressSet, clientAddress, extractClientKey, isLoopback, matchesAny } from '@app/common';
import {
  AMP_ACTORS_PREFIX,
  AMP_LOCALHOST_ONLY,
  ampRequestHeaders,
  ampTargetUrl,
  ampUpgradeResponseHead,
  ampUpstreamKey,
  isGatewayApiPath,
  isKnownAmpApiPath,
  isUnder,
  pathOfUrl,
} from '@app/proxy';
import { UpstreamHttp } from '@app/upstream';
import { AMP_UNAVAILABLE } from '@app/gateway/amp/amp-proxy.service';
import { LifecycleService } from '@app/gateway/lifecycle/lifecycle.service';
import { WS_RELAY_PATH } from '@app/gateway/ws/ws-relay.server';

/** Which Amp WebSocket a path opens, if any. */
type AmpSocketKind = 'actors' | 'api';

/** A tunnel still open: both sockets, so shutdown can cut them. */
interface Tunnel {
  client: Duplex;
  upstream: Duplex;
}

const trustedSets = new WeakMap<readonly string[], AddressSet>();

function trustedOf(cfg: AppConfig): AddressSet {
  const list = cfg['trusted-proxies'];
  let set = trustedSets.get(list);
  if (!set) trustedSets.set(list, (set = new AddressSet(list)));
  return set;
}

/**
 * WebSocket upgrades in Amp's namespace, tunnelled to the Amp upstream: the thread actors
 * (`/actors/...`, Rivet's actor gateway, which the current Amp CLI drives a thread through) and
 * any upgrade under `/api/` that is not the gateway's own. The handshake is Amp's (the client's
 * Sec-WebSocket-* headers go as sent, the upstream's 101 comes back as sent) and frames pass as
 * raw bytes both ways, compression included. The same rules as the HTTP routes apply: no
 * upstream URL → 503, `restrict-management-to-localhost`, a client key for `/api/` (for
 * `/actors`, only when the caller sends one; the Amp key goes along only then).
 */
@Injectable()
export class AmpWebSocketProxy implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Amp');
  private readonly tunnels = new Set<Tunnel>();
  private server: Server | undefined;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.upgrade(req, socket, head);
  };

  constructor(
    private readonly host: HttpAdapterHost,
    private readonly config: ConfigService,
    private readonly http: UpstreamHttp,
    private readonly lifecycle: LifecycleService,
  ) {}

  onModuleInit(): void {
    this.server = this.host.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
  }

  /** Cut every tunnel: the Amp CLI reconnects (to another replica if need be). */
  beforeApplicationShutdown(): void {
    this.server?.off('upgrade', this.onUpgrade);
    for (const t of this.tunnels) {
      t.upstream.destroy();
      t.client.destroy();
    }
    this.tunnels.clear();
  }

  /** Open tunnels (for tests and diagnostics). */
  get openTunnels(): number {
    return this.tunnels.size;
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = pathOfUrl(req.url);
    const kind = socketKind(path);
    if (!kind) {
      // The relay owns its path; every other upgrade is answered here (the relay leaves
      // paths it does not own to the other upgrade listeners).
      if (path !== WS_RELAY_PATH) refuse(socket, 404, notFound(path));
      return;
    }
    const cfg = this.config.current;
    const base = cfg.ampcode['upstream-url'].trim();
    if (!base) {
      // As over HTTP: Amp's known trees hint at the missing setting, other paths do not exist.
      const known = kind === 'actors' || isKnownAmpApiPath(path);
      return refuse(socket, known ? 503 : 404, known ? AMP_UNAVAILABLE.error : notFound(path));
    }
    if (this.lifecycle.draining) {
      return refuse(socket, 503, 'The gateway is shutting down; connect to another replica');
    }
    if (cfg.ampcode['restrict-management-to-localhost']) {
      const from = clientAddress(
        req.socket.remoteAddress,
        req.headers['x-forwarded-for'],
        trustedOf(cfg),
      );
      if (!isLoopback(from)) {
        this.logger.warn(`refused a non-local Amp WebSocket from ${from}`);
        return refuse(socket, 403, AMP_LOCALHOST_ONLY);
      }
    }
    const url = new URL(req.url ?? '/', 'http://gateway');
    const clientKey = extractClientKey({
      headers: req.headers,
      query: { key: url.searchParams.get('key') ?? undefined },
    });
    const keys = cfg['api-keys'];
    const mustCheck = kind === 'api' || clientKey !== undefined;
    if (mustCheck && keys.length > 0 && !(clientKey && matchesAny(clientKey, keys))) {
      return refuse(socket, 401, 'Invalid or missing API key');
    }

    const target = new URL(ampTargetUrl(base, req.url ?? '/', clientKey));
    const ampKey =
      kind === 'api' || clientKey !== undefined
        ? ampUpstreamKey(cfg.ampcode, clientKey)
        : undefined;
    const options = {
      origin: target.origin,
      path: target.pathname + target.search,
      method: 'GET',
      headers: ampRequestHeaders(req.headers, ampKey),
      protocol: headerText(req.headers.upgrade) ?? 'websocket',
    };
    // The client may leave while the upstream handshake is pending.
    let gone = false;
    const onEarlyClose = (): void => {
      gone = true;
    };
    socket.once('close', onEarlyClose);
    let upgraded: Dispatcher.UpgradeData;
    try {
      upgraded = await this.http.dispatcher(proxyOf(cfg['proxy-url'])).upgrade(options);
    } catch (err) {
      socket.off('close', onEarlyClose);
      this.logger.error(
        `amp upstream WebSocket error for ${target.pathname}: ${(err as Error).message}`,
      );
      if (!gone) refuse(socket, 502, 'Failed to reach Amp upstream');
      return;
    }
    socket.off('close', onEarlyClose);
    if (gone) {
      upgraded.socket.destroy();
      return;
    }
    this.tunnel(socket, upgraded, head, target.pathname);
  }

  /** Answer the client's handshake with the upstream's and splice the two sockets. */
  private tunnel(
    client: Duplex,
    upgraded: Dispatcher.UpgradeData,
    head: Buffer,
    path: string,
  ): void {
    const upstream = upgraded.socket;
    const t: Tunnel = { client, upstream };
    this.tunnels.add(t);
    let closed = false;
    const close = (why?: Error): void => {
      if (closed) return;
      closed = true;
      this.tunnels.delete(t);
      if (why) this.logger.debug(`amp WebSocket ${path} closed: ${why.message}`);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', () => close());
    upstream.on('close', () => close());
    client.write(ampUpgradeResponseHead(upgraded.headers));
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  }
}

/** `actors` and `api` for Amp's WebSocket paths; undefined for everything else. */
function socketKind(path: string): AmpSocketKind | undefined {
  if (isUnder(path, AMP_ACTORS_PREFIX)) return 'actors';
  if (path.startsWith('/api/') && !isGatewayApiPath(path)) return 'api';
  return undefined;
}

function notFound(path: string): string {
  return `No WebSocket endpoint at ${path}; the relay is ${WS_RELAY_PATH}`;
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The global outbound proxy (`direct`/`none` and '' mean none). */
function proxyOf(url: string): string | undefined {
  const v = url.trim();
  const lower = v.toLowerCase();
  return v && lower !== 'direct' && lower !== 'none' ? v : undefined;
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
