import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { redisProblem } from '@app/common';
import {
  createRedisClient,
  type ConnectionRole,
  type RedisClient,
} from '@app/storage/redis.connection';
import {
  describeRedis,
  topologyOf,
  type RedisSettings,
  type RedisTopology,
} from '@app/storage/redis.options';

type MessageHandler = (message: string, channel: string) => void;

/** How long a command timeout makes `isReady` false (unless a PING answers sooner). */
const SUSPECT_MS = 2000;

/**
 * The process's Redis connections (docs/architecture.md, docs/redis.md): `command` for the
 * request path (short timeout, no offline queue) and `queue` for BullMQ (maxRetriesPerRequest:
 * null), plus a subscriber connection that exists only once something subscribes (a subscribed
 * connection cannot run other commands). Each is a plain connection, one that follows the
 * primary its sentinels name, or a Redis Cluster client, as the settings say. Every key goes
 * through `key()` so the prefix is applied once; multi-key operations hash-tag their keys
 * (docs/redis.md) so they stay within one slot on a Redis Cluster.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly command: RedisClient;
  readonly queue: RedisClient;
  /** How the deployment's Redis is laid out. */
  readonly topology: RedisTopology;
  private subscriber: RedisClient | undefined;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  /** Channels the subscriber connection has confirmed since it last (re)connected. */
  private readonly confirmed = new Set<string>();
  private lastErrorLog = 0;
  private suspectUntil = 0;
  private closed = false;

  constructor(
    readonly settings: RedisSettings,
    private readonly processName: string,
  ) {
    this.topology = topologyOf(settings);
    this.command = createRedisClient(settings, 'command', `${processName}:cmd`);
    this.queue = createRedisClient(settings, 'queue', `${processName}:queue`);
    for (const conn of [this.command, this.queue]) this.watch(conn);
  }

  /**
   * A new connection of its own for `role` (a BullMQ worker's or a stream tail's blocking reads,
   * a pub/sub subscriber), to the same Redis and following it the same way. The caller closes
   * it; errors are the caller's to listen to.
   */
  connection(role: Exclude<ConnectionRole, 'command'>, name: string): RedisClient {
    return createRedisClient(this.settings, role, `${this.processName}:${name}`);
  }

  /**
   * True when PUBLISH's reply counts every subscriber. On a Redis Cluster it counts only the
   * subscribers of the node that took the message (the others get it over the cluster bus), so
   * a 0 there does not mean that nobody listens.
   */
  get receiversCounted(): boolean {
    return this.topology !== 'cluster';
  }

  /** Where this process's Redis is, for logs (no secrets). */
  describe(): string {
    return describeRedis(this.settings);
  }

  /** Start connecting without waiting (the process must come up even when Redis is down). */
  connect(): void {
    for (const conn of [this.command, this.queue]) {
      conn.connect().catch(() => undefined); // errors are reported by the 'error' listener
    }
  }

  /**
   * Prefix a key: `key('routing', 'state')` → `sb:routing:state`. Keys used together in one
   * script, MULTI or pipeline share a hash tag: `key(hashTag('usage'), 'day')` → `sb:{usage}:day`.
   */
  key(...parts: (string | number)[]): string {
    return this.settings.keyPrefix + parts.join(':');
  }

  /**
   * True when the request-path connection is up and no command timed out recently. A stopped
   * (not closed) Redis keeps the socket "ready" while every command waits out its timeout;
   * callers that have a local fallback use this to skip Redis instead of waiting too.
   */
  get isReady(): boolean {
    return this.command.status === 'ready' && Date.now() >= this.suspectUntil;
  }

  /**
   * A command timed out: report the connection as not ready for `forMs`, or until a PING
   * answers, whichever comes first.
   */
  markSuspect(forMs = SUSPECT_MS): void {
    this.suspectUntil = Date.now() + forMs;
  }

  /** Readiness check: PING within the command timeout (also clears a suspected stall). */
  async ping(): Promise<boolean> {
    if (this.command.status !== 'ready') return false;
    try {
      const ok = (await this.command.ping()) === 'PONG';
      if (ok) this.suspectUntil = 0;
      return ok;
    } catch {
      return false;
    }
  }

  /** Wait until the command connection is ready, up to `timeoutMs`. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    if (this.command.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.command.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.command.on('ready', onReady);
    });
  }

  /**
   * Call `fn` each time the request-path connection comes back after a loss, or (Redis Cluster)
   * a node leaves the cluster: writes answered just before may not have reached the replica
   * that is primary now. Returns the function that stops the calls.
   */
  onReconnect(fn: () => void): () => void {
    let lost = false;
    const onClose = () => {
      lost = true;
    };
    const onReady = () => {
      if (!lost) return;
      lost = false;
      fn();
    };
    this.command.on('close', onClose);
    this.command.on('ready', onReady);
    if (this.topology === 'cluster') this.command.on('-node', fn);
    return () => {
      this.command.off('close', onClose);
      this.command.off('ready', onReady);
      this.command.off('-node', fn);
    };
  }

  /** Publish on a prefixed channel; false when Redis is unreachable. */
  async publish(channel: string, message: string): Promise<boolean> {
    try {
      await this.command.publish(this.key('ch', channel), message);
      return true;
    } catch (err) {
      this.logger.warn(`publish ${channel} failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** Subscribe to a prefixed channel; returns an unsubscribe function. */
  subscribe(channel: string, handler: MessageHandler): () => void {
    const full = this.key('ch', channel);
    let set = this.handlers.get(full);
    if (!set) {
      set = new Set();
      this.handlers.set(full, set);
      const sub = this.ensureSubscriber();
      // While the connection is still coming up, SUBSCRIBE would race ioredis's own ready check
      // and be refused ("Connection in subscriber mode"); the 'ready' listener issues it then.
      if (sub.status === 'ready') this.issueSubscribe(sub, [full]);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  /**
   * Wait until every channel subscribed so far is confirmed by Redis, up to `timeoutMs`: a
   * process that starts serving before that would miss announcements made meanwhile (a pause,
   * a config change). False on timeout (the periodic re-reads catch up later).
   */
  async waitSubscribed(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if ([...this.handlers.keys()].every((c) => this.confirmed.has(c))) return true;
      if (Date.now() >= end) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Close every connection (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const conns = [this.command, this.queue, this.subscriber].filter((c): c is RedisClient => !!c);
    await Promise.all(
      conns.map(async (c) => {
        try {
          if (c.status === 'ready') await c.quit();
          else c.disconnect();
        } catch {
          c.disconnect();
        }
      }),
    );
  }

  private ensureSubscriber(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const sub = createRedisClient(this.settings, 'subscriber', `${this.processName}:sub`);
    this.watch(sub);
    // Every (re)connect subscribes to every channel with a handler: SUBSCRIBE is idempotent, and
    // this covers channels added while the connection was down or still connecting.
    sub.on('ready', () => this.issueSubscribe(sub, [...this.handlers.keys()]));
    sub.on('close', () => this.confirmed.clear());
    sub.on('message', (channel: string, message: string) => {
      const set = this.handlers.get(channel);
      if (!set) return;
      const name = channel.slice(this.key('ch', '').length);
      for (const h of set) {
        try {
          h(message, name);
        } catch (err) {
          this.logger.error(`handler for ${name} threw: ${(err as Error).message}`);
        }
      }
    });
    this.subscriber = sub;
    return sub;
  }

  private issueSubscribe(sub: RedisClient, channels: string[]): void {
    if (channels.length === 0) return;
    sub
      .subscribe(...channels)
      .then(() => {
        for (const c of channels) this.confirmed.add(c);
      })
      .catch((err: Error) => {
        // A failure here means no cross-replica messages for these channels: never silent.
        this.logger.warn(`subscribe ${channels.join(', ')} failed: ${err.message}`);
      });
  }

  private watch(conn: RedisClient): void {
    // Every repository that writes on reconnect listens to `ready` (usage, logs, limits,
    // membership, traffic…): more than Node's default of 10, and no leak.
    conn.setMaxListeners(64);
    const report = (err: Error) => {
      // Rate-limit the log: a down Redis reports an error per reconnect attempt.
      const now = Date.now();
      if (now - this.lastErrorLog > 5000) {
        this.lastErrorLog = now;
        this.logger.warn(
          redisProblem(err, this.describe()) ?? `${this.describe()}: ${err.message}`,
        );
      }
    };
    conn.on('error', report);
    // A Redis Cluster reports a failing node here (and goes on with the others).
    if (this.topology === 'cluster') conn.on('node error', report);
  }
}
