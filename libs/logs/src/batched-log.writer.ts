import type { Logger } from '@nestjs/common';
import { RingBuffer } from '@app/common';
import type { RedisClient } from '@app/storage';
import type { LogStreamName, LogsMetrics } from '@app/logs/logs.metrics';

/** Why entries never reached Redis (the `reason` label of the drop counter). */
export type LogDropReason = 'buffer-full' | 'rejected' | 'redis-down';

/** What the writer needs to know about the connection. */
export interface WriterRedis {
  readonly isReady: boolean;
  /** Its 'ready' event restarts a `keep` writer once Redis is back. */
  readonly command?: Pick<RedisClient, 'on' | 'off'>;
}

/** Tuning of one writer. */
export interface BatchedLogOptions {
  /** Most entries held in memory; the oldest are dropped (`buffer-full`) beyond it. */
  bufferMax: number;
  /** Entries per `write` call. */
  batchSize: number;
  /** How long an entry may wait for companions (a full batch is written at once). */
  flushDelayMs: number;
  /**
   * While Redis is down: `keep` holds the entries (bounded) and writes them once it is back;
   * `drop` counts them as `redis-down` and lets them go (diagnostics that are not worth memory).
   */
  whenDown: 'keep' | 'drop';
}

/** What happened to entries that never reached Redis. */
export interface BatchedLogEvents {
  /** `n` entries were dropped. */
  onDrop?: (n: number, reason: LogDropReason) => void;
  /** A write failed (its entries kept for a retry, or dropped). */
  onError?: (err: Error) => void;
}

/** Writes one batch. Throwing a Redis `ReplyError` drops the batch; other errors are retried (`keep`). */
export type BatchSink<T> = (batch: T[]) => Promise<void>;

/**
 * The one buffer between the request path and the shared logs in Redis: `push` only queues
 * (never throws, never waits); a short timer gathers what arrives meanwhile and hands it to the
 * sink batch by batch, one drain at a time. The buffer is bounded (oldest dropped and counted).
 * A batch Redis refuses (a `ReplyError`: it ran the command and said no) is dropped, since a
 * retry cannot help; a batch the connection lost is put back (`keep`) or dropped (`drop`).
 */
export class BatchedLogWriter<T> {
  private readonly buffer: RingBuffer<T>;
  private timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (ms since epoch). */
  private timerDue = 0;
  private flushing: Promise<void> | undefined;
  private readonly onReady = () => this.schedule(0);
  private closed = false;
  /** Entries handed to the sink without an error since start. */
  written = 0;
  /** Entries dropped since start. */
  dropped = 0;

  constructor(
    private readonly redis: WriterRedis,
    private readonly opts: BatchedLogOptions,
    private readonly sink: BatchSink<T>,
    private readonly events: BatchedLogEvents = {},
  ) {
    this.buffer = new RingBuffer(opts.bufferMax);
    if (opts.whenDown === 'keep') redis.command?.on('ready', this.onReady);
  }

  /** Entries waiting in memory. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Queue one entry. Never throws, never waits. */
  push(entry: T): void {
    if (this.closed) return;
    if (this.buffer.push(entry)) this.drop(1, 'buffer-full');
    this.schedule(this.buffer.length >= this.opts.batchSize ? 0 : this.opts.flushDelayMs);
  }

  /** Write everything queued now (concurrent callers share one run). */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      // entries that arrived while the last batch was in flight
      if (this.buffer.length > 0 && this.redis.isReady) this.schedule(this.opts.flushDelayMs);
    });
    return this.flushing;
  }

  /** Resolves once everything queued so far is written or given up on (no waiting for timers). */
  async settled(): Promise<void> {
    for (;;) {
      if (this.flushing) await this.flushing;
      else if (this.buffer.length > 0 && (this.redis.isReady || this.opts.whenDown === 'drop'))
        await this.flush();
      else return;
    }
  }

  /** Count entries the sink could not store (some of a batch); they are not retried. */
  reject(n: number, err: unknown): void {
    if (n > 0) this.drop(n, 'rejected');
    this.events.onError?.(err instanceof Error ? err : new Error(String(err)));
  }

  /** Stop accepting, write what is left (bounded wait), detach from the connection. */
  async close(timeoutMs = 2000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length > 0 && this.redis.isReady && Date.now() < deadline) {
      await this.flush();
    }
    this.redis.command?.off('ready', this.onReady);
  }

  private schedule(delayMs: number): void {
    const due = Date.now() + delayMs;
    // A timer that fires no later is already set: the common case on every push.
    if (this.timer && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      if (!this.redis.isReady) {
        if (this.opts.whenDown === 'drop')
          this.drop(this.buffer.take(this.buffer.length).length, 'redis-down');
        return;
      }
      const batch = this.buffer.take(this.opts.batchSize);
      try {
        await this.sink(batch);
        this.written += batch.length;
      } catch (err) {
        if ((err as Error)?.name === 'ReplyError' || this.opts.whenDown === 'drop') {
          this.drop(batch.length, 'rejected');
          this.events.onError?.(err as Error);
          continue;
        }
        // The connection failed or timed out: keep the batch (newer entries win if no room).
        const lost = this.buffer.unshiftAll(batch);
        if (lost > 0) this.drop(lost, 'buffer-full');
        this.events.onError?.(err as Error);
        return;
      }
    }
  }

  private drop(n: number, reason: LogDropReason): void {
    this.dropped += n;
    this.events.onDrop?.(n, reason);
  }
}

const WARN_EVERY_MS = 10_000;

/**
 * The usual events of a log writer: every drop counted in `log_entries_dropped_total` under
 * `stream`, and a failed write logged as `could not store <what>: …` at most every 10 s.
 */
export function countedDrops(
  metrics: LogsMetrics,
  stream: LogStreamName,
  logger: Pick<Logger, 'warn'>,
  what: string,
): BatchedLogEvents {
  let lastWarn = 0;
  return {
    onDrop: (n, reason) => metrics.dropped.inc({ stream, reason }, n),
    onError: (err) => {
      const now = Date.now();
      if (now - lastWarn < WARN_EVERY_MS) return;
      lastWarn = now;
      logger.warn(`could not store ${what}: ${err.message}`);
    },
  };
}
