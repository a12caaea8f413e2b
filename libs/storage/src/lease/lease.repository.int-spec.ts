import { RedisService } from '@app/storage/redis.service';
import { LeaseRepository } from '@app/storage/lease/lease.repository';
import { testRedisSettings, uniquePrefix } from '@test/utils/env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(LeaseRepository.name, () => {
  const prefix = uniquePrefix('lease');
  let redis: RedisService;
  let sut: LeaseRepository;
  let n = 0;
  let key: string;

  beforeAll(async () => {
    // The run's Redis, plain or cluster (`npm run test:cluster`): every lease is one key.
    redis = new RedisService(testRedisSettings(prefix), 'lease-spec');
    redis.connect();
    expect(await redis.waitReady(5000)).toBe(true);
    sut = new LeaseRepository(redis);
  });

  beforeEach(() => {
    key = redis.key('lease', ++n);
  });

  afterAll(async () => {
    await redis?.close();
  });

  it('should give the lease to one owner at a time', async () => {
    expect(await sut.acquire(key, 'a', 10_000)).toBe(true);
    expect(await sut.acquire(key, 'b', 10_000)).toBe(false);
    expect(await sut.isHeld(key)).toBe(true);
    expect(await redis.command.get(key)).toBe('a');
  });

  it('should extend the lease when its holder takes it again', async () => {
    expect(await sut.acquire(key, 'a', 100)).toBe(true);
    expect(await sut.acquire(key, 'a', 10_000)).toBe(true);
    expect(await redis.command.pttl(key)).toBeGreaterThan(5000);
  });

  it('should renew only for the holder', async () => {
    await sut.acquire(key, 'a', 100);
    expect(await sut.renew(key, 'b', 10_000)).toBe(false);
    expect(await sut.renew(key, 'a', 10_000)).toBe(true);
    expect(await redis.command.pttl(key)).toBeGreaterThan(5000);
  });

  it('should release only for the holder', async () => {
    await sut.acquire(key, 'a', 10_000);
    expect(await sut.release(key, 'b')).toBe(false);
    expect(await sut.isHeld(key)).toBe(true);
    expect(await sut.release(key, 'a')).toBe(true);
    expect(await sut.isHeld(key)).toBe(false);
    expect(await sut.acquire(key, 'b', 10_000)).toBe(true);
  });

  it('should free a lease whose holder never releases it, and keep the late holder out', async () => {
    await sut.acquire(key, 'crashed', 50);
    await sleep(80);
    expect(await sut.isHeld(key)).toBe(false);
    expect(await sut.acquire(key, 'next', 10_000)).toBe(true);
    // The lapsed holder wakes up: neither its renewal nor its release touches the new lease.
    expect(await sut.renew(key, 'crashed', 10_000)).toBe(false);
    expect(await sut.release(key, 'crashed')).toBe(false);
    expect(await redis.command.get(key)).toBe('next');
  });

  it('should report Redis errors to the caller', async () => {
    await redis.command.hset(key, 'f', 'v'); // wrong type under the key
    await expect(sut.acquire(key, 'a', 1000)).rejects.toThrow(/WRONGTYPE/);
  });
});
