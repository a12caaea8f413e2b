import { Injectable, Logger } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import { hashTag, RedisService, type RedisClient } from '@app/storage';
import {
  JOB_QUEUE,
  JobName,
  QueueName,
  type JobPayloads,
  type JobStatus,
} from '@app/jobs/job.types';
import { jobOptions, type JobOptions } from '@app/jobs/job.options';

export type JobHandler = (data: unknown, job: Job) => Promise<JobStatus>;

/** What a call site may choose about one enqueue (everything else comes from the catalogue). */
export interface AddJobOptions {
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
}

/** A per-key repeatable job as BullMQ stores it. */
export interface SchedulerInfo {
  id: string;
  every?: number;
  offset?: number;
  next?: number;
}

/** Queue depth per state, for /health and metrics. */
export type QueueCounts = Record<'waiting' | 'active' | 'delayed' | 'failed' | 'completed', number>;

/**
 * All BullMQ I/O: queues for producers, workers for the worker process. Each queue's keys sit
 * under `<key prefix>bull:{<queue>}` so several deployments can share one Redis, and so every
 * key of one queue (BullMQ's scripts touch many at once) hashes to one slot of a Redis Cluster
 * while different queues spread over the cluster.
 */
@Injectable()
export class JobRepository {
  private readonly logger = new Logger('Jobs');
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers = new Map<QueueName, Worker>();
  /** Connections we duplicated for workers: BullMQ treats passed instances as shared and never closes them. */
  private readonly owned: RedisClient[] = [];

  constructor(private readonly redis: RedisService) {}

  /** BullMQ's key prefix of one queue (BullMQ appends `:<queue>:<what>`). */
  prefixOf(name: QueueName): string {
    return `${this.redis.settings.keyPrefix}bull:${hashTag(name)}`;
  }

  /** The queue (created on first use). */
  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis.queue, prefix: this.prefixOf(name) });
      q.on('error', (err) => this.logger.warn(`queue ${name}: ${err.message}`));
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Enqueue a job with the options the catalogue derives from its payload (`job.options.ts`):
   * a deterministic `jobId` collapses duplicates from many replicas.
   */
  async add<N extends JobName>(
    name: N,
    data: JobPayloads[N],
    opts: AddJobOptions = {},
  ): Promise<void> {
    const o = jobOptions(name, data);
    await this.queue(JOB_QUEUE[name]).add(name, data, {
      ...bullOptions(o),
      jobId: o.jobId,
      delay: opts.delayMs && opts.delayMs > 0 ? Math.round(opts.delayMs) : undefined,
    });
  }

  /** The state of one job by id (`unknown` when there is none). */
  async jobState(queue: QueueName, jobId: string): Promise<string> {
    return this.queue(queue).getJobState(jobId);
  }

  /** Remove a job by id (a no-op when it is gone or running). */
  async remove(queue: QueueName, jobId: string): Promise<void> {
    try {
      await this.queue(queue).remove(jobId);
    } catch {
      // running jobs are locked; they finish on their own
    }
  }

  /**
   * Create or update a per-key repeatable job: one scheduler per `id`, shared by every worker.
   * `offsetMs` shifts its runs so schedulers with the same interval do not all fire together.
   */
  async upsertScheduler<N extends JobName>(
    id: string,
    name: N,
    everyMs: number,
    offsetMs: number,
    data: JobPayloads[N],
  ): Promise<void> {
    await this.queue(JOB_QUEUE[name]).upsertJobScheduler(
      id,
      { every: everyMs, offset: offsetMs > 0 ? Math.round(offsetMs) : undefined },
      { name, data, opts: bullOptions(jobOptions(name, data)) },
    );
  }

  /** The schedulers of a queue. */
  async schedulers(queue: QueueName): Promise<SchedulerInfo[]> {
    const list = await this.queue(queue).getJobSchedulers(0, -1, true);
    return list.map((s) => ({
      id: s.key,
      every: s.every === undefined || s.every === null ? undefined : Number(s.every),
      offset: s.offset === undefined || s.offset === null ? undefined : Number(s.offset),
      next: s.next,
    }));
  }

  /** Remove a scheduler (its pending run goes with it). */
  async removeScheduler(queue: QueueName, id: string): Promise<void> {
    await this.queue(queue).removeJobScheduler(id);
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
      { name, data, opts: bullOptions(jobOptions(name, data)) },
    );
  }

  /** Start a worker for a queue, dispatching by job name. */
  startWorker(name: QueueName, dispatch: (job: Job) => Promise<JobStatus>, concurrency = 4): void {
    if (this.workers.has(name)) return;
    // BullMQ workers need their own blocking connection.
    const conn = this.redis.connection('blocking', `worker:${name}`);
    conn.on('error', () => undefined); // reported by the worker's own error event
    this.owned.push(conn);
    const worker = new Worker(name, dispatch, {
      connection: conn,
      prefix: this.prefixOf(name),
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

/** The catalogue's options in BullMQ's shape (without the id: schedulers make their own). */
function bullOptions(o: JobOptions) {
  return {
    attempts: o.attempts,
    backoff: o.backoffMs ? { type: 'exponential', delay: o.backoffMs } : undefined,
    removeOnComplete: o.removeOnComplete,
    removeOnFail: o.removeOnFail,
  };
}
