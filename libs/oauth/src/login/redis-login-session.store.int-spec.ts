import { RedisService } from '@app/storage';
import { RedisLoginSessionStore } from '@app/oauth/login/redis-login-session.store';
import type { LoginSession } from '@app/oauth/login/login-session.types';
import { uniquePrefix, testRedisSettings } from '@test/utils/env';

function session(state: string, deviceExpiresAt?: number): LoginSession {
  return {
    state,
    provider: deviceExpiresAt ? 'qwen' : 'codex',
    createdAt: 1,
    codeVerifier: 'verifier-1',
    redirectUri: 'http://localhost:1455/auth/callback',
    ...(deviceExpiresAt
      ? {
          device: {
            deviceCode: 'dc',
            userCode: 'UC',
            verificationUri: 'http://v',
            intervalMs: 5000,
            expiresAt: deviceExpiresAt,
          },
        }
      : {}),
  };
}

describe(RedisLoginSessionStore.name, () => {
  let redis: RedisService;
  let peer: RedisService;
  let sut: RedisLoginSessionStore;
  let other: RedisLoginSessionStore;

  beforeAll(async () => {
    const settings = testRedisSettings(uniquePrefix('login'), {
      commandTimeoutMs: 2000,
      connectTimeoutMs: 2000,
    });
    redis = new RedisService(settings, 'login-store-a');
    peer = new RedisService(settings, 'login-store-b');
    redis.connect();
    peer.connect();
    await Promise.all([redis.waitReady(5000), peer.waitReady(5000)]);
    sut = new RedisLoginSessionStore(redis);
    other = new RedisLoginSessionStore(peer); // another replica
  });

  afterAll(async () => {
    await redis.close();
    await peer.close();
  });

  it('should store a session with its TTL and give it back to another replica', async () => {
    await sut.create(session('s-get'), 600_000);
    expect(await other.get('s-get')).toEqual({ session: session('s-get'), status: 'wait' });
    const ttl = await redis.command.pttl(redis.key('oauth', '{login}', 's-get'));
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    expect(await sut.get('never')).toBeUndefined();
  });

  it('should let exactly one of many concurrent claims across replicas win', async () => {
    await sut.create(session('s-claim'), 600_000);
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? sut : other).claim('s-claim')),
    );
    const winners = claims.filter((c) => c.claimed);
    expect(winners).toEqual([{ claimed: true, session: session('s-claim') }]);
    expect(claims.filter((c) => !c.claimed)).toHaveLength(9);
    expect(claims.find((c) => !c.claimed)).toEqual({
      claimed: false,
      record: { status: 'exchanging' },
    });
    expect(await sut.claim('missing')).toEqual({ claimed: false });
  });

  it('should record the outcome for every replica and keep it at least a minute', async () => {
    await sut.create(session('s-fin'), 1000);
    await sut.claim('s-fin');
    await other.finish('s-fin', { status: 'ok', fileName: 'codex-a@b.c-plus.json' });
    expect(await sut.get('s-fin')).toMatchObject({
      status: 'ok',
      fileName: 'codex-a@b.c-plus.json',
    });
    expect(await redis.command.pttl(redis.key('oauth', '{login}', 's-fin'))).toBeGreaterThan(
      59_000,
    );
    expect(await sut.claim('s-fin')).toEqual({
      claimed: false,
      record: { status: 'ok', fileName: 'codex-a@b.c-plus.json' },
    });

    await sut.create(session('s-err'), 600_000);
    await sut.claim('s-err');
    await sut.finish('s-err', { status: 'error', error: 'Authentication failed: access_denied' });
    expect(await other.claim('s-err')).toEqual({
      claimed: false,
      record: { status: 'error', error: 'Authentication failed: access_denied' },
    });
  });

  it('should index waiting device logins until they finish or their code expires', async () => {
    const now = Date.now();
    await sut.create(session('d-live', now + 60_000), 600_000);
    await sut.create(session('d-old', now - 1), 600_000);
    await sut.create(session('d-done', now + 60_000), 600_000);
    await sut.finish('d-done', { status: 'ok', fileName: 'qwen-1.json' });
    expect((await other.pendingDeviceStates()).sort()).toEqual(['d-live']);

    const dev = session('d-live', now + 60_000).device!;
    await other.updateDevice('d-live', { ...dev, intervalMs: 10_000 });
    expect((await sut.get('d-live'))?.session.device?.intervalMs).toBe(10_000);
    await sut.updateDevice('gone', dev); // must not create a session without a TTL
    expect(await sut.get('gone')).toBeUndefined();
  });

  it('should give the poll lease to one replica at a time', async () => {
    expect(await sut.leasePoll('p', 'a', 10_000)).toBe(true);
    expect(await other.leasePoll('p', 'b', 10_000)).toBe(false);
    expect(await sut.leasePoll('p', 'a', 10_000)).toBe(true);
    await other.releasePoll('p', 'b'); // not b's: no effect
    expect(await other.leasePoll('p', 'b', 10_000)).toBe(false);
    await sut.releasePoll('p', 'a');
    expect(await other.leasePoll('p', 'b', 50)).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    expect(await sut.leasePoll('p', 'a', 10_000)).toBe(true);
  });
});
