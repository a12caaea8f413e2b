import type { ConfigService } from '@app/config';
import { JobStatus } from '@app/jobs';
import { SEP, type UsageRepository } from '@app/usage';
import { RetentionHandler } from '@app/worker/maintenance/retention.handler';

describe(RetentionHandler.name, () => {
  const config = {
    current: { usage: { 'details-max-age-days': 2, 'details-max-per-model': 50 } },
  } as unknown as ConfigService;

  it('should trim the details of every model by age and count', async () => {
    const trimDetails = jest.fn(async () => undefined);
    const usage = {
      // Aggregate fields are `<api>␟<model>␟<kind>`; `r` marks a request counter.
      readIndex: async () => ({
        model: { [`key1${SEP}gpt-5${SEP}r`]: '3', [`key1${SEP}gpt-5${SEP}t`]: '9' },
        day: {},
      }),
      trimDetails,
    } as unknown as UsageRepository;
    const before = Date.now();
    expect(await new RetentionHandler(usage, config).handle({ scheduledBy: 'spec' })).toBe(
      JobStatus.Success,
    );
    const [pairs, minScore, keep] = trimDetails.mock.calls[0] as unknown as [
      unknown,
      number,
      number,
    ];
    expect(pairs).toEqual([{ api: 'key1', model: 'gpt-5' }]);
    expect(minScore).toBeGreaterThanOrEqual(before - 2 * 86400_000);
    expect(minScore).toBeLessThanOrEqual(Date.now() - 2 * 86400_000);
    expect(keep).toBe(50);
  });

  it('should skip when there is no usage', async () => {
    const usage = {
      readIndex: async () => ({ model: {}, day: {} }),
      trimDetails: jest.fn(),
    } as unknown as UsageRepository;
    expect(await new RetentionHandler(usage, config).handle({ scheduledBy: 'spec' })).toBe(
      JobStatus.Skipped,
    );
  });
});
