import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { RedisService } from '@app/storage';
import { decodeProcessLog, type ProcessLogEntry } from '@app/logs/process-log.entry';
import { ProcessLogRepository } from '@app/logs/process-log.repository';
import { decodeRequestLog, type RequestLogEntry } from '@app/logs/request-log.entry';
import { RequestLogRepository } from '@app/logs/request-log.repository';
import { StreamTailer } from '@app/logs/stream-tailer';

/** Live feeds of the shared logs for this process's SSE clients (one Redis reader per log). */
@Injectable()
export class LiveLogsService implements OnApplicationShutdown {
  /** New process-log lines from every member. */
  readonly processLogs: StreamTailer<ProcessLogEntry>;
  /** New request-log entries from every gateway replica. */
  readonly requests: StreamTailer<RequestLogEntry>;

  constructor(
    redis: RedisService,
    processRepo: ProcessLogRepository,
    requestRepo: RequestLogRepository,
  ) {
    this.processLogs = new StreamTailer(redis, processRepo.key, decodeProcessLog);
    this.requests = new StreamTailer(redis, requestRepo.key, decodeRequestLog);
  }

  onApplicationShutdown(): void {
    this.processLogs.close();
    this.requests.close();
  }
}
