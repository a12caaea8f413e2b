import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { buildInfo } from '@app/common';
import { ConfigService } from '@app/config';
import { RedisService } from '@app/storage';
import { errorLogName, formatErrorLog, type ErrorLogInput } from '@app/logs/error-log.format';
import { ErrorLogRepository } from '@app/logs/error-log.repository';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { RingBuffer } from '@app/common';

/** Failed requests waiting to be written (each can carry bodies, so few). */
const QUEUE_MAX = 200;
const LOG_EVERY_MS = 10_000;

/** True when a request counts as failed for error logging (status ≥ 400 or an upstream error). */
export function isFailedRequest(input: ErrorLogInput): boolean {
  if (input.failed !== undefined) return input.failed;
  return (
    input.responseStatus >= 400 ||
    (input.upstreamStatus !== undefined && input.upstreamStatus >= 400) ||
    input.upstreamError !== undefined
  );
}

/**
 * Keeps an error log for each failed proxied request while `request-log` is off (CLIProxyAPI's
 * `error-<time>-<id>.log`, capped by `error-logs-max-files`). `record` only queues the input;
 * formatting (masking, body capping) and the Redis write happen off the request path, and the
 * caller must not mutate what it handed over.
 */
@Injectable()
export class ErrorLogRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('ErrorLogs');
  private readonly queue = new RingBuffer<{ input: ErrorLogInput; at: Date }>(QUEUE_MAX);
  private draining: Promise<void> | undefined;
  private lastErrorLog = 0;

  constructor(
    private readonly config: ConfigService,
    private readonly redis: RedisService,
    private readonly repo: ErrorLogRepository,
    private readonly metrics: LogsMetrics,
  ) {}

  /** Queue an error log for a finished request; ignored for successes or with `request-log` on. */
  record(input: ErrorLogInput): void {
    if (this.config.current['request-log'] || !isFailedRequest(input)) return;
    if (this.queue.push({ input, at: input.timestamp ?? new Date() })) {
      this.metrics.dropped.inc({ stream: 'errors', reason: 'buffer-full' });
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

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      if (!this.redis.isReady) {
        // Error logs are diagnostics, not accounting: without Redis they are dropped, counted.
        const n = this.queue.take(this.queue.length).length;
        this.metrics.dropped.inc({ stream: 'errors', reason: 'redis-down' }, n);
        return;
      }
      const [{ input, at }] = this.queue.take(1);
      try {
        const text = formatErrorLog({
          ...input,
          timestamp: at,
          version: input.version ?? buildInfo().version,
        });
        await this.repo.add(
          errorLogName(input.requestId, at),
          text,
          this.config.current['error-logs-max-files'],
        );
      } catch (err) {
        this.metrics.dropped.inc({ stream: 'errors', reason: 'rejected' });
        const now = Date.now();
        if (now - this.lastErrorLog > LOG_EVERY_MS) {
          this.lastErrorLog = now;
          this.logger.warn(`could not store an error log: ${(err as Error).message}`);
        }
      }
    }
  }
}
