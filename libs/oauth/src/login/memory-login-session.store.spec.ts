import { MemoryLoginSessionStore } from '@app/oauth/login/memory-login-session.store';
import type { LoginSession } from '@app/oauth/login/login-session.types';

function session(state: string, device = false): LoginSession {
  return {
    state,
    provider: device ? 'kimi' : 'anthropic',
    createdAt: 0,
    ...(device
      ? {
          device: {
            deviceCode: 'dc',
            userCode: 'UC',
            verificationUri: 'http://v',
            intervalMs: 1000,
            expiresAt: 50_000,
          },
        }
      : { codeVerifier: 'v' }),
  };
}

describe(MemoryLoginSessionStore.name, () => {
  let now: number;
  let sut: MemoryLoginSessionStore;

  beforeEach(() => {
    now = 1000;
    sut = new MemoryLoginSessionStore(() => now);
  });

  it('should let exactly one caller claim a session', async () => {
    await sut.create(session('s1'), 60_000);
    const claims = await Promise.all([sut.claim('s1'), sut.claim('s1'), sut.claim('s1')]);
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    expect(claims.find((c) => c.claimed)).toEqual({ claimed: true, session: session('s1') });
    expect(claims.filter((c) => !c.claimed)).toEqual([
      { claimed: false, record: { status: 'exchanging' } },
      { claimed: false, record: { status: 'exchanging' } },
    ]);
  });

  it('should forget a session after its TTL', async () => {
    await sut.create(session('s1'), 10_000);
    now += 10_000;
    expect(await sut.get('s1')).toBeUndefined();
    expect(await sut.claim('s1')).toEqual({ claimed: false });
  });

  it('should keep a finished outcome readable for a minute even past the TTL', async () => {
    await sut.create(session('s1'), 10_000);
    await sut.claim('s1');
    now += 9_000;
    await sut.finish('s1', { status: 'ok', fileName: 'f.json' });
    now += 30_000;
    expect(await sut.get('s1')).toMatchObject({ status: 'ok', fileName: 'f.json' });
    expect(await sut.claim('s1')).toEqual({
      claimed: false,
      record: { status: 'ok', error: undefined, fileName: 'f.json' },
    });
  });

  it('should list only waiting device sessions whose code has not expired', async () => {
    await sut.create(session('dev', true), 600_000);
    await sut.create(session('redirect'), 600_000);
    expect(await sut.pendingDeviceStates()).toEqual(['dev']);
    now = 50_000;
    expect(await sut.pendingDeviceStates()).toEqual([]);
  });

  it('should hand the poll lease to one owner until it expires or is released', async () => {
    expect(await sut.leasePoll('s', 'a', 5000)).toBe(true);
    expect(await sut.leasePoll('s', 'b', 5000)).toBe(false);
    expect(await sut.leasePoll('s', 'a', 5000)).toBe(true);
    now += 5000;
    expect(await sut.leasePoll('s', 'b', 5000)).toBe(true);
    await sut.releasePoll('s', 'a'); // not a's any more: no effect
    expect(await sut.leasePoll('s', 'a', 5000)).toBe(false);
    await sut.releasePoll('s', 'b');
    expect(await sut.leasePoll('s', 'a', 5000)).toBe(true);
  });
});
