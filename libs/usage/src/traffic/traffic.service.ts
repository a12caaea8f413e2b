import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { UsageRecord, UsageSink } from '@app/usage/usage-record';
import { PROCESS_NAME } from '@app/storage';
import { TrafficRepository } from '@app/usage/traffic/traffic.repository';
import {
  failureSpike,
  keyHashes,
  keyWindows,
  planRange,
  summarize,
  type FailureSpike,
  type KeyWindow,
  type TrafficRange,
  type TrafficSummary,
} from '@app/usage/traffic/traffic-series';
import { DAY_MS, lastUsedField, TrafficTally } from '@app/usage/traffic/traffic-tally';

/** How soon counted requests are written (summed meanwhile, whatever the traffic). */
const FLUSH_DELAY_MS = 500;
/** How long shutdown waits for the last write. */
const SHUTDOWN_FLUSH_MS = 2000;
/** Minimum time between two log lines about failed writes or drops. */
const LOG_EVERY_MS = 10_000;

/** A client key's numbers for the panel: 24 hours, 7 days, and when it was last used. */
export interface KeyUsage {
  '24h': KeyWindow;
  '7d': KeyWindow;
  /** ISO time of the last request (null: none in the last 90 days). */
  last_used: string | null;
}

const EMPTY_WINDOW: KeyWindow = { requests: 0, failures: 0, tokens: 0, failure_rate: null };

/** Thrown when the figures cannot be read because Redis is unreachable. */
export class TrafficUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      `traffic figures are unavailable while Redis is unreachable (${(cause as Error)?.message ?? String(cause)}); requests are counted in memory and written once it is back`,
    );
    this.name = 'TrafficUnavailableError';
  }
}

/**
 * The panel's traffic counters (a usage sink): every finished request adds to one-minute and
 * one-hour slots of requests, failures by status and class, tokens, latency, per client key and
 * model, and the last use of its key and credential. Counts are summed in memory and written
 * every 500 ms in one atomic, replay-safe script, so any number of replicas report the same
 * figures; while Redis is down they wait in memory (bounded by time slots, not traffic).
 */
@Injectable()
export class TrafficService implements UsageSink, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Traffic');
  private readonly boot: string;
  private seq = 0;
  private tally = new TrafficTally();
  private inflight: { seq: number; tally: TrafficTally } | undefined;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private offReady: (() => void) | undefined;
  private lastLog = 0;

  constructor(
    private readonly repo: TrafficRepository,
    @Inject(PROCESS_NAME) processName: string,
  ) {
    this.boot = `${processName}:${randomBytes(6).toString('hex')}`;
  }

  onApplicationBootstrap(): void {
    this.offReady = this.repo.onReady(() => void this.flush());
  }

  async onApplicationShutdown(): Promise<void> {
    this.offReady?.();
    clearTimeout(this.timer);
    await Promise.race([
      this.flush().then(() => this.flush()),
      new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref()),
    ]);
  }

  /** Count one finished request (never blocks, never throws). */
  record(rec: UsageRecord, nowMs = Date.now()): void {
    if (!this.tally.add(rec, nowMs))
      this.report('traffic counters full (Redis down for long): newest counts dropped');
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
      this.tally = new TrafficTally();
    }
    try {
      await this.repo.add(this.inflight.tally, this.boot, this.inflight.seq);
      this.inflight = undefined;
    } catch (err) {
      this.report(`traffic counters not written yet: ${(err as Error).message}`);
    }
  }

  private report(message: string): void {
    const now = Date.now();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.lastLog = now;
    this.logger.warn(message);
  }

  /** The series and top lists of `range` ending now, after writing this process's own counts. */
  async summary(range: TrafficRange, nowMs = Date.now()): Promise<TrafficSummary> {
    const plan = planRange(range, nowMs);
    await this.flush();
    try {
      const sameHashes = plan.seriesHashes === plan.topHashes;
      const [series, top] = await Promise.all([
        this.repo.read(plan.seriesHashes),
        sameHashes ? undefined : this.repo.read(plan.topHashes),
      ]);
      return summarize(plan, series, top ?? series);
    } catch (err) {
      throw new TrafficUnavailableError(err);
    }
  }

  /** The failure-rate spike of the last minutes, if there is one. */
  async spike(nowMs = Date.now()): Promise<FailureSpike | undefined> {
    return failureSpike(await this.summary('1h', nowMs));
  }

  /** Per client key (by key id): the last 24 hours and 7 days, and the last use. */
  async keyUsage(keyIds: readonly string[], nowMs = Date.now()): Promise<Map<string, KeyUsage>> {
    await this.flush();
    let day: Map<string, KeyWindow>;
    let week: Map<string, KeyWindow>;
    let last: Map<string, number>;
    try {
      const [hashes, used] = await Promise.all([
        this.repo.read(keyHashes(nowMs, 7)),
        this.repo.lastUsed(keyIds.map((id) => lastUsedField('k', id))),
      ]);
      // Whole hours: the current one counts, the window reaches back 24 (168) of them.
      const end = Math.floor(nowMs / 3_600_000) * 3_600_000 + 3_600_000;
      day = keyWindows(hashes, end - DAY_MS, end);
      week = keyWindows(hashes, end - 7 * DAY_MS, end);
      last = used;
    } catch (err) {
      throw new TrafficUnavailableError(err);
    }
    const out = new Map<string, KeyUsage>();
    for (const id of keyIds) {
      const ms = last.get(lastUsedField('k', id));
      out.set(id, {
        '24h': day.get(id) ?? { ...EMPTY_WINDOW },
        '7d': week.get(id) ?? { ...EMPTY_WINDOW },
        last_used: ms ? new Date(ms).toISOString() : null,
      });
    }
    return out;
  }

  /** When each credential (by auth index) last served a request. */
  async credentialLastUsed(authIndexes: readonly string[]): Promise<Map<string, string>> {
    await this.flush();
    const used = await this.repo.lastUsed(authIndexes.map((id) => lastUsedField('c', id)));
    const out = new Map<string, string>();
    for (const id of authIndexes) {
      const ms = used.get(lastUsedField('c', id));
      if (ms) out.set(id, new Date(ms).toISOString());
    }
    return out;
  }
}
