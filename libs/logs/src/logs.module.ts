import { Module } from '@nestjs/common';
import { ErrorLogRecorder } from '@app/logs/error-log.recorder';
import { ErrorLogRepository } from '@app/logs/error-log.repository';
import { LiveLogsService } from '@app/logs/live-logs.service';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { ProcessLogRepository } from '@app/logs/process-log.repository';
import { ProcessLogStore } from '@app/logs/process-log.store';
import { ProcessLogger } from '@app/logs/process-logger';
import { RequestLogRecorder } from '@app/logs/request-log.recorder';
import { RequestLogRepository } from '@app/logs/request-log.repository';

const PROVIDERS = [
  LogsMetrics,
  ProcessLogRepository,
  ProcessLogStore,
  ProcessLogger,
  RequestLogRepository,
  RequestLogRecorder,
  ErrorLogRepository,
  ErrorLogRecorder,
  LiveLogsService,
];

/**
 * The shared logs in Redis: process logs (ProcessLogger), the request log (RequestLogRecorder),
 * error logs (ErrorLogRecorder) and their readers. Needs the global Config, Metrics and Storage
 * modules.
 */
@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class LogsModule {}
