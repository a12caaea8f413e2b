import { Injectable, Logger } from '@nestjs/common';
import { buildInfo } from '@app/common';
import { RedisService } from '@app/storage';
import { formatErrorLog, type ErrorLogInput } from '@app/logs/error-log.format';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { QueuedLogWriter } from '@app/logs/queued-log.writer';
import { RequestDetailRepository, type RequestDetail } from '@app/logs/request-detail.repository';

/**
 * Keeps the full log of every proxied request while `request-log` is on (CLIProxyAPI's request
 * log, served by `/request-log-by-id/:id`). `record` only queues references; masking, body
 * capping, formatting and the Redis write happen off the request path, in small batches.
 */
@Injectable()
export class RequestDetailRecorder extends QueuedLogWriter<ErrorLogInput> {
  constructor(
    redis: RedisService,
    private readonly repo: RequestDetailRepository,
    metrics: LogsMetrics,
  ) {
    super(redis, metrics, new Logger('RequestLog'), {
      stream: 'bodies',
      // Requests waiting to be formatted and written (each holds references to its bodies).
      queueMax: 500,
      // Small: formatting masks up to four 64 KiB bodies per log, and the event loop should get
      // back between batches.
      batch: 16,
      what: 'a request log',
    });
  }

  /** Queue one finished request. Never throws, never waits. */
  record(input: ErrorLogInput): void {
    this.enqueue(input);
  }

  protected async write(inputs: ErrorLogInput[]): Promise<void> {
    const version = buildInfo().version;
    const batch: RequestDetail[] = [];
    for (const input of inputs) {
      const at = input.timestamp ?? new Date();
      try {
        const text = formatErrorLog({ ...input, timestamp: at, version: input.version ?? version });
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
