// The one-time move of an older version's keys to the hash-tagged layout (docs/redis.md):
// renamed when nothing was written to the new name yet, merged (counters added, replay guards
// kept at their maximum, sets united, lists appended) when something was, never twice.
import { KeyLayoutMigration, RedisService } from '@app/storage';
import { testRedisIsCluster, testRedisSettings, uniquePrefix } from '@test/utils/env';

const describeStandalone = testRedisIsCluster() ? describe.skip : describe;

describeStandalone(KeyLayoutMigration.name, () => {
  let redis: RedisService;
  let prefix: string;
  const k = (rest: string) => prefix + rest;

  beforeEach(async () => {
    prefix = uniquePrefix('layout');
    redis = new RedisService(testRedisSettings(prefix), 'layout');
    redis.connect();
    expect(await redis.waitReady(5000)).toBe(true);
  });

  afterEach(async () => {
    await redis.close();
  });

  it('should rename old keys, merge them into keys written since, and count nothing twice', async () => {
    const c = redis.command;
    // The old layout, as the previous version wrote it.
    await c.hset(k('usage:totals'), { requests: '10', success: '9', failure: '1', tokens: '500' });
    await c.hset(k('usage:applied'), { 'gateway-a:1': '7', 'gateway-b:2': '3' });
    await c.zadd(k('usage:det:pair1'), 1000, 'old-detail');
    await c.hset(k('usage:day'), '2026-01-01\x1fr', '10');
    await c.rpush(k('logs:errors'), 'error-old.log');
    await c.set(k('logs:error:error-old.log'), 'old text');
    await c.hset(k('limits:1a2b3c4d:tpd'), '100', '40');
    await c.sadd(k('cluster:members'), 'gateway-old');
    // The new version already wrote some of them (it started before the move).
    await c.hset(k('{usage}:totals'), { requests: '2', success: '2', tokens: '30' });
    await c.hset(k('{usage}:applied'), { 'gateway-b:2': '5', 'gateway-c:3': '1' });
    await c.zadd(k('{usage}:det:pair1'), 2000, 'new-detail');
    await c.rpush(k('logs:{errors}'), 'error-new.log');
    await c.sadd(k('{cluster}:members'), 'gateway-new');
    // Unrelated keys stay as they are.
    await c.hset(k('routing:state'), 'x|*', '{}');

    const other = new RedisService(testRedisSettings(prefix), 'layout-2');
    other.connect();
    await other.waitReady(5000);
    try {
      // Two processes starting together.
      const [a, b] = await Promise.all([
        new KeyLayoutMigration(redis).run(),
        new KeyLayoutMigration(other).run(),
      ]);
      expect(a.renamed + b.renamed).toBe(3); // usage:day, logs:error:…, limits tpd
      expect(a.merged + b.merged).toBe(5);
    } finally {
      await other.close();
    }

    expect(await c.hgetall(k('{usage}:totals'))).toEqual({
      requests: '12',
      success: '11',
      failure: '1',
      tokens: '530',
    });
    expect(await c.hgetall(k('{usage}:applied'))).toEqual({
      'gateway-a:1': '7',
      'gateway-b:2': '5',
      'gateway-c:3': '1',
    });
    expect(await c.zrange(k('{usage}:det:pair1'), 0, -1)).toEqual(['old-detail', 'new-detail']);
    expect(await c.hgetall(k('{usage}:day'))).toEqual({ '2026-01-01\x1fr': '10' });
    expect(await c.lrange(k('logs:{errors}'), 0, -1)).toEqual(['error-new.log', 'error-old.log']);
    expect(await c.get(k('logs:{errors}:error-old.log'))).toBe('old text');
    expect(await c.hgetall(k('limits:{1a2b3c4d}:tpd'))).toEqual({ '100': '40' });
    expect((await c.smembers(k('{cluster}:members'))).sort()).toEqual([
      'gateway-new',
      'gateway-old',
    ]);
    for (const old of ['usage:totals', 'usage:applied', 'logs:errors', 'cluster:members']) {
      expect(await c.exists(k(old))).toBe(0);
    }
    expect(await c.exists(k('routing:state'))).toBe(1);

    // A second run finds nothing left to move.
    expect(await new KeyLayoutMigration(redis).run()).toEqual({ renamed: 0, merged: 0 });
  });
});
