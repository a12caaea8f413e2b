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
import { UsageRecorder, type UsageRecord } from '@app/proxy/usage.types';
import { PROCESS_NAME } from '@app/storage/process-name';
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
/** Minimum time between two log lines about drops or flush errors. */
const LOG_EVERY_MS = 10_000;

/**
 * The proxy's usage hook backed by Redis. `record()` only appends to a bounded in-memory buffer
 * (the request path never waits on Redis); a flusher writes batches with one atomic script each,
 * retries a failed batch as is (so a lost reply is never counted twice), writes again as soon as
 * Redis reconnects, and drains the buffer on shutdown.
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
  private pending: { seq: number; entries: UsageEntry[] } | undefined;
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
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.sweepTimer);
    this.offReady?.();
    const deadline = Date.now() + this.opts.shutdownFlushMs;
    while (this.buffered > 0 && Date.now() < deadline) {
      if (this.repo.isReady) await this.flush();
      if (this.buffered > 0) await new Promise((r) => setTimeout(r, 50));
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
      if (!this.pending) {
        if (this.buffer.length === 0) return;
        const now = Date.now();
        const entries = this.buffer.take(this.opts.batchSize).map((r) => entryFromRecord(r, now));
        this.pending = { seq: ++this.seq, entries };
      }
      const batch = this.pending;
      const usage = this.config.current.usage;
      const stop = this.metrics.flushDuration.startTimer();
      try {
        await this.repo.apply(batch.entries, {
          boot: this.boot,
          seq: batch.seq,
          dedupe: false,
          keep: usage['details-max-per-model'],
          minScore: Date.now() - usage['details-max-age-days'] * DAY_MS,
        });
        stop();
        this.pending = undefined;
      } catch (err) {
        this.metrics.flushErrors.inc();
        if (isRejectedByRedis(err)) {
          // Redis ran the script and refused it: retrying the same batch can only fail again.
          this.logger.error(
            `usage batch of ${batch.entries.length} records rejected by Redis, dropped: ${(err as Error).message}`,
          );
          this.metrics.dropped.inc(batch.entries.length);
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

/** A script error reply (`ERR …`), as opposed to a timeout, a lost connection or a busy server. */
function isRejectedByRedis(err: unknown): boolean {
  const e = err as Error | undefined;
  return e?.name === 'ReplyError' && typeof e.message === 'string' && e.message.startsWith('ERR');
}
