import { defaultOAuthEndpoints, type OAuthHttpRequest, type OAuthProviderId } from '@app/oauth';
import {
  ALL_MODELS,
  Credential,
  CredentialStateRepository,
  type CredentialInit,
  type CredentialService,
} from '@app/routing';
import type { RedisService } from '@app/storage';
import type { OAuthHttpRepository, TokenRefreshService } from '@app/oauth';
import { exhaustedScopes, quotaAccounts, QuotaPollService } from '@app/quota/quota-poll.service';
import type { QuotaSnapshotRepository } from '@app/quota/quota-snapshot.repository';
import type { QuotaSnapshot } from '@app/quota/quota.types';

const NOW = Date.parse('2026-01-02T12:00:00Z');
const RESET = '2026-01-02T15:00:00.000Z';

function cred(over: Partial<CredentialInit> = {}): Credential {
  return new Credential({
    id: 'file:claude-max@example.com.json',
    indexSeed: 'file:claude-max@example.com.json',
    provider: 'claude',
    channel: 'claude',
    kind: 'oauth',
    source: 'file',
    fileName: 'claude-max@example.com.json',
    label: 'max@example.com',
    email: 'max@example.com',
    secret: { accessToken: 'at', refreshToken: 'rt', expiresAt: NOW + 3600_000 },
    ...over,
  });
}

function setup(c: Credential, answer: { status: number; body: unknown }) {
  const state = new CredentialStateRepository(
    { isReady: false, key: (...p: string[]) => p.join(':') } as unknown as RedisService,
    { now: () => NOW },
  );
  const credentials = {
    snapshot: () => ({ byAuthIndex: new Map([[c.authIndex, c]]), credentials: [c] }),
    state,
  } as unknown as CredentialService;
  const tokens = {
    ensureFresh: jest.fn(async (x: Credential) => x),
    endpoints: (p: OAuthProviderId) => defaultOAuthEndpoints(p),
  } as unknown as TokenRefreshService;
  const requests: OAuthHttpRequest[] = [];
  const http = {
    send: jest.fn(async (req: OAuthHttpRequest) => {
      requests.push(req);
      return { status: answer.status, text: JSON.stringify(answer.body) };
    }),
  } as unknown as OAuthHttpRepository;
  const stored: QuotaSnapshot[] = [];
  const snapshots = {
    put: jest.fn(async (s: QuotaSnapshot) => void stored.push(s)),
  } as unknown as QuotaSnapshotRepository;
  const sut = new QuotaPollService(credentials, tokens, http, snapshots);
  return { sut, state, requests, stored, tokens };
}

