import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ConfigService } from '@app/config';
import { UsageRecorder, type UsageRecord } from '@app/usage/usage-record';
import { PROCESS_NAME } from '@app/storage';
import { RingBuffer } from '@app/common';
import { entryFromRecord, type UsageEntry } from '@app/usage/usage-entry';
import { UsageMetrics } from '@app/usage/usage.metrics';
import { UsageRepository } from '@app/usage/usage.repository';
import { pairsOf } from '@app/usage/usage-snapshot';

/** Tuning of the recorder (defaults suit one gateway replica). */
export interface UsageRecorderOptions {
  /** Most records held in memory while Redis is slow or down; the oldest are dropped beyond. */
  bufferMax: number;
  /** Records per Redis script call. */
  batchSize: number;
  /** How often buffered records are written. */
  flushIntervalMs: number;
  /** How long shutdown keeps trying to write what is left. */
  shutdownFlushMs: number;
  /** How often idle detail lists are trimmed by age. */
  sweepIntervalMs: number;
}

/** Injection token for `Partial<UsageRecorderOptions>`. */
export const USAGE_RECORDER_OPTIONS = 'SB_USAGE_RECORDER_OPTIONS';

export const DEFAULT_RECORDER_OPTIONS: Readonly<UsageRecorderOptions> = {
  bufferMax: 50_000,
  batchSize: 500,
  flushIntervalMs: 500,
  shutdownFlushMs: 5000,
  sweepIntervalMs: 3_600_000,
};

const DAY_MS = 86_400_000;
/**
 * Batches Redis confirmed within this window are written again after a reconnect. Replication
 * to a replica lags by milliseconds; a primary that dies takes with it what it answered last,
 * and the replica that takes over never saw it. The replay guard makes the second write of a
 * batch that did survive a no-op.
 */
const RESEND_WINDOW_MS = 5000;
/** At most this many batches are kept for that. */
const RESEND_MAX = 32;
/** Minimum time between two log lines about drops or flush errors. */
const LOG_EVERY_MS = 10_000;

/**
 * The proxy's usage hook backed by Redis. `record()` only appends to a bounded in-memory buffer
 * (the request path never waits on Redis); a flusher writes batches with one atomic script each,
 * retries a failed batch as is (so a lost reply is never counted twice), writes again as soon as
 * Redis reconnects, and drains the buffer on shutdown. After a reconnect it also writes again
 * the batches confirmed in the last few seconds, oldest first and before anything new: after a
 * failover those may exist only on the old primary; where they survived, Redis recognises them
 * (boot, seq) and counts nothing twice.
 */
