import { JobName } from '@app/jobs/job.types';
import {
  jobOptions,
  quotaPollNowJobId,
  tokenRefreshJobId,
  TOKEN_REFRESH_ATTEMPTS,
} from '@app/jobs/job.options';

describe(jobOptions.name, () => {
  it('should name a token refresh after the token state it was scheduled for', () => {
    const o = jobOptions(JobName.TokenRefresh, { authIndex: 'abc', expectedExpiresAt: 1700 });
    expect(o).toEqual({
      jobId: 'refresh-abc-1700',
      attempts: TOKEN_REFRESH_ATTEMPTS,
      backoffMs: 30_000,
      removeOnComplete: 100,
      removeOnFail: true,
    });
    expect(jobOptions(JobName.TokenRefresh, { authIndex: 'abc' }).jobId).toBe('refresh-abc-none');
  });

  it('should give an on-demand quota poll one id per account and no lingering record', () => {
    expect(jobOptions(JobName.QuotaPoll, { authIndex: 'a1', reason: 'on-demand' })).toEqual({
      jobId: 'quota-now-a1',
      removeOnComplete: true,
      removeOnFail: true,
    });
  });

  it('should leave scheduled polls and routine jobs to BullMQ ids, keeping recent records', () => {
    expect(jobOptions(JobName.QuotaPoll, { authIndex: 'a1', reason: 'scheduled' })).toEqual({
      removeOnComplete: 100,
      removeOnFail: 100,
    });
    for (const name of [JobName.Heartbeat, JobName.Retention, JobName.ModelCatalogRefresh]) {
      expect(jobOptions(name, { scheduledBy: 'w' })).toEqual({
        removeOnComplete: 100,
        removeOnFail: 500,
      });
    }
  });
});

describe(tokenRefreshJobId.name, () => {
  it('should never contain the `:` BullMQ reserves', () => {
    expect(tokenRefreshJobId('0123456789abcdef', 1700)).toBe('refresh-0123456789abcdef-1700');
    expect(tokenRefreshJobId('a', 1)).not.toContain(':');
    expect(quotaPollNowJobId('a')).not.toContain(':');
  });
});
