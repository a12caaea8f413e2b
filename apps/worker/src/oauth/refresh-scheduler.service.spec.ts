import { JobName, type JobRepository } from '@app/jobs';
import { defaultOAuthEndpoints, tokenFingerprint, type TokenRefreshService } from '@app/oauth';
import {
  Credential,
  CredentialStateRepository,
  type CredentialInit,
  type CredentialService,
} from '@app/routing';
import type { RedisService } from '@app/storage';
import { planRefresh, RefreshScheduler } from '@app/worker/oauth/refresh-scheduler.service';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const HOUR = 3600_000;

function cred(
  over: Partial<CredentialInit> = {},
  secret: CredentialInit['secret'] = {},
): Credential {
  return new Credential({
    id: 'file:kimi-1.json',
    indexSeed: 'file:kimi-1.json',
    provider: 'kimi',
    channel: 'kimi',
    kind: 'oauth',
    source: 'file',
    fileName: 'kimi-1.json',
    label: 'kimi-1',
    secret: { accessToken: 'at', refreshToken: 'rt-1', expiresAt: NOW + 2000, ...secret },
    ...over,
  });
}

describe(planRefresh.name, () => {
  it('should run at once when the token is inside its lead (a token expiring in 2 s)', () => {
    const c = cred();
    expect(planRefresh(c, 5 * 60_000, undefined, NOW)).toEqual({
      authIndex: c.authIndex,
      jobId: `refresh-${c.authIndex}-${NOW + 2000}`,
      delayMs: 0,
      expectedExpiresAt: NOW + 2000,
    });
  });

  it('should wait until expiry − lead (minus at most 10 % of the lead) otherwise', () => {
    const c = cred({}, { expiresAt: NOW + 10 * HOUR });
    const { delayMs } = planRefresh(c, HOUR, undefined, NOW);
    expect(delayMs).toBeLessThanOrEqual(9 * HOUR);
    expect(delayMs).toBeGreaterThan(9 * HOUR - 0.1 * HOUR);
  });

  it('should refresh a token of unknown expiry an hour after its last refresh', () => {
    const c = cred({}, { expiresAt: undefined });
    expect(planRefresh(c, 5 * 60_000, NOW - 10 * 60_000, NOW).delayMs).toBe(50 * 60_000);
  });
});

describe(RefreshScheduler.name, () => {
  function setup(credentials: Credential[]) {
    const state = new CredentialStateRepository(
      { isReady: false, key: (...p: string[]) => p.join(':') } as unknown as RedisService,
      { now: () => NOW },
    );
    const service = {
      snapshot: () => ({ credentials, version: 1 }),
      state,
      authFiles: { read: async () => JSON.stringify({ last_refresh: '2029-12-31T23:00:00Z' }) },
    } as unknown as CredentialService;
    const tokens = { endpoints: defaultOAuthEndpoints } as unknown as TokenRefreshService;
    const add = jest.fn(async () => undefined);
    const jobs = { add } as unknown as JobRepository;
    return { sut: new RefreshScheduler(service, tokens, jobs), add, state };
  }

  it('should enqueue one deterministic job per refreshable credential, with retries', async () => {
    const refreshable = cred();
    const apiKey = cred({
      id: 'config:x',
      indexSeed: 'config:x',
      kind: 'api-key',
      source: 'config',
      fileName: undefined,
    });
    const noRefresh = cred(
      { id: 'file:b.json', indexSeed: 'file:b.json', fileName: 'b.json' },
      { refreshToken: undefined },
    );
    const { sut, add } = setup([refreshable, apiKey, noRefresh]);
    expect(await sut.reconcile(NOW)).toBe(1);
    expect(add).toHaveBeenCalledTimes(1);
    expect(add).toHaveBeenCalledWith(
      JobName.TokenRefresh,
      { authIndex: refreshable.authIndex, expectedExpiresAt: NOW + 2000 },
      { delayMs: 0 },
    );
  });

  it('should leave a credential whose refresh token was refused alone, until it changes', async () => {
    const c = cred();
    const { sut, add, state } = setup([c]);
    await state.markError(c.authIndex, {
      message: 'revoked',
      fingerprint: tokenFingerprint('rt-1'),
    });
    expect(await sut.reconcile(NOW)).toBe(0);
    expect(add).not.toHaveBeenCalled();

    // A new login brings a new refresh token: the mark is stale and goes.
    const relogged = cred({}, { refreshToken: 'rt-2' });
    const next = setup([relogged]);
    await next.state.markError(c.authIndex, {
      message: 'revoked',
      fingerprint: tokenFingerprint('rt-1'),
    });
    expect(await next.sut.reconcile(NOW)).toBe(1);
    expect(next.state.errorOf(c.authIndex)).toBeUndefined();
  });
});
