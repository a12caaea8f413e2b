import type { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { RingBuffer } from '@app/common';
import type { RedisService } from '@app/storage';
import type { LogsMetrics } from '@app/logs/logs.metrics';

const LOG_EVERY_MS = 10_000;

/** How a QueuedLogWriter queues, batches and reports. */
export interface QueuedLogWriterOptions {
  /** `stream` label of the drop counter. */
  stream: string;
  /** Items held while waiting to be written (the oldest are dropped beyond it). */
  queueMax: number;
  /** Items handed to `write` per round trip. */
  batch: number;
  /** What one item is, for the warning (`could not store <what>: …`). */
  what: string;
}

/**
 * The request path's side of the error and request logs: `enqueue` only queues references;
 * `write` (formatting, masking, the Redis write) runs off the request path, batch by batch, one
 * drain at a time. While Redis is down queued items are dropped and counted: these logs are
 * diagnostics, not accounting.
 */
export abstract class QueuedLogWriter<T> implements BeforeApplicationShutdown {
  private readonly queue: RingBuffer<T>;
  private draining: Promise<void> | undefined;
  private lastErrorLog = 0;

  protected constructor(
    private readonly redis: RedisService,
    protected readonly metrics: LogsMetrics,
    private readonly logger: Logger,
    private readonly opts: QueuedLogWriterOptions,
  ) {
    this.queue = new RingBuffer<T>(opts.queueMax);
  }

  /** Write one batch; report what could not be stored with `fail`. */
  protected abstract write(items: T[]): Promise<void>;

  /** Queue one item and make sure a drain is coming. Never throws, never waits. */
  protected enqueue(item: T): void {
    if (this.queue.push(item)) {
      this.metrics.dropped.inc({ stream: this.opts.stream, reason: 'buffer-full' });
    }
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.draining = undefined;
      });
  }

  /** Resolves when everything queued so far has been written (or given up on). */
  async settled(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.race([this.settled(), new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  /** Count `n` items Redis (or formatting) refused; warn at most every 10 s. */
  protected fail(n: number, err: unknown): void {
    this.metrics.dropped.inc({ stream: this.opts.stream, reason: 'rejected' }, n);
    const now = Date.now();
    if (now - this.lastErrorLog < LOG_EVERY_MS) return;
    this.lastErrorLog = now;
    this.logger.warn(`could not store ${this.opts.what}: ${(err as Error).message}`);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      if (!this.redis.isReady) {
        const n = this.queue.take(this.queue.length).length;
        this.metrics.dropped.inc({ stream: this.opts.stream, reason: 'redis-down' }, n);
        return;
      }
      await this.write(this.queue.take(this.opts.batch));
    }
  }
}
