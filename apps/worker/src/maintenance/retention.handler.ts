import { Injectable } from '@nestjs/common';
import { ConfigService } from '@app/config';
import { JobName, JobStatus, OnJob, type JobPayloads } from '@app/jobs';
import { pairsOf, UsageRepository } from '@app/usage';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Age-based retention, once per cluster per period. Usage detail records are capped by age
 * (`usage.details-max-age-days`) and count; details of models nobody uses any more are never
 * touched by a write, so they are trimmed here. The request log and error logs are capped by
 * count on every write, and full request logs expire by TTL, so they need no sweep.
 */
@Injectable()
export class RetentionHandler {
  constructor(
    private readonly usage: UsageRepository,
    private readonly config: ConfigService,
  ) {}

  @OnJob(JobName.Retention)
  async handle(_data: JobPayloads[JobName.Retention]): Promise<JobStatus> {
    const limits = this.config.current.usage;
    const { model } = await this.usage.readIndex();
    const pairs = pairsOf(model);
    if (pairs.length === 0) return JobStatus.Skipped;
    await this.usage.trimDetails(
      pairs,
      Date.now() - limits['details-max-age-days'] * DAY_MS,
      limits['details-max-per-model'],
    );
    return JobStatus.Success;
  }
}
