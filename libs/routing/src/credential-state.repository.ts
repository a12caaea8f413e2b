import { createHash, randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { RedisService } from '@app/storage';
import type { CooldownDecision } from '@app/routing/cooldown.policy';

/** Runtime state of one credential for one model (model `*` = the whole credential). */
export interface ModelState {
  /** Epoch ms until which the credential is benched for this model; 0 = not cooling. */
  readonly cooldownUntil: number;
  /** Consecutive rate-limit failures (drives the 429 backoff). */
  readonly level: number;
  /** Epoch ms until which the quota is known to be spent (set by the worker's quota poll). */
  readonly quotaExceededUntil: number;
  readonly lastError?: { readonly status: number; readonly message: string; readonly at: number };
  /**
   * The credential is unusable until someone acts (refresh token revoked): routing skips it with
   * no end time. Only set on the `*` entry.
   */
  readonly error?: CredentialError;
  /** Epoch ms of the last change; the newer write wins when replicas disagree. */
  readonly updatedAt: number;
}

/** Why a credential is out of service until a person fixes it (shown in the panel). */
export interface CredentialError {
  readonly message: string;
  readonly at: number;
  /**
   * Identifies the secret that failed (a hash of the refresh token), so a fresh login with a new
   * token is recognised and the mark ignored.
   */
  readonly fingerprint?: string;
}

/**
 * A short non-reversible fingerprint of a secret (a refresh token): error marks keep it, never
 * the secret, so a mark can be told to belong to a token a new login has since replaced.
 */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

/** Whether a credential may be tried for a model right now. */
export interface Availability {
  available: boolean;
  /** When not available: epoch ms at which it will be again. */
  until: number;
}

/** Options of the state repository. */
export interface CredentialStateOptions {
  /** Full reload from Redis at this period, healing missed notifications (default 2000 ms). */
  refreshMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Model key meaning "every model of this credential". */
export const ALL_MODELS = '*';

/** Pub/sub channel announcing every state change. */
export const STATE_CHANNEL = 'routing-state';

const MAX_MESSAGE = 300;
/** Cursors of models nobody asks for any more disappear after a day. */
const CURSOR_TTL_SECONDS = 24 * 3600;
/** Inactive entries (no cooldown, no quota) older than this are dropped on reload. */
const STALE_MS = 24 * 3600 * 1000;
const AVAILABLE: Availability = Object.freeze({ available: true, until: 0 });
/** An errored credential: unavailable with no end (the selector reports "none", not a cooldown). */
const UNAVAILABLE_FOR_GOOD: Availability = Object.freeze({
  available: false,
  until: Number.POSITIVE_INFINITY,
});

/** Stored form (short keys: it is written on every failure and published to every replica). */
interface StoredState {
  c: number;
  l: number;
  q: number;
  t: number;
  e?: { s: number; m: string; t: number };
  x?: { m: string; t: number; f?: string };
}

interface StateMessage {
  from: string;
  f: string;
  v: StoredState | null;
}

function encode(s: ModelState): StoredState {
  const out: StoredState = {
    c: s.cooldownUntil,
    l: s.level,
    q: s.quotaExceededUntil,
    t: s.updatedAt,
  };
  if (s.lastError) out.e = { s: s.lastError.status, m: s.lastError.message, t: s.lastError.at };
  if (s.error) {
    out.x = { m: s.error.message, t: s.error.at };
    if (s.error.fingerprint) out.x.f = s.error.fingerprint;
  }
  return out;
}

function decode(v: unknown): ModelState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Partial<StoredState>;
  if (
    typeof o.c !== 'number' ||
    typeof o.l !== 'number' ||
    typeof o.q !== 'number' ||
    typeof o.t !== 'number'
  ) {
    return undefined;
  }
  const state: ModelState = {
    cooldownUntil: o.c,
    level: o.l,
    quotaExceededUntil: o.q,
    updatedAt: o.t,
    ...(o.e && typeof o.e.s === 'number'
      ? { lastError: { status: o.e.s, message: String(o.e.m ?? ''), at: Number(o.e.t) || 0 } }
      : {}),
    ...(o.x && typeof o.x.m === 'string'
      ? {
          error: {
            message: o.x.m,
            at: Number(o.x.t) || 0,
            ...(typeof o.x.f === 'string' ? { fingerprint: o.x.f } : {}),
          },
        }
      : {}),
  };
  return state;
}

function parseStored(text: string): ModelState | undefined {
  try {
    return decode(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Per credential and model runtime state (cooldowns, failure level, last error, quota) and the
 * round-robin cursors, shared by every replica through Redis.
 *
 * Reads never touch Redis: they come from a local map kept current by a pub/sub notification
 * on every change and a periodic full reload. Writes update the local map first, then Redis;
 * when Redis is down the local state carries on (changes are pushed once it is back) and the
 * cursors fall back to in-process counters. Nothing here throws into the request path.
 */
export class CredentialStateRepository {
  private readonly logger = new Logger('CredentialState');
  /** Identifies this instance's own notifications. */
  readonly instanceId = randomBytes(6).toString('hex');
  private readonly states = new Map<string, ModelState>();
  /** Local changes Redis has not accepted yet (null = a deletion). */
  private readonly dirty = new Map<string, ModelState | null>();
  private readonly localCursors = new Map<string, number>();
  private readonly refreshMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private refreshing: Promise<boolean> | undefined;

  constructor(
    private readonly redis: RedisService,
    opts: CredentialStateOptions = {},
  ) {
    this.refreshMs = opts.refreshMs ?? 2000;
    this.now = opts.now ?? Date.now;
  }

  private get hashKey(): string {
    return this.redis.key('routing', 'state');
  }

  private static field(authIndex: string, model: string): string {
    return `${authIndex}|${model}`;
  }

  /** Subscribe to changes and start the periodic reload (first reload right away). */
  start(): void {
    if (this.timer) return;
    this.unsubscribe = this.redis.subscribe(STATE_CHANNEL, (message) => this.onMessage(message));
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
    void this.refresh();
  }

  /** Stop listening (the local state stays readable). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The stored state of a credential for a model (not merged with the `*` entry). */
  get(authIndex: string, model: string): ModelState | undefined {
    return this.states.get(CredentialStateRepository.field(authIndex, model));
  }

  /** Hot path: may the credential be tried for this model now? Local map lookups only. */
  availability(authIndex: string, model: string, now = this.now()): Availability {
    let until = 0;
    const own = this.states.get(CredentialStateRepository.field(authIndex, model));
    if (own) until = Math.max(own.cooldownUntil, own.quotaExceededUntil);
    const all = this.states.get(CredentialStateRepository.field(authIndex, ALL_MODELS));
    if (all) {
      if (all.error) return UNAVAILABLE_FOR_GOOD;
      until = Math.max(until, all.cooldownUntil, all.quotaExceededUntil);
    }
    return until > now ? { available: false, until } : AVAILABLE;
  }

  /** The credential's error mark (refresh token revoked…), if any. */
  errorOf(authIndex: string): CredentialError | undefined {
    return this.states.get(CredentialStateRepository.field(authIndex, ALL_MODELS))?.error;
  }

  /** Take a credential out of service until `clearError` (routing skips it, the panel shows why). */
  async markError(authIndex: string, error: Omit<CredentialError, 'at'>): Promise<void> {
    const field = CredentialStateRepository.field(authIndex, ALL_MODELS);
    const prev = this.states.get(field);
    const now = this.now();
    await this.write(field, {
      cooldownUntil: prev?.cooldownUntil ?? 0,
      level: prev?.level ?? 0,
      quotaExceededUntil: prev?.quotaExceededUntil ?? 0,
      lastError: prev?.lastError,
      error: { ...error, message: error.message.slice(0, MAX_MESSAGE), at: now },
      updatedAt: now,
    });
  }

  /** Put a credential back in service (no Redis traffic when it was not marked). */
  async clearError(authIndex: string): Promise<void> {
    const field = CredentialStateRepository.field(authIndex, ALL_MODELS);
    const prev = this.states.get(field);
    if (!prev?.error) return;
    const rest: ModelState = { ...prev, error: undefined, updatedAt: this.now() };
    const active = rest.cooldownUntil > this.now() || rest.quotaExceededUntil > this.now();
    await this.write(field, active ? rest : null);
  }

  /** Record an upstream failure and the cooldown the policy decided. */
  async recordFailure(
    authIndex: string,
    model: string,
    decision: CooldownDecision,
    error: { status: number; message?: string },
  ): Promise<ModelState> {
    const now = this.now();
    const prev = this.get(authIndex, model);
    const next: ModelState = {
      // Never shorten a cooldown another failure (or replica) already set.
      cooldownUntil: Math.max(
        prev?.cooldownUntil ?? 0,
        decision.cooldownMs > 0 ? now + decision.cooldownMs : 0,
      ),
      level: decision.nextLevel,
      quotaExceededUntil: prev?.quotaExceededUntil ?? 0,
      error: prev?.error,
      lastError: {
        status: error.status,
        message: (error.message ?? '').slice(0, MAX_MESSAGE),
        at: now,
      },
      updatedAt: now,
    };
    await this.write(CredentialStateRepository.field(authIndex, model), next);
    return next;
  }

  /** A success clears the model's cooldown and failure level (no Redis traffic if nothing to clear). */
  async recordSuccess(authIndex: string, model: string): Promise<void> {
    const field = CredentialStateRepository.field(authIndex, model);
    const prev = this.states.get(field);
    if (!prev) return;
    if (prev.quotaExceededUntil > this.now() || prev.error) {
      await this.write(field, {
        ...prev,
        cooldownUntil: 0,
        level: 0,
        lastError: undefined,
        updatedAt: this.now(),
      });
      return;
    }
    await this.write(field, null);
  }

  /** Mark a credential's quota as spent until `untilMs` (model `*` for every model). */
  async setQuotaExceeded(authIndex: string, model: string, untilMs: number): Promise<void> {
    const field = CredentialStateRepository.field(authIndex, model);
    const prev = this.states.get(field);
    const now = this.now();
    await this.write(field, {
      cooldownUntil: prev?.cooldownUntil ?? 0,
      level: prev?.level ?? 0,
      quotaExceededUntil: untilMs,
      lastError: prev?.lastError,
      error: prev?.error,
      updatedAt: now,
    });
  }

  /** Forget a credential's state for one model, or for every model. */
  async clear(authIndex: string, model?: string): Promise<void> {
    const fields = model
      ? [CredentialStateRepository.field(authIndex, model)]
      : [...this.states.keys()].filter((f) => f.startsWith(`${authIndex}|`));
    await Promise.all(fields.map((f) => this.write(f, null)));
  }

  /** Every known state, for management listings. */
  entries(): { authIndex: string; model: string; state: ModelState }[] {
    const out: { authIndex: string; model: string; state: ModelState }[] = [];
    for (const [field, state] of this.states) {
      const at = field.indexOf('|');
      out.push({ authIndex: field.slice(0, at), model: field.slice(at + 1), state });
    }
    return out;
  }

  /**
   * The next value of a round-robin cursor, shared by every replica (`INCR`), so N replicas
   * rotate as one. Falls back to an in-process counter while Redis is unreachable.
   */
  async nextCursor(bucket: string): Promise<number> {
    if (this.redis.isReady) {
      const key = this.redis.key('routing', 'rr', bucket);
      try {
        const n = await this.redis.command.incr(key);
        if (n === 1) this.redis.command.expire(key, CURSOR_TTL_SECONDS).catch(() => undefined);
        return n;
      } catch {
        // fall through to the local cursor
      }
    }
    const n = (this.localCursors.get(bucket) ?? 0) + 1;
    this.localCursors.set(bucket, n);
    return n;
  }

  /**
   * Reload everything from Redis, first pushing local changes Redis missed. Returns false when
   * Redis is unreachable (the local state is kept as it is).
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
      const remote = await this.redis.command.hgetall(this.hashKey);
      const seen = new Set<string>();
      for (const [field, text] of Object.entries(remote)) {
        const state = parseStored(text);
        if (!state) continue;
        if (
          !state.error &&
          Math.max(state.cooldownUntil, state.quotaExceededUntil) < startedAt &&
          state.updatedAt < startedAt - STALE_MS
        ) {
          // Nothing active and untouched for a day: forget it so the hash does not grow forever.
          this.redis.command.hdel(this.hashKey, field).catch(() => undefined);
          continue;
        }
        seen.add(field);
        if (this.dirty.has(field)) continue;
        const local = this.states.get(field);
        if (!local || state.updatedAt >= local.updatedAt) this.states.set(field, state);
      }
      for (const [field, local] of this.states) {
        // Gone from Redis (cleared elsewhere) unless it changed here after the read began.
        if (!seen.has(field) && !this.dirty.has(field) && local.updatedAt < startedAt)
          this.states.delete(field);
      }
      return true;
    } catch (err) {
      this.logger.debug(`refresh failed: ${(err as Error).message}`);
      return false;
    }
  }

  private async flushDirty(): Promise<void> {
    for (const [field, state] of [...this.dirty]) {
      await this.persist(field, state);
      if (this.dirty.get(field) === state) this.dirty.delete(field);
    }
  }

  /** Apply locally at once, then persist and announce; a Redis failure leaves it dirty. */
  private async write(field: string, state: ModelState | null): Promise<void> {
    if (state) this.states.set(field, state);
    else this.states.delete(field);
    if (!this.redis.isReady) {
      this.dirty.set(field, state);
      return;
    }
    try {
      await this.persist(field, state);
      this.dirty.delete(field);
    } catch {
      this.dirty.set(field, state);
    }
  }

  private async persist(field: string, state: ModelState | null): Promise<void> {
    const stored = state ? encode(state) : null;
    if (stored) await this.redis.command.hset(this.hashKey, field, JSON.stringify(stored));
    else await this.redis.command.hdel(this.hashKey, field);
    const message: StateMessage = { from: this.instanceId, f: field, v: stored };
    await this.redis.publish(STATE_CHANNEL, JSON.stringify(message));
  }

  private onMessage(text: string): void {
    let msg: StateMessage;
    try {
      msg = JSON.parse(text) as StateMessage;
    } catch {
      return;
    }
    if (!msg || msg.from === this.instanceId || typeof msg.f !== 'string') return;
    if (msg.v === null) {
      this.states.delete(msg.f);
      return;
    }
    const state = decode(msg.v);
    if (!state) return;
    const local = this.states.get(msg.f);
    if (!local || state.updatedAt >= local.updatedAt) this.states.set(msg.f, state);
  }
}
