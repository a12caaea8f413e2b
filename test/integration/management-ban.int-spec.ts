import { ManagementBanRepository } from '@app/management';
import { RedisService } from '@app/storage';
import { keysMatching } from '@test/utils/redis-keys';
import { uniquePrefix, testRedisSettings } from '@test/utils/env';

const MAX = 5;
const BAN_MS = 30 * 60 * 1000;

function redis(prefix: string, name: string): RedisService {
  const r = new RedisService(testRedisSettings(prefix), name);
  r.connect();
  return r;
}

describe(`${ManagementBanRepository.name} (Redis)`, () => {
  const prefix = uniquePrefix('mgmt-ban');
  let a: RedisService;
  let b: RedisService;
  let replicaA: ManagementBanRepository;
  let replicaB: ManagementBanRepository;

  beforeAll(async () => {
    a = redis(prefix, 'ban-a');
    b = redis(prefix, 'ban-b');
    expect(await a.waitReady(5000)).toBe(true);
    expect(await b.waitReady(5000)).toBe(true);
    replicaA = new ManagementBanRepository(a);
    replicaB = new ManagementBanRepository(b);
  });

  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('should admit exactly 5 of 50 concurrent attempts spread over two replicas', async () => {
    const gates = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? replicaA : replicaB).admit('203.0.113.1', MAX, BAN_MS),
      ),
    );
    const allowed = gates.filter((g) => g.allowed);
    expect(allowed).toHaveLength(MAX);
    expect(allowed.map((g) => g.allowed && g.attempt).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const r of [replicaA, replicaB]) {
      expect((await r.standing('203.0.113.1')).bannedForMs).toBeGreaterThan(BAN_MS - 5000);
    }
  });

  it('should keep both keys of an address in one hash slot (Redis Cluster)', async () => {
    await replicaA.admit('2001:db8::1', MAX, BAN_MS);
    const keys = await keysMatching(a, `${prefix}mgmt:*`);
    expect(keys).toContain(`${prefix}mgmt:{2001:db8::1}:fail`);
    expect(keys).toContain(`${prefix}mgmt:{203.0.113.1}:ban`);
  });

  it('should ban on the fifth failure, seen by the other replica', async () => {
    for (let i = 1; i <= MAX; i++) {
      const r = i % 2 ? replicaA : replicaB;
      const gate = await r.admit('203.0.113.2', MAX, BAN_MS);
      expect(gate).toEqual({ allowed: true, attempt: i });
      await r.failed('203.0.113.2', i, MAX, BAN_MS);
    }
    expect(await replicaB.admit('203.0.113.2', MAX, BAN_MS)).toMatchObject({ allowed: false });
  });

  it('should forget the attempts of an address after a success', async () => {
    for (let i = 0; i < 4; i++) await replicaA.admit('203.0.113.3', MAX, BAN_MS);
    expect(await replicaB.standing('203.0.113.3')).toEqual({ bannedForMs: 0, attempts: 4 });
    await replicaB.reset('203.0.113.3');
    expect(await replicaA.admit('203.0.113.3', MAX, BAN_MS)).toEqual({
      allowed: true,
      attempt: 1,
    });
  });
});
