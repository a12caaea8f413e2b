import { Injectable } from '@nestjs/common';
import { JobName, JobStatus, OnJob, type JobPayloads } from '@app/jobs';
import { QuotaPollService } from '@app/quota';

/** Polls one account's quota (scheduled or on demand). */
@Injectable()
export class QuotaPollHandler {
  constructor(private readonly quota: QuotaPollService) {}

  @OnJob(JobName.QuotaPoll)
  async handle(data: JobPayloads[JobName.QuotaPoll]): Promise<JobStatus> {
    const snapshot = await this.quota.poll(data.authIndex);
    if (!snapshot) return JobStatus.Skipped;
    return snapshot.success ? JobStatus.Success : JobStatus.Failed;
  }
}
