import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CredentialService, type Credential } from '@app/routing';
import { PROCESS_NAME } from '@app/storage';
import {
  ActivityTally,
  activityOf,
  addActivity,
  windowOf,
  type Counts,
  type CredentialActivity,
} from '@app/usage/credential-activity';
import {
  CredentialActivityRepository,
  type StoredActivity,
} from '@app/usage/credential-activity.repository';

/** `GET /v0/management/api-key-usage`: provider → `base_url|api_key` → activity. */
export type ApiKeyUsage = Record<string, Record<string, CredentialActivity>>;

/** How soon counted attempts are written (they are summed meanwhile, whatever the traffic). */
const FLUSH_DELAY_MS = 200;
/** How long shutdown waits for the last write. */
const SHUTDOWN_FLUSH_MS = 2000;
/** Minimum time between two log lines about failed writes. */
const LOG_EVERY_MS = 10_000;

/** The `api-key-usage` provider of a credential: an openai-compatibility entry's name, lower-cased. */
export function usageProviderOf(c: Credential): string {
  return (c.compatName ?? c.provider).trim().toLowerCase() || 'unknown';
}

/**
 * Per-credential request counters, shared by every replica through Redis: every attempt on a
 * credential (as routing hears of it: one per upstream call, retries included, as CLIProxyAPI's
 * auth manager counts) adds a success or a failure to the credential's all-time totals and to
 * its 10-minute bucket. Attempts are summed in memory and written every 200 ms in one atomic,
 * replay-safe script; reads answer the same on every replica. While Redis is down the sums wait
 * in memory (bounded by credentials × buckets) and reads fall back to this process's own count.
 */
@Injectable()
export class CredentialActivityService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CredentialActivity');
  private readonly boot: string;
  private seq = 0;
  private tally = new ActivityTally();
  /** The batch being written, kept as is until Redis confirms it (a retry reuses its seq). */
  private inflight: { seq: number; tally: ActivityTally } | undefined;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private offAttempt: (() => void) | undefined;
  private offReady: (() => void) | undefined;
  private lastErrorLog = 0;

  constructor(
    private readonly repo: CredentialActivityRepository,
    private readonly credentials: CredentialService,
    @Inject(PROCESS_NAME) processName: string,
  ) {
    this.boot = `${processName}:${randomBytes(6).toString('hex')}`;
  }

  onModuleInit(): void {
    this.offAttempt = this.credentials.onAttempt((authIndex, success) =>
      this.record(authIndex, success),
    );
    this.offReady = this.repo.onReady(() => void this.flush());
  }

  async onApplicationShutdown(): Promise<void> {
    this.offAttempt?.();
    this.offReady?.();
    clearTimeout(this.timer);
    await Promise.race([
      this.flush().then(() => this.flush()),
      new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref()),
    ]);
  }

  /** Count one attempt on a credential (never blocks, never throws). */
  record(authIndex: string, success: boolean, nowMs = Date.now()): void {
    if (!authIndex) return;
    this.tally.add(authIndex, success, nowMs);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_DELAY_MS);
    this.timer.unref();
  }

  /** Write what is counted (one batch at a time; a failed batch is retried as is). */
  flush(): Promise<void> {
    this.flushing ??= this.writeOnce().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writeOnce(): Promise<void> {
    if (!this.inflight) {
      if (this.tally.empty) return;
      this.inflight = { seq: ++this.seq, tally: this.tally };
      this.tally = new ActivityTally();
    }
    try {
      await this.repo.add(this.inflight.tally.increments(), this.boot, this.inflight.seq);
      this.inflight = undefined;
    } catch (err) {
      const now = Date.now();
      if (now - this.lastErrorLog >= LOG_EVERY_MS) {
        this.lastErrorLog = now;
        this.logger.warn(`credential counters not written yet: ${(err as Error).message}`);
      }
    }
  }

  /**
   * The activity of each credential in `authIndexes` at `nowMs`: totals and the 20 buckets,
   * from Redis after writing this process's own pending counts (so what it just served shows).
   */
  async activity(
    authIndexes: readonly string[],
    nowMs = Date.now(),
  ): Promise<Map<string, CredentialActivity>> {
    const window = windowOf(nowMs);
    let stored: StoredActivity;
    await this.flush();
    try {
      stored = await this.repo.read(window);
    } catch {
      stored = this.localOnly(authIndexes);
    }
    const out = new Map<string, CredentialActivity>();
    for (const id of authIndexes) {
      const buckets = new Map<number, Counts>();
      for (const b of window) {
        const c = stored.buckets.get(b)?.get(id);
        if (c) buckets.set(b, c);
      }
      out.set(id, activityOf(stored.totals.get(id), buckets, nowMs));
    }
    return out;
  }

  /** What this process counted but could not write (Redis down): better than nothing. */
  private localOnly(authIndexes: readonly string[]): StoredActivity {
    const out: StoredActivity = { totals: new Map(), buckets: new Map() };
    const add = (target: Map<string, Counts>, id: string, c: Counts) => {
      const prev = target.get(id) ?? { success: 0, failed: 0 };
      target.set(id, { success: prev.success + c.success, failed: prev.failed + c.failed });
    };
    for (const tally of [this.tally, this.inflight?.tally]) {
      if (!tally) continue;
      for (const id of authIndexes) {
        add(out.totals, id, tally.totalOf(id));
        for (const [b, c] of tally.bucketsOf(id)) {
          let m = out.buckets.get(b);
          if (!m) out.buckets.set(b, (m = new Map<string, Counts>()));
          add(m, id, c);
        }
      }
    }
    return out;
  }

  /**
   * CLIProxyAPI's `api-key-usage`: every API-key credential of config.yaml, grouped by provider
   * (an openai-compatibility entry's name) and keyed `base_url|api_key`; credentials sharing a
   * key are added up.
   */
  async apiKeyUsage(nowMs = Date.now()): Promise<ApiKeyUsage> {
    const keyed = this.credentials
      .snapshot()
      .credentials.filter((c) => c.kind === 'api-key' && c.secret.apiKey?.trim());
    const activity = await this.activity(
      keyed.map((c) => c.authIndex),
      nowMs,
    );
    const out: ApiKeyUsage = {};
    for (const c of keyed) {
      const provider = usageProviderOf(c);
      const key = `${c.baseUrl ?? ''}|${(c.secret.apiKey ?? '').trim()}`;
      const a = activity.get(c.authIndex) as CredentialActivity;
      const group = (out[provider] ??= {});
      group[key] = group[key] ? addActivity(group[key], a) : a;
    }
    return out;
  }
}
