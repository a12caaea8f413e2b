import { RedisService } from '@app/storage';
import { ActivityTally, bucketOf } from '@app/usage/credential-activity';
import { CredentialActivityRepository } from '@app/usage/credential-activity.repository';
import { uniquePrefix, testRedisSettings } from '@test/utils/env';

const NOON = Date.UTC(2025, 6, 1, 12);

describe(CredentialActivityRepository.name, () => {
  let redis: RedisService;
  let sut: CredentialActivityRepository;

  beforeAll(async () => {
    redis = new RedisService(
      testRedisSettings(uniquePrefix('credact'), {
        commandTimeoutMs: 5000,
        connectTimeoutMs: 2000,
      }),
      'credact-repo',
    );
    redis.connect();
    await redis.waitReady(5000);
    sut = new CredentialActivityRepository(redis);
  });

  afterAll(async () => {
    await redis.onApplicationShutdown();
  });

  it('should add batches once, read totals and buckets back, and expire old buckets', async () => {
    const t = new ActivityTally();
    t.add('aaaa', true, NOON);
    t.add('aaaa', false, NOON + 600_000);
    t.add('bbbb', true, NOON);
    await sut.add(t.increments(), 'boot-1', 1);
    // The same batch again (its reply was lost): not counted twice.
    await sut.add(t.increments(), 'boot-1', 1);
    // Another replica's batch with its own sequence.
    const u = new ActivityTally();
    u.add('aaaa', true, NOON);
    await sut.add(u.increments(), 'boot-2', 1);

    const b = bucketOf(NOON);
    const got = await sut.read([b, b + 1, b + 2]);
    expect(got.totals).toEqual(
      new Map([
        ['aaaa', { success: 2, failed: 1 }],
        ['bbbb', { success: 1, failed: 0 }],
      ]),
    );
    expect(got.buckets.get(b)).toEqual(
      new Map([
        ['aaaa', { success: 2, failed: 0 }],
        ['bbbb', { success: 1, failed: 0 }],
      ]),
    );
    expect(got.buckets.get(b + 1)).toEqual(new Map([['aaaa', { success: 0, failed: 1 }]]));
    expect(got.buckets.get(b + 2)).toEqual(new Map());

    const ttl = await redis.command.pttl(redis.key('{credact}', `b:${b}`));
    expect(ttl).toBeGreaterThan(20 * 600_000);
    expect(ttl).toBeLessThanOrEqual(21 * 600_000);
    expect(await redis.command.pttl(redis.key('{credact}', 'total'))).toBe(-1);
  });
});
