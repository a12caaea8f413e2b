import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { MembershipService, NameTakenError, REFUSED_EXIT_CODE } from '@app/cluster';
import { ConfigService } from '@app/config';
import { DEFAULT_WORKER_PORT, installGracefulShutdown } from '@app/common';
import { JobRepository } from '@app/jobs';
import { MetricsService } from '@app/metrics';
import { PROCESS_NAME, RedisService } from '@app/storage';
import { WorkerMemberControl } from '@app/worker/cluster/worker-member.control';
import { HealthServer } from '@app/worker/health/health.server';
import { createWorkerApp } from '@app/worker/worker.factory';
import { WorkerService } from '@app/worker/worker.service';

async function main(): Promise<void> {
  const app = await createWorkerApp();
  const worker = app.get(WorkerService);
  const redis = app.get(RedisService);
  const health = new HealthServer({
    redis,
    jobs: app.get(JobRepository),
    worker,
    metrics: app.get(MetricsService),
    processName: app.get<string>(PROCESS_NAME),
    metricsEnabled: () => app.get(ConfigService).current.metrics.enabled,
  });
  const port = Number(process.env.WORKER_PORT ?? DEFAULT_WORKER_PORT);
  const host = process.env.WORKER_HOST ?? '0.0.0.0';
  const bound = await health.listen(port, host);
  Logger.log(`health and metrics on http://${host}:${bound}`, 'Worker');
  installGracefulShutdown({
    name: 'worker',
    drainMs: 30000,
    beforeClose: () => app.get(WorkerMemberControl).startDraining(),
    close: async () => {
      await worker.stop(); // lets running jobs finish, then closes queues
      await health.close();
      await app.close();
    },
  });
  await worker.start();
  void app.get(MembershipService).beat(); // report the queues as running right away
}

main().catch((err: unknown) => {
  Logger.error((err as Error)?.message ?? String(err), 'Worker');
  Logger.flush();
  process.exit(err instanceof NameTakenError ? REFUSED_EXIT_CODE : 1);
});
