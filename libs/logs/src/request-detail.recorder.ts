import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { buildInfo, RingBuffer } from '@app/common';
import { RedisService } from '@app/storage';
import { formatErrorLog, type ErrorLogInput } from '@app/logs/error-log.format';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { RequestDetailRepository, type RequestDetail } from '@app/logs/request-detail.repository';

/** Requests waiting to be formatted and written (each holds references to its bodies). */
const QUEUE_MAX = 500;
/**
 * Logs formatted and written per round trip. Small: formatting masks up to four 64 KiB bodies
 * per log, and the event loop should get back between batches.
 */
const BATCH = 16;
const LOG_EVERY_MS = 10_000;

/**
 * Keeps the full log of every proxied request while `request-log` is on (CLIProxyAPI's request
 * log, served by `/request-log-by-id/:id`). `record` only queues references; masking, body
 * capping, formatting and the Redis write happen off the request path, in small batches.
 * While Redis is down logs are dropped and counted: they are diagnostics, not accounting.
 */
@Injectable()
export class RequestDetailRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('RequestLog');
  private readonly queue = new RingBuffer<ErrorLogInput>(QUEUE_MAX);
  private draining: Promise<void> | undefined;
  private lastErrorLog = 0;

  constructor(
    private readonly redis: RedisService,
    private readonly repo: RequestDetailRepository,
    private readonly metrics: LogsMetrics,
  ) {}

  /** Queue one finished request. Never throws, never waits. */
  record(input: ErrorLogInput): void {
    if (this.queue.push(input))
      this.metrics.dropped.inc({ stream: 'bodies', reason: 'buffer-full' });
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

  private async drain(): Promise<void> {
    const version = buildInfo().version;
    while (this.queue.length > 0) {
      if (!this.redis.isReady) {
        const n = this.queue.take(this.queue.length).length;
        this.metrics.dropped.inc({ stream: 'bodies', reason: 'redis-down' }, n);
        return;
      }
      const batch: RequestDetail[] = [];
      for (const input of this.queue.take(BATCH)) {
        const at = input.timestamp ?? new Date();
        try {
          const text = formatErrorLog({
            ...input,
            timestamp: at,
            version: input.version ?? version,
          });
          batch.push({ id: input.requestId, at: at.getTime(), text });
        } catch (err) {
          this.fail(1, err);
        }
      }
      try {
        await this.repo.addMany(batch);
      } catch (err) {
        this.fail(batch.length, err);
      }
    }
  }

  private fail(n: number, err: unknown): void {
    this.metrics.dropped.inc({ stream: 'bodies', reason: 'rejected' }, n);
    const now = Date.now();
    if (now - this.lastErrorLog < LOG_EVERY_MS) return;
    this.lastErrorLog = now;
    this.logger.warn(`could not store a request log: ${(err as Error).message}`);
  }
}
