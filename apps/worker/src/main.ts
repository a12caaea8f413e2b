import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { MembershipService, NameTakenError, REFUSED_EXIT_CODE } from '@app/cluster';
import { ConfigService, loadConfigOrExit } from '@app/config';
import {
  CONFIG_EXIT_CODE,
  DEFAULT_WORKER_PORT,
  installGracefulShutdown,
  listenProblem,
  notifySupervisor,
  resolveProcessName,
} from '@app/common';
import { JobRepository } from '@app/jobs';
import { AppLogger, appLoggerOptions, ProcessLogger } from '@app/logs';
import { MetricsService } from '@app/metrics';
import { ConfigStoreService, PROCESS_NAME, RedisService } from '@app/storage';
import { WorkerMemberControl } from '@app/worker/cluster/worker-member.control';
import { HealthServer } from '@app/worker/health/health.server';
import { createWorkerApp } from '@app/worker/worker.factory';
import { WorkerService } from '@app/worker/worker.service';

async function main(): Promise<void> {
  const logger = new AppLogger(appLoggerOptions(resolveProcessName('worker')));
  await loadConfigOrExit(logger);
  const app = await createWorkerApp({ logger, bufferLogs: true });
  // From here on every log line also goes to the cluster's shared process log.
  app.useLogger(app.get(ProcessLogger));
  const worker = app.get(WorkerService);
  const redis = app.get(RedisService);
  const config = app.get(ConfigService);
  const member = app.get(WorkerMemberControl);
  const store = app.get(ConfigStoreService);
  const health = new HealthServer({
    redis,
    jobs: app.get(JobRepository),
    worker,
    metrics: app.get(MetricsService),
    processName: app.get<string>(PROCESS_NAME),
    metricsEnabled: () => config.current.metrics.enabled,
    ready: () => store.ready && !member.draining,
  });
  const port = Number(process.env.WORKER_PORT ?? DEFAULT_WORKER_PORT);
  // The same interface as the gateway (config `host`), unless WORKER_HOST says otherwise.
  const host = process.env.WORKER_HOST?.trim() || config.current.host || '0.0.0.0';
  let bound: number;
  try {
    bound = await health.listen(port, host);
  } catch (err) {
    // Errors only a setting can fix: say which, and do not get restarted.
    const problem = listenProblem(err, {
      host,
      port,
      portSetting: 'WORKER_PORT',
      hostSetting: 'WORKER_HOST (or host in config.yaml)',
    });
    if (!problem) throw err;
    Logger.error(problem, 'Worker');
    await app.close().catch(() => undefined);
    process.exit(CONFIG_EXIT_CODE);
  }
  installGracefulShutdown({
    name: 'worker',
    drainMs: 30000,
    beforeClose: () => member.startDraining(),
    close: async () => {
      await worker.stop(); // lets running jobs finish, then closes queues
      await health.close();
      await app.close();
    },
  });
  await worker.start();
  void app.get(MembershipService).beat(); // report the queues as running right away
  const url = `http://${host}:${bound}`;
  Logger.log(`ready: health and metrics on ${url}`, 'Worker');
  notifySupervisor({ type: 'ready', kind: 'worker', url });
}

main().catch((err: unknown) => {
  Logger.error((err as Error)?.message ?? String(err), 'Worker');
  // A failure before the process logger took over would otherwise stay in Nest's buffer.
  Logger.flush();
  // A name a live member holds is refused like a config problem: restarting cannot fix it.
  process.exit(err instanceof NameTakenError ? REFUSED_EXIT_CODE : 1);
});
