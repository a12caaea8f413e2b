import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext, LoggerService, LogLevel } from '@nestjs/common';
import { WorkerModule } from '@app/worker/worker.module';

/** Build the worker's Nest context (not started: call WorkerService.start()). */
export async function createWorkerApp(
  opts: {
    logger?: false | LogLevel[] | LoggerService;
    /** Hold startup logs until the caller installs its logger (main.ts: the shared process log). */
    bufferLogs?: boolean;
  } = {},
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(WorkerModule, {
    logger: opts.logger ?? ['log', 'error', 'warn'],
    bufferLogs: opts.bufferLogs ?? false,
    abortOnError: false,
  });
}