@Injectable()
export class RedisUsageRecorder
  extends UsageRecorder
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('Usage');
  private readonly opts: UsageRecorderOptions;
  private readonly buffer: RingBuffer<UsageRecord>;
  /** This process boot: with `seq` it lets Redis recognise a batch it has already applied. */
  private readonly boot: string;
  private seq = 0;
  /** The batch being written; kept intact until Redis confirms it. */
  private pending: Batch | undefined;
  /** Batches Redis confirmed lately (oldest first), to write again after a reconnect. */
  private recent: (Batch & { at: number })[] = [];
  /** Confirmed batches to write again before anything new, oldest first. */
  private resendQueue: Batch[] = [];
  private resendWanted = false;
  /** Sequence numbers of the batches in `resendQueue`. */
  private readonly resending = new Set<number>();
  private offReconnect: (() => void) | undefined;
  private flushing: Promise<void> | undefined;
  private soon = false;
  private timer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private offReady: (() => void) | undefined;
  private droppedSinceLog = 0;
  private lastDropLog = 0;
  private lastErrorLog = 0;

  constructor(
    private readonly config: ConfigService,
    private readonly repo: UsageRepository,
    private readonly metrics: UsageMetrics,
    @Inject(PROCESS_NAME) processName: string,
    @Optional() @Inject(USAGE_RECORDER_OPTIONS) options?: Partial<UsageRecorderOptions>,
  ) {
    super();
    this.opts = { ...DEFAULT_RECORDER_OPTIONS, ...options };
    this.buffer = new RingBuffer<UsageRecord>(this.opts.bufferMax);
    this.boot = `${processName}:${randomBytes(6).toString('hex')}`;
    metrics.setBufferedReader(() => this.buffered);
  }

  /** Queue one finished request (no-op when `usage-statistics-enabled` is false). */
  record(rec: UsageRecord): void {
    if (!this.config.current['usage-statistics-enabled']) return;
    if (this.buffer.push(rec)) this.onDropped();
    // A full batch is worth writing now rather than at the next tick.
    if (this.buffer.length >= this.opts.batchSize && !this.soon && !this.flushing) {
      this.soon = true;
      setImmediate(() => {
        this.soon = false;
        void this.flush();
      });
    }
  }

  /** Records not yet in Redis (buffered plus the batch in flight). */
  get buffered(): number {
    return this.buffer.length + (this.pending?.entries.length ?? 0);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
    this.sweepTimer = setInterval(() => void this.sweep(), this.opts.sweepIntervalMs);
    this.sweepTimer.unref();
    this.offReady = this.repo.onReady(() => void this.flush());
    this.offReconnect = this.repo.onReconnect(() => {
      this.resendWanted = true;
      void this.flush();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.sweepTimer);
    this.offReady?.();
    this.offReconnect?.();
    const deadline = Date.now() + this.opts.shutdownFlushMs;
    const left = () => this.buffered + this.resendQueue.length;
    while (left() > 0 && Date.now() < deadline) {
      if (this.repo.isReady) await this.flush();
      if (left() > 0) await new Promise((r) => setTimeout(r, 50));
    }
    if (this.buffered > 0) {
      this.logger.warn(
        `${this.buffered} usage records could not be written before shutdown (Redis unreachable)`,
      );
    }
  }

  /**
   * Write everything buffered, batch by batch. Concurrent callers share one run; it stops at the
   * first failure (the next tick or a reconnect tries again).
   */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** `flush()`, but give up waiting after `timeoutMs` (the flush itself goes on). */
  async flushWithin(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush(),
      new Promise<void>((r) => {
        timer = setTimeout(r, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private async drain(): Promise<void> {
    while (this.repo.isReady) {
      if (this.resendWanted) this.queueResend();
      if (!this.pending) {
        const again = this.resendQueue.shift();
        if (again) {
          this.pending = again;
        } else {
          if (this.buffer.length === 0) return;
          const now = Date.now();
          const entries = this.buffer.take(this.opts.batchSize).map((r) => entryFromRecord(r, now));
          this.pending = { seq: ++this.seq, entries };
        }
      }
      const batch = this.pending;
      const usage = this.config.current.usage;
      const stop = this.metrics.flushDuration.startTimer();
      try {
        const res = await this.repo.apply(batch.entries, {
          boot: this.boot,
          seq: batch.seq,
          dedupe: false,
          keep: usage['details-max-per-model'],
          minScore: Date.now() - usage['details-max-age-days'] * DAY_MS,
        });
        stop();
        if (this.resending.delete(batch.seq)) {
          this.metrics.resent.inc({ result: res.replayed ? 'replayed' : 'applied' });
        }
        this.pending = undefined;
        this.remember(batch);
      } catch (err) {
        this.metrics.flushErrors.inc();
        if (isRejectedByRedis(err)) {
          // Redis ran the script and refused it: retrying the same batch can only fail again.
          this.logger.error(
            `usage batch of ${batch.entries.length} records rejected by Redis, dropped: ${(err as Error).message}`,
          );
          this.metrics.dropped.inc(batch.entries.length);
          this.resending.delete(batch.seq);
          this.pending = undefined;
          continue;
        }
        this.logFlushError(
          `usage flush failed (${this.buffered} records kept for retry): ${(err as Error).message}`,
        );
        return;
      }
    }
  }

  /** Keep a confirmed batch for a while, in case a failover loses it. */
  private remember(batch: Batch): void {
    const now = Date.now();
    this.recent.push({ ...batch, at: now });
    const since = now - RESEND_WINDOW_MS;
    while (this.recent.length > RESEND_MAX || (this.recent[0] && this.recent[0].at < since)) {
      this.recent.shift();
    }
  }

  /**
   * After a reconnect: the recent batches, then the one in flight, go first, in sequence order
   * (the replay guard remembers the last sequence number of each boot, so an older batch
   * written after a newer one would be taken for a replay).
   */
  private queueResend(): void {
    this.resendWanted = false;
    const since = Date.now() - RESEND_WINDOW_MS;
    const confirmed = this.recent.filter((b) => b.at >= since);
    this.recent = [];
    for (const b of confirmed) this.resending.add(b.seq);
    const again: Batch[] = [...this.resendQueue, ...confirmed];
    if (this.pending) again.push(this.pending);
    this.pending = undefined;
    const bySeq = new Map<number, Batch>();
    for (const b of again) bySeq.set(b.seq, b);
    this.resendQueue = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Trim the details of every pair by age (lists nobody writes to are otherwise never trimmed). */
  private async sweep(): Promise<void> {
    if (!this.repo.isReady) return;
    try {
      const usage = this.config.current.usage;
      const { model } = await this.repo.readIndex();
      await this.repo.trimDetails(
        pairsOf(model),
        Date.now() - usage['details-max-age-days'] * DAY_MS,
        usage['details-max-per-model'],
      );
    } catch (err) {
      this.logger.warn(`usage detail sweep failed: ${(err as Error).message}`);
    }
  }

  private onDropped(): void {
    this.metrics.dropped.inc();
    this.droppedSinceLog++;
    const now = Date.now();
    if (now - this.lastDropLog < LOG_EVERY_MS) return;
    this.lastDropLog = now;
    this.logger.warn(
      `usage buffer full (${this.opts.bufferMax} records, Redis slow or down): dropped the ${this.droppedSinceLog} oldest since the last report`,
    );
    this.droppedSinceLog = 0;
  }

  private logFlushError(message: string): void {
    const now = Date.now();
    if (now - this.lastErrorLog < LOG_EVERY_MS) return;
    this.lastErrorLog = now;
    this.logger.error(message);
  }
}

/** One batch of entries and its sequence number in this process boot. */
interface Batch {
  seq: number;
  entries: UsageEntry[];
}

/** A script error reply (`ERR …`), as opposed to a timeout, a lost connection or a busy server. */
function isRejectedByRedis(err: unknown): boolean {
  const e = err as Error | undefined;
  return e?.name === 'ReplyError' && typeof e.message === 'string' && e.message.startsWith('ERR');
}
