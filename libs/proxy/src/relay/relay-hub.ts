import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { AbortSource } from '@app/upstream';
import { RedisService } from '@app/storage';
import { RelayChannels } from '@app/proxy/relay/relay-channels';
import { RelayDirectory } from '@app/proxy/relay/relay-directory';
import {
  RelayError,
  RelayExchange,
  asUndiciResponse,
  type RelayResponse,
} from '@app/proxy/relay/relay-exchange';
import {
  RelayType,
  httpRequestMessage,
  type RelayHttpRequest,
  type RelayMessage,
} from '@app/proxy/relay/relay.protocol';
import {
  DEFAULT_RELAY_TIMING,
  RelaySession,
  errorFrame,
  type RelaySessionTiming,
  type RelaySocket,
} from '@app/proxy/relay/relay-session';

/** One call to send over the relay. */
export interface RelayCall {
  method: string;
  headers: Readonly<Record<string, string>>;
  body: string;
  signal?: AbortSource;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
}

/** Frames between replicas on their private channels (`ws-relay:<instance id>`). */
type Wire =
  /** Run a request on a connection this replica holds; answer on `from`'s channel. */
  | { t: 'req'; conn: string; id: string; from: string; payload: RelayMessage['payload'] }
  /** The caller left: stop routing its frames. */
  | { t: 'cancel'; conn: string; id: string }
  /** A frame answering request `id`. */
  | { t: 'msg'; id: string; msg: RelayMessage };

/** Upstream headers the app must not see: it calls Google with its own session. */
const DROPPED_HEADERS = new Set(['authorization', 'x-goog-api-key', 'x-api-key']);

function channelOf(instance: string): string {
  return `ws-relay:${instance}`;
}

function parseWire(text: string): Wire | undefined {
  try {
    const v = JSON.parse(text) as Partial<Wire> & Record<string, unknown>;
    if (v.t === 'req' && typeof v.conn === 'string' && typeof v.id === 'string') return v as Wire;
    if (v.t === 'cancel' && typeof v.conn === 'string' && typeof v.id === 'string')
      return v as Wire;
    if (v.t === 'msg' && typeof v.id === 'string' && typeof v.msg === 'object') return v as Wire;
  } catch {
    // Not ours.
  }
  return undefined;
}

/**
 * The `/v1/ws` relay across the cluster. Sockets live on one replica each (RelaySession); the
 * request that picks such a credential may arrive on any replica. A local connection is used
 * directly; a remote one gets the request on its owner's private channel, and the owner
 * publishes every answering frame on the caller's channel, in order (one publisher, one
 * channel). Private per-replica channels, subscribed once at start-up, rather than one per
 * connection or request: a per-request channel would cost a confirmed SUBSCRIBE round trip
 * before every request could be published.
 */
