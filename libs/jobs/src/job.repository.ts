import { Injectable, Logger } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { RedisService } from '@app/storage';
import {
  JOB_QUEUE,
  JobName,
  QueueName,
  type JobPayloads,
  type JobStatus,
} from '@app/jobs/job.types';

export type JobHandler = (data: unknown, job: Job) => Promise<JobStatus>;

/** Queue depth per state, for /health and metrics. */
export type QueueCounts = Record<'waiting' | 'active' | 'delayed' | 'failed' | 'completed', number>;

/**
 * All BullMQ I/O: queues for producers, workers for the worker process. Queue names are
 * prefixed with the cluster key prefix so several deployments can share one Redis.
 */
@Injectable()
export class JobRepository {
  private readonly logger = new Logger('Jobs');
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers = new Map<QueueName, Worker>();
  /** Connections we duplicated for workers: BullMQ treats passed instances as shared and never closes them. */
  private readonly owned: Redis[] = [];

  constructor(private readonly redis: RedisService) {}

  private get prefix(): string {
    return `${this.redis.settings.keyPrefix}bull`;
  }

  /** The queue (created on first use). */
  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis.queue, prefix: this.prefix });
      q.on('error', (err) => this.logger.warn(`queue ${name}: ${err.message}`));
      this.queues.set(name, q);
    }
    return q;
  }

  /** Enqueue a job; a deterministic `jobId` collapses duplicates from many replicas. */
  async add<N extends JobName>(name: N, data: JobPayloads[N], jobId?: string): Promise<void> {
    await this.queue(JOB_QUEUE[name]).add(name, data, {
      jobId,
      removeOnComplete: 100,
      removeOnFail: 500,
    });
  }

  /** Create or update a repeatable job (one scheduler per id, shared by every worker). */
  async upsertRepeatable<N extends JobName>(
    name: N,
    everyMs: number,
    data: JobPayloads[N],
  ): Promise<void> {
    await this.queue(JOB_QUEUE[name]).upsertJobScheduler(
      `${name}:every`,
      { every: everyMs },
      { name, data, opts: { removeOnComplete: 100, removeOnFail: 500 } },
    );
  }

  /** Start a worker for a queue, dispatching by job name. */
  startWorker(name: QueueName, dispatch: (job: Job) => Promise<JobStatus>, concurrency = 4): void {
    if (this.workers.has(name)) return;
    // BullMQ workers need their own blocking connection: duplicate the queue connection.
    const conn = this.redis.queue.duplicate();
    conn.on('error', () => undefined); // reported by the worker's own error event
    this.owned.push(conn);
    const worker = new Worker(name, dispatch, {
      connection: conn,
      prefix: this.prefix,
      concurrency,
    });
    worker.on('error', (err) => this.logger.warn(`worker ${name}: ${err.message}`));
    worker.on('failed', (job, err) =>
      this.logger.warn(`job ${job?.name ?? '?'} (${job?.id ?? '?'}) failed: ${err.message}`),
    );
    this.workers.set(name, worker);
  }

  async pauseWorkers(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.pause(true)));
  }

  resumeWorkers(): void {
    for (const w of this.workers.values()) w.resume();
  }

  /** True when every started worker is running (not paused, not closed). */
  workersRunning(): boolean {
    return [...this.workers.values()].every((w) => w.isRunning() && !w.isPaused());
  }

  async counts(name: QueueName): Promise<QueueCounts> {
    const c = await this.queue(name).getJobCounts(
      'waiting',
      'active',
      'delayed',
      'failed',
      'completed',
    );
    return {
      waiting: c.waiting ?? 0,
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
      completed: c.completed ?? 0,
    };
  }

  /** Close workers first (they finish their current job), then queues. */
  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await Promise.all(this.owned.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
    this.workers.clear();
    this.queues.clear();
  }
}
