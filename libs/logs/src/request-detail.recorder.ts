import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { buildInfo } from '@app/common';
import { RedisService } from '@app/storage';
import { formatErrorLog, type ErrorLogInput } from '@app/logs/error-log.format';
import { BatchedLogWriter, countedDrops } from '@app/logs/batched-log.writer';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { RequestDetailRepository, type RequestDetail } from '@app/logs/request-detail.repository';

/**
 * Keeps the full log of every proxied request while `request-log` is on (CLIProxyAPI's request
 * log, served by `/request-log-by-id/:id`). `record` only queues references; masking, body
 * capping, formatting and the Redis write happen off the request path, in small batches.
 */
@Injectable()
export class RequestDetailRecorder implements BeforeApplicationShutdown {
  private readonly writer: BatchedLogWriter<ErrorLogInput>;

  constructor(
    redis: RedisService,
    private readonly repo: RequestDetailRepository,
    metrics: LogsMetrics,
  ) {
    this.writer = new BatchedLogWriter(
      redis,
      {
        // Requests waiting to be formatted and written (each holds references to its bodies).
        bufferMax: 500,
        // Small: formatting masks up to four 64 KiB bodies per log, and the event loop should
        // get back between batches.
        batchSize: 16,
        flushDelayMs: 0,
        // Lost while Redis is down (diagnostics, not accounting).
        whenDown: 'drop',
      },
      (inputs) => this.write(inputs),
      countedDrops(metrics, 'bodies', new Logger('RequestLog'), 'a request log'),
    );
  }

  /** Queue one finished request. Never throws, never waits. */
  record(input: ErrorLogInput): void {
    this.writer.push(input);
  }

  /** Resolves when everything queued so far has been written (or given up on). */
  settled(): Promise<void> {
    return this.writer.settled();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.close(2000);
  }

  private async write(inputs: ErrorLogInput[]): Promise<void> {
    const version = buildInfo().version;
    const batch: RequestDetail[] = [];
    for (const input of inputs) {
      const at = input.timestamp ?? new Date();
      try {
        const text = formatErrorLog({ ...input, timestamp: at, version: input.version ?? version });
        batch.push({ id: input.requestId, at: at.getTime(), text });
      } catch (err) {
        this.writer.reject(1, err);
      }
    }
    try {
      await this.repo.addMany(batch);
    } catch (err) {
      this.writer.reject(batch.length, err);
    }
  }
}