@Injectable()
export class RelayHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('WsRelay');
  private readonly sessions = new Map<string, RelaySession>();
  /** Calls made from this replica, by request id. */
  private readonly exchanges = new Map<string, { conn: string; exchange: RelayExchange }>();
  private offChannel: (() => void) | undefined;
  private offDirectory: (() => void) | undefined;
  private stopping = false;
  /** Session timing (tests shorten it). */
  timing: RelaySessionTiming = DEFAULT_RELAY_TIMING;

  constructor(
    private readonly directory: RelayDirectory,
    private readonly redis: RedisService,
    private readonly channels: RelayChannels,
  ) {}

  onModuleInit(): void {
    this.offChannel = this.channels.listen(channelOf(this.directory.instanceId), (text) =>
      this.onWire(text),
    );
    this.offDirectory = this.directory.onChange(() => this.dropVanished());
  }

  /** Close every socket this replica holds (they reconnect to another replica). */
  async beforeApplicationShutdown(): Promise<void> {
    this.offChannel?.();
    this.offDirectory?.();
    // Unregistered below, awaited, while Redis is still open.
    this.stopping = true;
    const sessions = [...this.sessions.values()];
    for (const s of sessions) s.close('gateway shutting down');
    await Promise.all(sessions.map((s) => this.directory.unregister(s.id)));
  }

  /** Live connections on this replica. */
  get localCount(): number {
    return this.sessions.size;
  }

  /**
   * Adopt a freshly upgraded socket: it becomes a credential (provider `aistudio`) on every
   * replica. The returned session must be told about frames, pongs and the socket's close.
   */
  attach(socket: RelaySocket, label?: string): RelaySession {
    const id = `aistudio-${randomBytes(8).toString('hex')}`;
    const session = new RelaySession(
      id,
      socket,
      {
        heartbeat: (s) => void this.directory.refresh(s.id),
        closed: (s, reason) => {
          this.sessions.delete(s.id);
          this.logger.log(`relay ${s.id} closed (${reason})`);
          if (!this.stopping) void this.directory.unregister(s.id);
        },
      },
      this.timing,
    );
    this.sessions.set(id, session);
    this.logger.log(`relay ${id} connected${label ? ` from ${label}` : ''}`);
    void this.directory.register({
      id,
      owner: this.directory.instanceId,
      label: id,
      connectedAt: Date.now(),
    });
    return session;
  }

  /**
   * Send one HTTP call over connection `conn` (wherever it lives) and resolve with the answer's
   * head; its body streams as frames arrive. Failures before the head reject with undici-style
   * codes (`UND_ERR_HEADERS_TIMEOUT`…), so the proxy fails over and classifies them as usual.
   */
  request(conn: string, url: string, call: RelayCall): Promise<Dispatcher.ResponseData> {
    return this.send(conn, url, call).then(asUndiciResponse);
  }

  private send(conn: string, url: string, call: RelayCall): Promise<RelayResponse> {
    const id = randomUUID();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(call.headers)) {
      if (!DROPPED_HEADERS.has(name.toLowerCase())) headers[name] = value;
    }
    const req: RelayHttpRequest = { method: call.method, url, headers, body: call.body };
    const message = httpRequestMessage(id, req);
    const local = this.sessions.get(conn);
    const owner = local ? this.directory.instanceId : this.directory.ownerOf(conn);
    const exchange = new RelayExchange({
      signal: call.signal,
      headersTimeoutMs: call.headersTimeoutMs,
      idleTimeoutMs: call.idleTimeoutMs,
      onEnd: (how) => {
        this.exchanges.delete(id);
        if (how !== 'cancelled') return;
        if (local) local.forget(id);
        else if (owner) void this.publish(owner, { t: 'cancel', conn, id });
      },
    });
    if (!owner) {
      exchange.fail(new RelayError(`relay connection ${conn} is gone`, 'ECONNRESET'), 'done');
      return exchange.response;
    }
    this.exchanges.set(id, { conn, exchange });
    if (local) {
      local.request(message, (msg) => exchange.deliver(msg));
      return exchange.response;
    }
    void this.publish(owner, {
      t: 'req',
      conn,
      id,
      from: this.directory.instanceId,
      payload: message.payload,
    }).then((delivered) => {
      if (!delivered) {
        exchange.fail(
          new RelayError(
            `the replica holding relay connection ${conn} is unreachable`,
            'ECONNRESET',
          ),
          'done',
        );
      }
    });
    return exchange.response;
  }

  /** A frame on this replica's private channel. */
  private onWire(text: string): void {
    const wire = parseWire(text);
    if (!wire) return;
    switch (wire.t) {
      case 'msg':
        this.exchanges.get(wire.id)?.exchange.deliver(wire.msg);
        return;
      case 'cancel':
        this.sessions.get(wire.conn)?.forget(wire.id);
        return;
      case 'req': {
        const reply = (msg: RelayMessage): void =>
          void this.publish(wire.from, { t: 'msg', id: wire.id, msg });
        const session = this.sessions.get(wire.conn);
        if (!session) {
          reply(errorFrame(wire.id, `relay connection ${wire.conn} is not connected`));
          return;
        }
        session.request({ id: wire.id, type: RelayType.HttpRequest, payload: wire.payload }, reply);
        return;
      }
    }
  }

  /**
   * Publish on a replica's channel; false when nobody listens there (the replica is gone). A
   * Redis Cluster counts only one node's subscribers: there, a delivered message is true and
   * a vanished replica shows when its calls time out.
   */
  private async publish(instance: string, wire: Wire): Promise<boolean> {
    try {
      const receivers = await this.redis.command.publish(
        this.redis.key('ch', channelOf(instance)),
        JSON.stringify(wire),
      );
      return receivers > 0 || !this.redis.receiversCounted;
    } catch (err) {
      this.logger.warn(`relay publish failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** Calls to connections that left the directory cannot be answered: fail them now. */
  private dropVanished(): void {
    for (const { conn, exchange } of [...this.exchanges.values()]) {
      if (!this.sessions.has(conn) && !this.directory.ownerOf(conn)) {
        exchange.fail(new RelayError(`relay connection ${conn} closed`, 'ECONNRESET'), 'done');
      }
    }
  }
}
