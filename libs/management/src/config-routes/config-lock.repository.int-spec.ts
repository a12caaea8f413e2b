import { RedisService } from '@app/storage';
import { ConfigLockRepository } from '@app/management/config-routes/config-lock.repository';
import { freePort, testRedisSettings, testRedisUrl, uniquePrefix } from '@test/utils/env';

function redis(url: string, prefix: string, name: string): RedisService {
  const timeouts = { commandTimeoutMs: 500, connectTimeoutMs: 300 };
  // The run's Redis (plain or cluster); a URL of its own is a plain one.
  const r = new RedisService(
    url === testRedisUrl()
      ? testRedisSettings(prefix, timeouts)
      : { url, keyPrefix: prefix, ...timeouts },
    name,
  );
  r.connect();
  return r;
}

describe(ConfigLockRepository.name, () => {
  const prefix = uniquePrefix('config-lock');
  let a: RedisService;
  let b: RedisService;
  let replicaA: ConfigLockRepository;
  let replicaB: ConfigLockRepository;

  beforeAll(async () => {
    a = redis(testRedisUrl(), prefix, 'lock-a');
    b = redis(testRedisUrl(), prefix, 'lock-b');
    expect(await a.waitReady(5000)).toBe(true);
    expect(await b.waitReady(5000)).toBe(true);
    replicaA = new ConfigLockRepository(a);
    replicaB = new ConfigLockRepository(b);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('should let one replica hold the lock at a time and hand it over on release', async () => {
    const first = await replicaA.acquire();
    expect(first).toMatchObject({ held: true });
    expect(await replicaB.acquire({ waitMs: 100 })).toBe('busy');

    // B waits while A holds, and gets the lock as soon as A lets go.
    const waiting = replicaB.acquire({ waitMs: 2000 });
    await new Promise((r) => setTimeout(r, 50));
    if (first === 'busy') throw new Error('unreachable');
    await first.release();
    const second = await waiting;
    expect(second).toMatchObject({ held: true });
    if (second !== 'busy') await second.release();
  });

  it('should expire a lock whose holder never releases it', async () => {
    const crashed = await replicaA.acquire({ ttlMs: 100 });
    expect(crashed).toMatchObject({ held: true });
    const next = await replicaB.acquire({ waitMs: 1000 });
    expect(next).toMatchObject({ held: true });
    // The late release of the expired holder must not free the new holder's lock.
    if (crashed !== 'busy') await crashed.release();
    expect(await replicaA.acquire({ waitMs: 50 })).toBe('busy');
    if (next !== 'busy') await next.release();
  });

  it('should let the edit go ahead unlocked when Redis is unreachable', async () => {
    const down = redis(`redis://127.0.0.1:${await freePort()}`, prefix, 'lock-down');
    try {
      const lock = await new ConfigLockRepository(down).acquire({ waitMs: 100 });
      expect(lock).toMatchObject({ held: false });
      if (lock !== 'busy') await lock.release();
    } finally {
      await down.close();
    }
  });
});
