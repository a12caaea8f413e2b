import { parseAuthFileJson } from '@app/routing';
import { applyTokenSet, lastRefreshOf, rfc3339 } from '@app/oauth/auth-file-update';
import type { TokenSet } from '@app/oauth/token-client';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const EXPIRES = NOW + 3600_000;

function tokens(over: Partial<TokenSet> = {}): TokenSet {
  return { accessToken: 'at-new', refreshToken: 'rt-new', expiresAt: EXPIRES, raw: {}, ...over };
}

describe(applyTokenSet.name, () => {
  it('should change only token and expiry fields of a Claude file and keep unknown ones', () => {
    const file = {
      type: 'claude',
      email: 'max@example.com',
      access_token: 'at-old',
      refresh_token: 'rt-old',
      expired: '2029-01-01T00:00:00Z',
      priority: 3,
      proxy_url: 'socks5://p:1080',
      custom_field: { nested: [1, 2] },
    };
    const sut = applyTokenSet('claude', file, tokens(), NOW);
    expect(sut).toEqual({
      ...file,
      access_token: 'at-new',
      refresh_token: 'rt-new',
      expired: '2030-01-01T01:00:00Z',
      last_refresh: '2030-01-01T00:00:00Z',
    });
    expect(file.access_token).toBe('at-old'); // input untouched
    const parsed = parseAuthFileJson('claude-max@example.com.json', sut);
    expect(parsed.secret.accessToken).toBe('at-new');
    expect(parsed.secret.expiresAt).toBe(EXPIRES);
    expect(parsed.priority).toBe(3);
  });

  it('should keep the old refresh token when the provider sends none (Google)', () => {
    const file = {
      type: 'gemini',
      email: 'cli@example.com',
      project_id: 'p-1',
      auto: true,
      token: {
        access_token: 'ya29.old',
        refresh_token: '1//keep',
        token_type: 'Bearer',
        expiry: '2029-01-01T00:00:00Z',
        client_id: 'cid',
        scopes: ['a'],
      },
    };
    const sut = applyTokenSet('gemini-cli', file, tokens({ refreshToken: undefined }), NOW);
    expect(sut.token).toEqual({ ...file.token, access_token: 'at-new', expiry: rfc3339(EXPIRES) });
    expect(sut.auto).toBe(true);
    const parsed = parseAuthFileJson('cli@example.com-p-1.json', sut);
    expect(parsed.secret.refreshToken).toBe('1//keep');
    expect(parsed.secret.expiresAt).toBe(EXPIRES);
  });

  it('should keep each expiry key in the format the file used', () => {
    const seconds = applyTokenSet(
      'kimi',
      { type: 'kimi', access_token: 'a', expires_at: 1 },
      tokens(),
      NOW,
    );
    expect(seconds.expires_at).toBe(Math.floor(EXPIRES / 1000));
    const millis = applyTokenSet(
      'qwen',
      { type: 'qwen', access_token: 'a', expiry_date: '1700000000000' },
      tokens({ resourceUrl: 'portal.qwen.ai' }),
      NOW,
    );
    expect(millis.expiry_date).toBe(String(EXPIRES));
    expect(millis.resource_url).toBe('portal.qwen.ai');
  });

  it('should update Antigravity lifetime fields and Codex id_token', () => {
    const agy = applyTokenSet(
      'antigravity',
      { type: 'antigravity', access_token: 'a', expires_in: 3599, timestamp: 1, expired: 'x' },
      tokens(),
      NOW,
    );
    expect(agy).toMatchObject({ expires_in: 3600, timestamp: NOW, expired: rfc3339(EXPIRES) });
    const codex = applyTokenSet(
      'codex',
      { type: 'codex', access_token: 'a', id_token: 'old', account_id: 'acct-1' },
      tokens({ idToken: 'id-new' }),
      NOW,
    );
    expect(codex).toMatchObject({
      id_token: 'id-new',
      account_id: 'acct-1',
      expired: rfc3339(EXPIRES),
    });
  });

  it('should take iFlow’s new API key', () => {
    const sut = applyTokenSet(
      'iflow',
      { type: 'iflow', api_key: 'sk-old', access_token: 'a' },
      tokens({ apiKey: 'sk-new' }),
      NOW,
    );
    expect(sut.api_key).toBe('sk-new');
    expect(lastRefreshOf(sut)).toBe(NOW);
  });
});
