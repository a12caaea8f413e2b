import { Module } from '@nestjs/common';
import { ErrorLogRecorder } from '@app/logs/error-log.recorder';
import { ErrorLogRepository } from '@app/logs/error-log.repository';
import { ExchangeLogRecorder } from '@app/logs/exchange-log.recorder';
import { LiveLogsService } from '@app/logs/live-logs.service';
import { LogsMetrics } from '@app/logs/logs.metrics';
import { ProcessLogRepository } from '@app/logs/process-log.repository';
import { ProcessLogStore } from '@app/logs/process-log.store';
import { ProcessLogger } from '@app/logs/process-logger';
import { RequestLogRecorder } from '@app/logs/request-log.recorder';
import { RequestLogRepository } from '@app/logs/request-log.repository';
import { RequestDetailRecorder } from '@app/logs/request-detail.recorder';
import { RequestDetailRepository } from '@app/logs/request-detail.repository';

const PROVIDERS = [
  LogsMetrics,
  ProcessLogRepository,
  ProcessLogStore,
  ProcessLogger,
  RequestLogRepository,
  RequestLogRecorder,
  ErrorLogRepository,
  ErrorLogRecorder,
  RequestDetailRepository,
  RequestDetailRecorder,
  ExchangeLogRecorder,
  LiveLogsService,
];

/**
 * The shared logs in Redis: process logs (ProcessLogger), the request log (RequestLogRecorder),
 * error logs and full request logs (ExchangeLogRecorder → ErrorLogRecorder,
 * RequestDetailRecorder) and their readers. Needs the global Config, Metrics and Storage modules.
 */
@Module({ providers: PROVIDERS, exports: PROVIDERS })
export class LogsModule {}
