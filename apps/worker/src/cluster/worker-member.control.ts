import { Injectable } from '@nestjs/common';
import { MemberControl, type HealthReport } from '@app/cluster';
import { JobRepository } from '@app/jobs';
import { RedisService } from '@app/storage';
import { WorkerService } from '@app/worker/worker.service';

/**
 * The worker as a cluster member: `stop` pauses its BullMQ workers (jobs stay queued for other
 * workers or for `start`); health is Redis reachable and queues running.
 */
@Injectable()
export class WorkerMemberControl extends MemberControl {
  readonly kind = 'worker' as const;
  private pausedByCommand = false;
  private drainingSince: number | undefined;

  constructor(
    private readonly jobs: JobRepository,
    private readonly worker: WorkerService,
    private readonly redis: RedisService,
  ) {
    super();
  }

  async pause(): Promise<void> {
    // Paused first, so the member reports `stopped` even while running jobs finish.
    this.pausedByCommand = true;
    await this.jobs.pauseWorkers();
  }

  async resume(): Promise<void> {
    this.jobs.resumeWorkers();
    this.pausedByCommand = false;
  }

  get paused(): boolean {
    return this.pausedByCommand;
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Called when shutdown begins (SIGTERM): the member reports `stopping`. */
  startDraining(): void {
    this.drainingSince ??= Date.now();
  }

  async health(): Promise<HealthReport> {
    const redis = await this.redis.ping();
    const running = this.worker.isStarted && this.jobs.workersRunning();
    const queues = this.pausedByCommand
      ? { ok: true, detail: 'paused by the cluster API' }
      : {
          ok: running,
          detail: running
            ? 'processing'
            : this.worker.isStarted
              ? 'not running'
              : 'not started yet',
        };
    return {
      status: redis && queues.ok ? 'healthy' : 'unhealthy',
      checks: { redis: { ok: redis, detail: redis ? 'reachable' : 'unreachable' }, queues },
    };
  }
}
