import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext, LogLevel } from '@nestjs/common';
import { ProcessLogger } from '@app/logs';
import { WorkerModule } from '@app/worker/worker.module';

/** Build the worker's Nest context (not started: call WorkerService.start()). */
export async function createWorkerApp(
  opts: { logger?: LogLevel[] } = {},
): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule, {
    logger: opts.logger ?? ['log', 'error', 'warn'],
    // Held until the cluster logger takes over, so startup lines reach the shared log too.
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(ProcessLogger));
  return app;
}
