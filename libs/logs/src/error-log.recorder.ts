import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { buildInfo } from '@app/common';
import { ConfigService } from '@app/config';
import { RedisService } from '@app/storage';
import { errorLogName, formatErrorLog, type ErrorLogInput } from '@app/logs/error-log.format';
import { ErrorLogRepository } from '@app/logs/error-log.repository';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { BatchedLogWriter, countedDrops } from '@app/logs/batched-log.writer';

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
  private readonly writer: BatchedLogWriter<{ input: ErrorLogInput; at: Date }>;

  constructor(
    private readonly config: ConfigService,
    redis: RedisService,
    private readonly repo: ErrorLogRepository,
    metrics: LogsMetrics,
  ) {
    this.writer = new BatchedLogWriter(
      redis,
      // Failed requests waiting to be written (each can carry bodies, so few), one per write;
      // lost while Redis is down (diagnostics, not accounting).
      { bufferMax: 200, batchSize: 1, flushDelayMs: 0, whenDown: 'drop' },
      (items) => this.write(items),
      countedDrops(metrics, 'errors', new Logger('ErrorLogs'), 'an error log'),
    );
  }

  /** Queue an error log for a finished request; ignored for successes or with `request-log` on. */
  record(input: ErrorLogInput): void {
    if (this.config.current['request-log'] || !isFailedRequest(input)) return;
    this.writer.push({ input, at: input.timestamp ?? new Date() });
  }

  /** Resolves when everything queued so far has been written (or given up on). */
  settled(): Promise<void> {
    return this.writer.settled();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.close(2000);
  }

  private async write(items: { input: ErrorLogInput; at: Date }[]): Promise<void> {
    for (const { input, at } of items) {
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
        this.writer.reject(1, err);
      }
    }
  }
}
