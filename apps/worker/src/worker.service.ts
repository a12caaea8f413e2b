import { Inject, Injectable, Logger } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import type { Job } from 'bullmq';
import {
  JOB_QUEUE,
  JobDiscoveryService,
  JobName,
  JobRepository,
  JobStatus,
  QueueName,
  type BoundHandler,
} from '@app/jobs';
import { ConfigService, type AppConfig } from '@app/config';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';
import { PROCESS_NAME, RedisService } from '@app/storage';
import { RefreshScheduler } from '@app/worker/oauth/refresh-scheduler.service';
import { QuotaScheduler } from '@app/worker/quota/quota-scheduler.service';

/** How often the heartbeat job runs. */
const HEARTBEAT_EVERY_MS = 15_000;

/**
 * The worker's lifecycle: wait for Redis, find the job handlers, start one BullMQ worker per
 * queue, schedule the repeatable jobs; on shutdown pause and close them.
 */
@Injectable()
export class WorkerService {
  private readonly logger = new Logger('Worker');
  private handlers = new Map<JobName, BoundHandler>();
  private readonly durations: Histogram<'job' | 'status'>;
  private readonly failures: Counter<'job'>;
  private started = false;
  private offConfig: (() => void) | undefined;

  constructor(
    private readonly jobs: JobRepository,
    private readonly discovery: JobDiscoveryService,
    private readonly redis: RedisService,
    metrics: MetricsService,
    @Inject(PROCESS_NAME) private readonly processName: string,
    private readonly config: ConfigService,
    private readonly refreshes: RefreshScheduler,
    private readonly quotas: QuotaScheduler,
  ) {
    this.durations = new Histogram({
      name: `${METRIC_PREFIX}job_duration_seconds`,
      help: 'BullMQ job duration by job name and status',
      labelNames: ['job', 'status'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [metrics.registry],
    });
    this.failures = new Counter({
      name: `${METRIC_PREFIX}job_failures_total`,
      help: 'BullMQ job runs that threw (each retry counts), by job name',
      labelNames: ['job'],
      registers: [metrics.registry],
    });
  }

  /** Find handlers (fails when the catalogue is inconsistent), then start processing. */
  async start(): Promise<void> {
    this.handlers = this.discovery.handlers();
    if (!(await this.redis.waitReady(10_000))) {
      this.logger.warn('Redis is not reachable yet; queues start when it comes back');
    }
    const queues = new Set<QueueName>(Object.values(JOB_QUEUE));
    for (const q of queues) this.jobs.startWorker(q, (job) => this.dispatch(job));
    this.started = true;
    void this.scheduleRepeatables();
    this.refreshes.start();
    this.quotas.start();
    this.offConfig = this.config.onChange((next, prev) => {
      if (intervalsChanged(next, prev)) void this.scheduleRepeatables();
    });
    this.logger.debug(`${this.processName} processing queues: ${[...queues].join(', ')}`);
  }

  get isStarted(): boolean {
    return this.started;
  }

  async stop(): Promise<void> {
    this.offConfig?.();
    this.refreshes.stop();
    this.quotas.stop();
    await this.jobs.close();
  }

  private async scheduleRepeatables(): Promise<void> {
    // Retries until Redis answers: a worker started before Redis must still schedule its jobs.
    for (let attempt = 0; ; attempt++) {
      try {
        const w = this.config.current.worker;
        const by = { scheduledBy: this.processName };
        await this.jobs.upsertRepeatable(JobName.Heartbeat, HEARTBEAT_EVERY_MS, by);
        await this.jobs.upsertRepeatable(JobName.Retention, w['retention-minutes'] * 60_000, by);
        await this.jobs.upsertRepeatable(
          JobName.ModelCatalogRefresh,
          w['model-catalog-refresh-minutes'] * 60_000,
          by,
        );
        return;
      } catch (err) {
        if (attempt % 10 === 0)
          this.logger.warn(`scheduling jobs failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async dispatch(job: Job): Promise<JobStatus> {
    const handler = this.handlers.get(job.name as JobName);
    if (!handler) throw new Error(`No handler for job ${job.name}`);
    const end = this.durations.startTimer({ job: job.name });
    try {
      const status = await handler(job.data);
      end({ status });
      return status;
    } catch (err) {
      end({ status: JobStatus.Failed });
      this.failures.inc({ job: job.name });
      throw err;
    }
  }
}

/** Whether a config change moved the period of a repeatable maintenance job. */
function intervalsChanged(next: Readonly<AppConfig>, prev: Readonly<AppConfig>): boolean {
  const a = next.worker;
  const b = prev.worker;
  return (
    a['retention-minutes'] !== b['retention-minutes'] ||
    a['model-catalog-refresh-minutes'] !== b['model-catalog-refresh-minutes'] ||
    a['model-catalog-url'] !== b['model-catalog-url']
  );
}
