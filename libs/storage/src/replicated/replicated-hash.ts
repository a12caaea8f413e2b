import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { RedisService } from '@app/storage/redis.service';

/** How the values of one replicated hash are stored, compared and aged. */
export interface ReplicatedHashCodec<V> {
  /** The stored form (JSON-serialisable; kept short, it goes to every replica on each change). */
  encode(value: V): unknown;
  /** Back from the stored form; undefined for anything malformed (it is then ignored). */
  decode(stored: unknown): V | undefined;
  /** The value's write time: when replicas disagree, the newer write wins. */
  version(value: V): number;
  /** A value the periodic reload may delete from Redis (nothing active, long untouched). */
  isStale?(value: V, now: number): boolean;
}

/** Where a replicated hash lives and how often it heals. */
export interface ReplicatedHashOptions<V> {
  /** Full (prefixed) key of the Redis hash. */
  key: string;
  /** Pub/sub channel announcing every change (prefixed by RedisService). */
  channel: string;
  codec: ReplicatedHashCodec<V>;
  /** Full reload from Redis at this period, healing missed notifications (default 2000 ms). */
  refreshMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Logger context for the (debug) reload failures. */
  name?: string;
}

/** One change as announced on the channel (`v: null` = the field was deleted). */
interface ChangeMessage {
  from: string;
  f: string;
  v: unknown;
}

/**
 * A Redis hash mirrored in every replica's memory. Reads never touch Redis: they come from the
 * local map, kept current by a pub/sub message on every change and a periodic full reload
 * (which also heals missed messages and drops stale values). Writes apply locally first, then
 * go to Redis; while Redis is down the local map carries on and the changes are pushed once it
 * is back. Nothing here throws: callers sit on the request path.
 *
 * Every operation touches one key, so it works unchanged on Redis Cluster.
 */
export class ReplicatedHash<V> {
  private readonly logger: Logger;
  /** Identifies this instance's own announcements. */
  readonly instanceId = randomBytes(6).toString('hex');
  private readonly values = new Map<string, V>();
  /** Local changes Redis has not accepted yet (null = a deletion). */
  private readonly dirty = new Map<string, V | null>();
  private readonly refreshMs: number;
  private readonly now: () => number;
  private readonly codec: ReplicatedHashCodec<V>;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private refreshing: Promise<boolean> | undefined;

  constructor(
    private readonly redis: RedisService,
    private readonly opts: ReplicatedHashOptions<V>,
  ) {
    this.refreshMs = opts.refreshMs ?? 2000;
    this.now = opts.now ?? Date.now;
    this.codec = opts.codec;
    this.logger = new Logger(opts.name ?? 'ReplicatedHash');
  }

  /** Subscribe to changes and start the periodic reload (first reload right away). */
  start(): void {
    if (this.timer) return;
    this.unsubscribe = this.redis.subscribe(this.opts.channel, (m) => this.onMessage(m));
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
    void this.refresh();
  }

  /** Stop listening (the local copy stays readable). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The local value of a field. */
  get(field: string): V | undefined {
    return this.values.get(field);
  }

  /** Every local field and value. */
  entries(): IterableIterator<[string, V]> {
    return this.values.entries();
  }

  /** Every local field. */
  fields(): string[] {
    return [...this.values.keys()];
  }

  /** Apply locally at once, then persist and announce (null deletes); a Redis failure leaves it dirty. */
  async set(field: string, value: V | null): Promise<void> {
    if (value !== null) this.values.set(field, value);
    else this.values.delete(field);
    if (!this.redis.isReady) {
      this.dirty.set(field, value);
      return;
    }
    try {
      await this.persist(field, value);
      this.dirty.delete(field);
    } catch {
      this.dirty.set(field, value);
    }
  }

  /**
   * Reload everything from Redis, first pushing local changes Redis missed. Returns false when
   * Redis is unreachable (the local copy is kept as it is).
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    if (!this.redis.isReady) return false;
    try {
      await this.flushDirty();
      const startedAt = this.now();
      const remote = await this.redis.command.hgetall(this.opts.key);
      const seen = new Set<string>();
      for (const [field, text] of Object.entries(remote)) {
        const value = this.parse(text);
        if (value === undefined) continue;
        if (this.codec.isStale?.(value, startedAt)) {
          this.redis.command.hdel(this.opts.key, field).catch(() => undefined);
          continue;
        }
        seen.add(field);
        if (this.dirty.has(field)) continue;
        const local = this.values.get(field);
        if (!local || this.codec.version(value) >= this.codec.version(local))
          this.values.set(field, value);
      }
      for (const [field, local] of this.values) {
        // Gone from Redis (deleted elsewhere) unless it changed here after the read began.
        if (!seen.has(field) && !this.dirty.has(field) && this.codec.version(local) < startedAt)
          this.values.delete(field);
      }
      return true;
    } catch (err) {
      this.logger.debug(`refresh failed: ${(err as Error).message}`);
      return false;
    }
  }

  private async flushDirty(): Promise<void> {
    for (const [field, value] of [...this.dirty]) {
      await this.persist(field, value);
      if (this.dirty.get(field) === value) this.dirty.delete(field);
    }
  }

  private async persist(field: string, value: V | null): Promise<void> {
    const stored = value === null ? null : this.codec.encode(value);
    if (stored !== null)
      await this.redis.command.hset(this.opts.key, field, JSON.stringify(stored));
    else await this.redis.command.hdel(this.opts.key, field);
    const message: ChangeMessage = { from: this.instanceId, f: field, v: stored };
    await this.redis.publish(this.opts.channel, JSON.stringify(message));
  }

  private parse(text: string): V | undefined {
    try {
      return this.codec.decode(JSON.parse(text));
    } catch {
      return undefined;
    }
  }

  private onMessage(text: string): void {
    let msg: ChangeMessage;
    try {
      msg = JSON.parse(text) as ChangeMessage;
    } catch {
      return;
    }
    if (!msg || msg.from === this.instanceId || typeof msg.f !== 'string') return;
    if (msg.v === null) {
      this.values.delete(msg.f);
      return;
    }
    const value = this.codec.decode(msg.v);
    if (value === undefined) return;
    const local = this.values.get(msg.f);
    if (!local || this.codec.version(value) >= this.codec.version(local))
      this.values.set(msg.f, value);
  }
}
