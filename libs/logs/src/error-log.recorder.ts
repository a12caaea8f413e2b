import { Injectable, Logger } from '@nestjs/common';
import { buildInfo } from '@app/common';
import { ConfigService } from '@app/config';
import { RedisService } from '@app/storage';
import { errorLogName, formatErrorLog, type ErrorLogInput } from '@app/logs/error-log.format';
import { ErrorLogRepository } from '@app/logs/error-log.repository';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { QueuedLogWriter } from '@app/logs/queued-log.writer';

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
export class ErrorLogRecorder extends QueuedLogWriter<{ input: ErrorLogInput; at: Date }> {
  constructor(
    private readonly config: ConfigService,
    redis: RedisService,
    private readonly repo: ErrorLogRepository,
    metrics: LogsMetrics,
  ) {
    // Failed requests waiting to be written (each can carry bodies, so few), one per write.
    super(redis, metrics, new Logger('ErrorLogs'), {
      stream: 'errors',
      queueMax: 200,
      batch: 1,
      what: 'an error log',
    });
  }

  /** Queue an error log for a finished request; ignored for successes or with `request-log` on. */
  record(input: ErrorLogInput): void {
    if (this.config.current['request-log'] || !isFailedRequest(input)) return;
    this.enqueue({ input, at: input.timestamp ?? new Date() });
  }

  protected async write(items: { input: ErrorLogInput; at: Date }[]): Promise<void> {
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
        this.fail(1, err);
      }
    }
  }
}
