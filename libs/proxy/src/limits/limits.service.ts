import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AppError } from '@app/common';
import { ConfigService, type AppConfig } from '@app/config';
import type { UsageRecord, UsageSink } from '@app/usage';
import { LimitsMetrics } from '@app/proxy/limits/limits.metrics';
import {
  admitArgs,
  limitError,
  limitWindows,
  modelError,
  parseAdmitReply,
  windowFromEnv,
  admitDeadlineFromEnv,
  type AdmitReply,
  type LimitWindows,
} from '@app/proxy/limits/limits.policy';
import {
  LimitsRepository,
  type LeaseRef,
  type LimitKeys,
} from '@app/proxy/limits/limits.repository';
import { buildLimitsTable, modelAllowed, type LimitsTable } from '@app/proxy/limits/limits.table';

/** The answer to "may this request start?". */
export interface Admission {
  /** A concurrency slot to give back when the request ends (`release`). */
  readonly lease?: LeaseRef;
  /** Set when refused: the error to render in the client's format. */
  readonly refused?: AppError;
}

const ADMITTED: Admission = Object.freeze({});
/** After Redis failed to answer, admit unchecked for this long instead of waiting on it again. */
const FAIL_OPEN_MS = 1000;
/**
 * Longest wait for an admission answer (capped by the Redis command timeout). The script takes
 * well under a millisecond; a Redis that has not answered by then is treated as down, so a
 * stalled Redis costs a request at most this, once per FAIL_OPEN_MS.
 */
const ADMIT_DEADLINE_MS = 250;
/** Finished requests' tokens are summed per key and written at most this often. */
const TOKEN_FLUSH_MS = 100;
/** Retry delay for tokens that could not be written. */
const TOKEN_RETRY_MS = 1000;
/** Minimum time between two warnings about Redis. */
const WARN_EVERY_MS = 10_000;

/**
 * Per-client-key limits (docs/limits.md): allowed models checked locally, counters (requests
 * per minute, concurrency, tokens per minute and per day) checked and taken in one Redis script
 * per request, so any number of replicas admit at most the limit. Tokens are added when a
 * request finishes (this is also a usage sink). When Redis does not answer, requests are
 * admitted and counted in `switchboard_limits_fail_open_total`.
 */
@Injectable()
export class LimitsService implements UsageSink, OnApplicationShutdown {
  private readonly logger = new Logger('Limits');
  readonly windows: LimitWindows;
  private table: LimitsTable;
  private readonly keyCache = new Map<string, LimitKeys>();
  /** Unique per process, so request-log members and lease ids never collide across replicas. */
  private readonly boot = randomBytes(6).toString('hex');
  private seq = 0;
  private readonly held = new Set<LeaseRef>();
  private renewTimer: NodeJS.Timeout | undefined;
  private skipUntil = 0;
  private pending = new Map<string, number>();
  private flushTimer: NodeJS.Timeout | undefined;
  private lastWarn = 0;
  private readonly offConfig: () => void;
  private readonly deadlineMs: number;

  constructor(
    config: ConfigService,
    private readonly repo: LimitsRepository,
    private readonly metrics: LimitsMetrics,
  ) {
    this.windows = limitWindows(windowFromEnv(process.env.SB_LIMITS_WINDOW_MS));
    this.deadlineMs = Math.min(
      admitDeadlineFromEnv(process.env.SB_LIMITS_ADMIT_DEADLINE_MS, ADMIT_DEADLINE_MS),
      repo.commandTimeoutMs,
    );
    this.table = this.build(config.current);
    this.offConfig = config.onChange((next) => {
      this.table = this.build(next);
    });
  }

  /** True when some client key has a limit; when false the proxy skips admission entirely. */
  get enabled(): boolean {
    return this.table.byKeyId.size > 0;
  }

  /** Concurrency slots this process holds right now. */
  get leasesHeld(): number {
    return this.held.size;
  }

