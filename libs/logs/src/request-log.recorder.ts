import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@app/config';
import type { UsageRecord } from '@app/usage';
import { PROCESS_NAME, RedisService } from '@app/storage';
import { CappedStreamWriter } from '@app/logs/capped-stream.writer';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { encodeRequestLog } from '@app/logs/request-log.entry';
import { RequestLogRepository } from '@app/logs/request-log.repository';

/** Entries held in memory while Redis is down (the newest are kept). */
const BUFFER_MAX = 20_000;
/**
 * How long an entry waits for companions before the pipelined write: short, because live
 * readers on other replicas must see a request within 200 ms of it finishing.
 */
const FLUSH_DELAY_MS = 20;
/** Minimum time between two log lines about drops. */
const LOG_EVERY_MS = 10_000;

/**
 * Appends one entry per proxied request to the shared request log (a capped Redis stream,
 * `request-log-max-entries`). The proxy's usage hook fans out to `record`, which only queues:
 * writes are batched into pipelines off the request path, bounded while Redis is down.
 */
@Injectable()
export class RequestLogRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('RequestLog');
  private readonly writer: CappedStreamWriter;
  private droppedSinceLog = 0;
  private lastDropLog = 0;

  constructor(
    config: ConfigService,
    redis: RedisService,
    repo: RequestLogRepository,
    metrics: LogsMetrics,
    @Inject(PROCESS_NAME) private readonly processName: string,
  ) {
    this.writer = new CappedStreamWriter(
      redis,
      {
        key: repo.key,
        maxLen: () => config.current['request-log-max-entries'],
        bufferMax: BUFFER_MAX,
        batchSize: 500,
        flushDelayMs: FLUSH_DELAY_MS,
      },
      {
        onDrop: (n, reason) => {
          metrics.dropped.inc({ stream: 'requests', reason }, n);
          this.reportDrops(n);
        },
      },
    );
  }

  /** Queue one finished request. Never throws, never waits. */
  record(rec: UsageRecord): void {
    try {
      this.writer.push(encodeRequestLog(rec, this.processName));
    } catch {
      // a malformed record must not reach the proxy as an error
    }
  }

  /** Entries not yet written. */
  get pending(): number {
    return this.writer.pending;
  }

  /** Write what is queued now (tests, shutdown). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.close(3000);
  }

  private reportDrops(n: number): void {
    this.droppedSinceLog += n;
    const now = Date.now();
    if (now - this.lastDropLog < LOG_EVERY_MS) return;
    this.lastDropLog = now;
    this.logger.warn(
      `request log: ${this.droppedSinceLog} entries dropped since the last report (Redis slow or down)`,
    );
    this.droppedSinceLog = 0;
  }
}