describe(QuotaPollService.name, () => {
  it('should store a Claude snapshot keyed by email and call the real usage endpoint', async () => {
    const c = cred();
    const { sut, stored, requests } = setup(c, {
      status: 200,
      body: { five_hour: { utilization: 10, resets_at: RESET } },
    });
    await sut.poll(c.authIndex, NOW);
    expect(requests[0].url).toBe('https://api.anthropic.com/api/oauth/usage');
    expect(requests[0].headers['anthropic-beta']).toBe('oauth-2025-04-20');
    expect(requests[0].headers.authorization).toBe('Bearer at');
    expect(stored[0]).toEqual({
      success: true,
      provider: 'claude',
      accountId: 'max@example.com',
      authIndex: c.authIndex,
      fileName: 'claude-max@example.com.json',
      lastUpdated: new Date(NOW).toISOString(),
      windows: [{ name: 'five_hour', percentage: 90, resetTime: RESET }],
    });
  });

  it('should bench the whole credential until the reset when a window is spent, and lift it later', async () => {
    const c = cred();
    const spent = setup(c, {
      status: 200,
      body: { five_hour: { utilization: 100, resets_at: RESET } },
    });
    await spent.sut.poll(c.authIndex, NOW);
    expect(spent.state.availability(c.authIndex, 'claude-sonnet-4-5', NOW)).toEqual({
      available: false,
      until: Date.parse(RESET),
    });
    // Same state, next poll: quota back early.
    const back = new QuotaPollService(
      (spent.sut as unknown as { credentials: CredentialService }).credentials,
      spent.tokens,
      {
        send: async () => ({
          status: 200,
          text: JSON.stringify({ five_hour: { utilization: 5 } }),
        }),
      } as unknown as OAuthHttpRepository,
      { put: async () => undefined } as unknown as QuotaSnapshotRepository,
    );
    await back.poll(c.authIndex, NOW + 1000);
    expect(spent.state.availability(c.authIndex, 'claude-sonnet-4-5', NOW + 1000).available).toBe(
      true,
    );
  });

  it('should bench only the spent model for per-model quotas (Antigravity)', async () => {
    const c = cred({
      provider: 'antigravity',
      channel: 'antigravity',
      secret: { accessToken: 'a', projectId: 'p-1,p-2' },
    });
    const { sut, state, requests } = setup(c, {
      status: 200,
      body: {
        models: {
          'gemini-2.5-pro': { quotaInfo: { resetTime: RESET } },
          'gemini-2.5-flash': { quotaInfo: { remainingFraction: 0.5 } },
        },
      },
    });
    await sut.poll(c.authIndex, NOW);
    expect(requests[0].url).toBe(
      'https://cloudcode-pa.googleapis.com/v1internal:fetchAvailableModels',
    );
    expect(JSON.parse(requests[0].body ?? '')).toEqual({ project: 'p-1' });
    expect(state.availability(c.authIndex, 'gemini-2.5-pro', NOW).available).toBe(false);
    expect(state.availability(c.authIndex, 'gemini-2.5-flash', NOW).available).toBe(true);
  });

  it('should mark 401 as expired and 403 as forbidden without benching', async () => {
    const c = cred();
    const a = setup(c, { status: 401, body: { error: 'x' } });
    await a.sut.poll(c.authIndex, NOW);
    expect(a.stored[0]).toMatchObject({ success: false, isExpired: true });
    const b = setup(c, { status: 403, body: { error: 'x' } });
    await b.sut.poll(c.authIndex, NOW);
    expect(b.stored[0]).toMatchObject({ success: false, isForbidden: true });
    expect(b.state.get(c.authIndex, ALL_MODELS)).toBeUndefined();
  });

  it('should answer providers without a quota endpoint with the standard message', async () => {
    const c = cred({ provider: 'qwen', channel: 'qwen', email: 'q@example.com' });
    const { sut, stored, requests } = setup(c, { status: 200, body: {} });
    await sut.poll(c.authIndex, NOW);
    expect(requests).toHaveLength(0);
    expect(stored[0]).toMatchObject({
      success: false,
      provider: 'qwen',
      error: 'Quota not supported for provider: qwen',
    });
  });
});

describe(exhaustedScopes.name, () => {
  it('should take the latest reset of spent windows and fall back to five minutes', () => {
    const s: QuotaSnapshot = {
      success: true,
      provider: 'codex',
      accountId: 'a',
      lastUpdated: '',
      windows: [
        { name: 'primary', percentage: 0, resetTime: '2026-01-02T13:00:00Z' },
        { name: 'secondary', percentage: 0, resetTime: '2026-01-03T13:00:00Z' },
      ],
      models: [{ name: 'm', percentage: 0 }],
    };
    expect(exhaustedScopes(s, NOW)).toEqual([
      { model: ALL_MODELS, until: Date.parse('2026-01-03T13:00:00Z') },
      { model: 'm', until: NOW + 5 * 60_000 },
    ]);
    expect(exhaustedScopes({ ...s, success: false }, NOW)).toEqual([]);
  });
});

describe(quotaAccounts.name, () => {
  it('should list OAuth files only, with email or file stem as the account id', () => {
    const apiKey = cred({ kind: 'api-key', source: 'config', id: 'config:x' });
    const noEmail = cred({
      email: undefined,
      fileName: 'kimi-device-9.json',
      provider: 'kimi',
      channel: 'kimi',
    });
    expect(quotaAccounts([apiKey, cred(), noEmail]).map((a) => [a.provider, a.accountId])).toEqual([
      ['claude', 'max@example.com'],
      ['kimi', 'kimi-device-9'],
    ]);
  });
});