  /** Check a request of client key `keyId` for `model`, taking its slot when admitted. */
  async admit(keyId: string, model: string): Promise<Admission> {
    const l = this.table.byKeyId.get(keyId);
    if (!l) return ADMITTED;
    if (!modelAllowed(l, model)) {
      this.metrics.rejected.inc({ kind: 'model' });
      return { refused: modelError(model) };
    }
    if (!l.counted) return ADMITTED;
    if (!this.repo.ready || Date.now() < this.skipUntil) {
      this.metrics.failOpen.inc();
      return ADMITTED;
    }
    const keys = this.keysOf(l.keyId);
    const id = `${this.boot}:${(this.seq++).toString(36)}`;
    let reply: AdmitReply;
    try {
      const pending = this.repo.admit(keys, admitArgs(l, this.windows, id));
      reply = parseAdmitReply(await withDeadline(pending, this.deadlineMs));
    } catch (err) {
      this.skipUntil = Date.now() + FAIL_OPEN_MS;
      this.metrics.failOpen.inc();
      this.warn(`limits not enforced for ${FAIL_OPEN_MS} ms: ${(err as Error).message}`);
      return ADMITTED;
    }
    if (reply.kind) {
      this.metrics.rejected.inc({ kind: reply.kind });
      return { refused: limitError(reply.kind, l, reply.retryAfterMs) };
    }
    if (l.concurrency === 0) return ADMITTED;
    const lease: LeaseRef = { key: keys.leases, id };
    this.held.add(lease);
    this.startRenewing();
    return { lease };
  }

  /** Give a concurrency slot back (the request ended, however it ended). */
  release(lease: LeaseRef): void {
    if (!this.held.delete(lease)) return;
    // If this fails the lease expires on its own within one lease period.
    this.repo.release(lease).catch(() => this.metrics.writeErrors.inc({ op: 'release' }));
  }

  /** Usage sink: count a finished request's tokens against its key's token windows. */
  record(rec: UsageRecord): void {
    const tokens = rec.tokens.total_tokens;
    if (tokens <= 0 || !rec.clientKeyId) return;
    const l = this.table.byKeyId.get(rec.clientKeyId);
    if (!l?.countsTokens) return;
    this.pending.set(l.keyId, (this.pending.get(l.keyId) ?? 0) + tokens);
    this.flushTimer ??= setTimeout(() => void this.flushTokens(), TOKEN_FLUSH_MS).unref();
  }

  /** Write the summed tokens; kept for a retry when Redis is away (bounded: one sum per key). */
  async flushTokens(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    let unwritten: [string, number][] = [...batch];
    let error: Error;
    try {
      if (!this.repo.ready) throw new Error('Redis is not connected');
      const res = await this.repo.addTokens(
        unwritten.map(([id, tokens]) => ({ id, keys: this.keysOf(id), tokens })),
        this.windows,
      );
      if (res.failed.length === 0) return;
      // Each client key is written on its own (its own slot on a Redis Cluster): keep only
      // those that failed, so a retry never counts the others twice.
      unwritten = res.failed.map((e) => [e.id, e.tokens]);
      error = res.error ?? new Error('write failed');
    } catch (err) {
      error = err as Error;
    }
    this.metrics.writeErrors.inc({ op: 'tokens' });
    this.warn(`token counts kept for a retry: ${error.message}`);
    for (const [id, n] of unwritten) this.pending.set(id, (this.pending.get(id) ?? 0) + n);
    this.flushTimer ??= setTimeout(() => void this.flushTokens(), TOKEN_RETRY_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.offConfig();
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    for (const lease of [...this.held]) this.release(lease);
    if (this.pending.size > 0 && this.repo.ready) await this.flushTokens();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private build(cfg: Readonly<AppConfig>): LimitsTable {
    const table = buildLimitsTable(cfg.limits, cfg['api-keys']);
    if (table.unmatched.length > 0) {
      this.logger.warn(
        `limits: ignoring entries that name no key in api-keys: ${table.unmatched.join(', ')}`,
      );
    }
    return table;
  }

  private keysOf(keyId: string): LimitKeys {
    let keys = this.keyCache.get(keyId);
    if (!keys) this.keyCache.set(keyId, (keys = this.repo.keysFor(keyId)));
    return keys;
  }

  /** One timer per process renews every held lease in one script call. */
  private startRenewing(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => {
      if (this.held.size === 0) {
        clearInterval(this.renewTimer);
        this.renewTimer = undefined;
        return;
      }
      this.repo
        .renew([...this.held], this.windows.leaseMs)
        .catch(() => this.metrics.writeErrors.inc({ op: 'renew' }));
    }, this.windows.leaseMs / 3);
    this.renewTimer.unref();
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.lastWarn = now;
    this.logger.warn(message);
  }
}

/** `promise`, or a rejection once `ms` have passed (the late answer is ignored). */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  // A late rejection (the command's own timeout) must not surface as unhandled.
  promise.catch(() => undefined);
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
