import { RedisService } from '@app/storage';
import { requestLogName } from '@app/logs/error-log.format';
import { RequestDetailRepository } from '@app/logs/request-detail.repository';
import { uniquePrefix, testRedisSettings } from '@test/utils/env';

describe(RequestDetailRepository.name, () => {
  let redis: RedisService;
  let sut: RequestDetailRepository;

  beforeAll(async () => {
    redis = new RedisService(
      testRedisSettings(uniquePrefix('details'), {
        commandTimeoutMs: 2000,
        connectTimeoutMs: 2000,
      }),
      'details-test',
    );
    redis.connect();
    await redis.waitReady(5000);
    sut = new RequestDetailRepository(redis);
  });

  afterAll(() => redis.close());

  it('should store a batch and give each log back with its download name', async () => {
    const at = Date.now() - 1000;
    await sut.addMany([
      { id: 'one', at, text: 'first log' },
      { id: 'two', at: at + 1, text: 'second log' },
    ]);
    expect(await sut.get('one')).toEqual({
      name: requestLogName('one', new Date(at)),
      text: 'first log',
    });
    expect((await sut.get('two'))?.text).toBe('second log');
    expect(await sut.get('three')).toBeUndefined();
    expect(await sut.get('../one')).toBeUndefined();
  });

  it('should keep at most maxEntries, evicting the oldest with their text', async () => {
    const now = Date.now();
    const batch = Array.from({ length: 5 }, (_, i) => ({
      id: `cap-${i}`,
      at: now + i,
      text: `t${i}`,
    }));
    const evicted = await sut.addMany(batch, 3, 3600);
    expect(evicted).toBeGreaterThanOrEqual(2);
    expect(await sut.get('cap-0')).toBeUndefined();
    expect(await sut.get('cap-1')).toBeUndefined();
    expect((await sut.get('cap-4'))?.text).toBe('t4');
    expect(await redis.command.zcard(redis.key('logs', '{details}'))).toBe(3);
  });

  it('should let logs expire and drop index entries older than the TTL', async () => {
    const now = Date.now();
    await sut.addMany(
      [
        { id: 'old', at: now - 10_000, text: 'old' },
        { id: 'new', at: now, text: 'new' },
      ],
      100,
      5,
    );
    const index = await redis.command.zrange(redis.key('logs', '{details}'), 0, -1);
    expect(index).toContain('new');
    expect(index).not.toContain('old');
    const ttl = await redis.command.ttl(redis.key('logs', '{details}', 'new'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5);
  });

  it('should replace the log of a repeated id without a second index entry', async () => {
    const now = Date.now();
    await sut.addMany([{ id: 'same', at: now, text: 'v1' }], 100, 60);
    await sut.addMany([{ id: 'same', at: now + 1, text: 'v2' }], 100, 60);
    expect((await sut.get('same'))?.text).toBe('v2');
    const index = await redis.command.zrange(redis.key('logs', '{details}'), 0, -1);
    expect(index.filter((id) => id === 'same')).toHaveLength(1);
  });
});
