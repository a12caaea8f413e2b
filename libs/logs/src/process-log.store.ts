import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { PROCESS_NAME, RedisService } from '@app/storage';
import { CappedStreamWriter } from '@app/logs/capped-stream.writer';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { encodeProcessLog, type ProcessLogLevel } from '@app/logs/process-log.entry';
import { PROCESS_LOG_MAX_LINES, ProcessLogRepository } from '@app/logs/process-log.repository';
import { maskSecrets } from '@app/logs/secret-mask';

/** Lines held in memory while Redis is down (the newest are kept). */
const BUFFER_MAX = 5000;

/**
 * Appends this process's log lines to the cluster's process-log stream: masked, batched,
 * never blocking or throwing into the logger (a logger that fails would take the app down).
 */
@Injectable()
export class ProcessLogStore implements BeforeApplicationShutdown {
  private readonly writer: CappedStreamWriter;

  constructor(
    redis: RedisService,
    repo: ProcessLogRepository,
    metrics: LogsMetrics,
    @Inject(PROCESS_NAME) private readonly processName: string,
  ) {
    this.writer = new CappedStreamWriter(
      redis,
      {
        key: repo.key,
        maxLen: () => PROCESS_LOG_MAX_LINES,
        bufferMax: BUFFER_MAX,
        batchSize: 200,
        flushDelayMs: 50,
      },
      // Dropped lines are counted, not logged: a log line about lost log lines would be queued
      // behind the very backlog it reports.
      { onDrop: (n, reason) => metrics.dropped.inc({ stream: 'process', reason }, n) },
    );
  }

  /** Queue one line (the message is masked here, before it leaves the process). */
  append(level: ProcessLogLevel, context: string, message: string): void {
    try {
      this.writer.push(
        encodeProcessLog(Date.now(), this.processName, level, context, maskSecrets(message)),
      );
    } catch {
      // never let the log sink break the caller
    }
  }

  /** Lines not yet written. */
  get pending(): number {
    return this.writer.pending;
  }

  /** Write what is queued now (tests, shutdown). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.close(1500);
  }
}
