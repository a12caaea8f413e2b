import { RedisService } from '@app/storage';
import { admitArgs, parseAdmitReply, type LimitWindows } from '@app/proxy/limits/limits.policy';
import { LimitsRepository } from '@app/proxy/limits/limits.repository';
import type { KeyLimits } from '@app/proxy/limits/limits.table';
import { uniquePrefix, testRedisSettings } from '@test/utils/env';

/** Short windows so the spec runs in seconds; the script logic is the same at any length. */
const W: LimitWindows = {
  minuteMs: 1200,
  minuteBucketMs: 100,
  dayMs: 3000,
  dayBucketMs: 250,
  leaseMs: 400,
};

function limits(over: Partial<KeyLimits>): KeyLimits {
  return {
    keyId: 'k',
    rpm: 0,
    tpm: 0,
    tpd: 0,
    concurrency: 0,
    allowsModel: undefined,
    counted: true,
    countsTokens: false,
    ...over,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(LimitsRepository.name, () => {
  const prefix = uniquePrefix('limits');
  const conns: RedisService[] = [];
  /** Three repositories on three connections: three replicas. */
  let replicas: LimitsRepository[];
  let sut: LimitsRepository;
  let seq = 0;

  const admit = async (repo: LimitsRepository, keyId: string, l: KeyLimits) => {
    const id = `t:${seq++}`;
    const reply = parseAdmitReply(await repo.admit(repo.keysFor(keyId), admitArgs(l, W, id)));
    return { ...reply, id };
  };

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const redis = new RedisService(
        testRedisSettings(prefix, { commandTimeoutMs: 2000, connectTimeoutMs: 2000 }),
        `limits-test-${i}`,
      );
      redis.connect();
      await redis.waitReady(5000);
      conns.push(redis);
    }
    replicas = conns.map((c) => new LimitsRepository(c));
    sut = replicas[0];
  });

  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
  });

  it('should admit exactly rpm requests across replicas racing for them', async () => {
    const l = limits({ rpm: 10 });
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => admit(replicas[i % 3], 'rpm-race', l)),
    );
    const admitted = results.filter((r) => r.kind === undefined);
    expect(admitted).toHaveLength(10);
    for (const r of results.filter((x) => x.kind !== undefined)) {
      expect(r.kind).toBe('rpm');
      expect(r.retryAfterMs).toBeGreaterThan(0);
      expect(r.retryAfterMs).toBeLessThanOrEqual(W.minuteMs);
    }
  });

  it('should slide: room again once the oldest request leaves the window', async () => {
    const l = limits({ rpm: 2 });
    expect((await admit(sut, 'rpm-slide', l)).kind).toBeUndefined();
    await sleep(600);
    expect((await admit(sut, 'rpm-slide', l)).kind).toBeUndefined();
    const refused = await admit(sut, 'rpm-slide', l);
    expect(refused.kind).toBe('rpm');
    // The first request leaves the window about 600 ms from now, not a whole window later.
    expect(refused.retryAfterMs).toBeGreaterThan(400);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(650);
    await sleep(refused.retryAfterMs + 20);
    expect((await admit(sut, 'rpm-slide', l)).kind).toBeUndefined();
    expect((await admit(sut, 'rpm-slide', l)).kind).toBe('rpm');
  });

  it('should not count a refused request against the window', async () => {
    const l = limits({ rpm: 1 });
    await admit(sut, 'rpm-refused', l);
    for (let i = 0; i < 5; i++) await admit(sut, 'rpm-refused', l);
    expect(await conns[0].command.zcard(sut.keysFor('rpm-refused').requests)).toBe(1);
  });

  it('should hold concurrency slots until released', async () => {
    const l = limits({ concurrency: 2 });
    const a = await admit(sut, 'conc', l);
    const b = await admit(replicas[1], 'conc', l);
    expect([a.kind, b.kind]).toEqual([undefined, undefined]);
    const c = await admit(replicas[2], 'conc', l);
    expect(c).toMatchObject({ kind: 'concurrency', retryAfterMs: 1000 });
    await sut.release({ key: sut.keysFor('conc').leases, id: a.id });
    expect((await admit(replicas[2], 'conc', l)).kind).toBeUndefined();
  });

  it('should free the slots of a replica that died once their lease runs out', async () => {
    const l = limits({ concurrency: 1 });
    expect((await admit(sut, 'conc-dead', l)).kind).toBeUndefined();
    expect((await admit(replicas[1], 'conc-dead', l)).kind).toBe('concurrency');
    await sleep(W.leaseMs + 50);
    expect((await admit(replicas[1], 'conc-dead', l)).kind).toBeUndefined();
  });

  it('should keep a renewed lease past its first expiry, and not revive a released one', async () => {
    const l = limits({ concurrency: 1 });
    const keys = sut.keysFor('conc-renew');
    const held = await admit(sut, 'conc-renew', l);
    await sleep(W.leaseMs * 0.6);
    await sut.renew([{ key: keys.leases, id: held.id }], W.leaseMs);
    await sleep(W.leaseMs * 0.6);
    expect((await admit(replicas[1], 'conc-renew', l)).kind).toBe('concurrency');
    await sut.release({ key: keys.leases, id: held.id });
    await sut.renew([{ key: keys.leases, id: held.id }], W.leaseMs);
    expect(await conns[0].command.zcard(keys.leases)).toBe(0);
  });

  it('should refuse once the minute tokens reach tpm, until their bucket leaves', async () => {
    const l = limits({ tpm: 100, countsTokens: true });
    const keys = sut.keysFor('tpm');
    expect((await admit(sut, 'tpm', l)).kind).toBeUndefined();
    await sut.addTokens([{ keys, tokens: 60 }], W);
    expect((await admit(sut, 'tpm', l)).kind).toBeUndefined();
    await replicas[1].addTokens([{ keys, tokens: 40 }], W);
    const refused = await admit(replicas[2], 'tpm', l);
    expect(refused.kind).toBe('tpm');
    expect(refused.retryAfterMs).toBeGreaterThan(W.minuteMs - 2 * W.minuteBucketMs);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(W.minuteMs + W.minuteBucketMs);
    await sleep(refused.retryAfterMs + 20);
    expect((await admit(sut, 'tpm', l)).kind).toBeUndefined();
  });

  it('should refuse on the day budget with its own, longer window', async () => {
    const l = limits({ tpm: 1000, tpd: 50, countsTokens: true });
    const keys = sut.keysFor('tpd');
    await sut.addTokens([{ keys, tokens: 50 }], W);
    const refused = await admit(sut, 'tpd', l);
    expect(refused.kind).toBe('tpd');
    expect(refused.retryAfterMs).toBeGreaterThan(W.minuteMs);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(W.dayMs + W.dayBucketMs);
  });

  it('should check concurrency before the request log, so a busy key uses no rpm', async () => {
    const l = limits({ concurrency: 1, rpm: 5 });
    await admit(sut, 'order', l);
    expect((await admit(sut, 'order', l)).kind).toBe('concurrency');
    expect(await conns[0].command.zcard(sut.keysFor('order').requests)).toBe(1);
  });

  it('should give every key it writes a TTL, so idle keys disappear', async () => {
    const l = limits({ concurrency: 3, rpm: 3, tpm: 100, tpd: 100, countsTokens: true });
    const keys = sut.keysFor('ttl');
    await admit(sut, 'ttl', l);
    await sut.addTokens([{ keys, tokens: 1 }], W);
    for (const k of [keys.leases, keys.requests, keys.minuteTokens, keys.dayTokens]) {
      const ttl = await conns[0].command.pttl(k);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(W.dayMs + W.dayBucketMs);
    }
  });

  it('should load its scripts again after Redis forgot them', async () => {
    await conns[0].command.script('FLUSH');
    expect((await admit(sut, 'flushed', limits({ rpm: 1 }))).kind).toBeUndefined();
  });
});
