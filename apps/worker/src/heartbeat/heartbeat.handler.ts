import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { JobName, JobStatus, OnJob, type JobPayloads } from '@app/jobs';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';
import { PROCESS_NAME, RedisService } from '@app/storage';

/** Records that a worker ran a job: the timestamp in Redis and a counter. */
@Injectable()
export class HeartbeatHandler {
  private readonly runs: Counter;

  constructor(
    private readonly redis: RedisService,
    metrics: MetricsService,
    @Inject(PROCESS_NAME) private readonly processName: string,
  ) {
    this.runs = new Counter({
      name: `${METRIC_PREFIX}worker_heartbeat_jobs_total`,
      help: 'Heartbeat jobs this worker ran',
      registers: [metrics.registry],
    });
  }

  @OnJob(JobName.Heartbeat)
  async handle(_data: JobPayloads[JobName.Heartbeat]): Promise<JobStatus> {
    await this.redis.command.hset(
      this.redis.key('worker', 'heartbeat'),
      this.processName,
      Date.now(),
    );
    this.runs.inc();
    return JobStatus.Success;
  }
}
