import { Inject, Injectable, Logger } from '@nestjs/common';
import { Histogram } from 'prom-client';
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
import { METRIC_PREFIX, MetricsService } from '@app/metrics';
import { PROCESS_NAME, RedisService } from '@app/storage';

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
  private started = false;

  constructor(
    private readonly jobs: JobRepository,
    private readonly discovery: JobDiscoveryService,
    private readonly redis: RedisService,
    metrics: MetricsService,
    @Inject(PROCESS_NAME) private readonly processName: string,
  ) {
    this.durations = new Histogram({
      name: `${METRIC_PREFIX}job_duration_seconds`,
      help: 'BullMQ job duration by job name and status',
      labelNames: ['job', 'status'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
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
    this.logger.log(`${this.processName} processing queues: ${[...queues].join(', ')}`);
  }

  get isStarted(): boolean {
    return this.started;
  }

  async stop(): Promise<void> {
    await this.jobs.close();
  }

  private async scheduleRepeatables(): Promise<void> {
    // Retries until Redis answers: a worker started before Redis must still schedule its jobs.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.jobs.upsertRepeatable(JobName.Heartbeat, HEARTBEAT_EVERY_MS, {
          scheduledBy: this.processName,
        });
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
      throw err;
    }
  }
}
