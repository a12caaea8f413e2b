import { Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { JobName, JobStatus, OnJob, type JobPayloads } from '@app/jobs';
import { OAuthTokenError, TokenRefreshService } from '@app/oauth';

/**
 * Runs one scheduled refresh. A refused refresh token (`invalid_grant`) ends the job for good
 * (the credential is marked `error` by the service); anything else is retried with backoff.
 */
@Injectable()
export class TokenRefreshHandler {
  constructor(private readonly tokens: TokenRefreshService) {}

  @OnJob(JobName.TokenRefresh)
  async handle(data: JobPayloads[JobName.TokenRefresh]): Promise<JobStatus> {
    try {
      const out = await this.tokens.refresh(data.authIndex, 'scheduled', {
        expectedExpiresAt: data.expectedExpiresAt,
        origin: 'worker',
      });
      return out.status === 'refreshed' ? JobStatus.Success : JobStatus.Skipped;
    } catch (err) {
      if (err instanceof OAuthTokenError && err.permanent)
        throw new UnrecoverableError(err.message);
      throw err;
    }
  }
}
