import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authIndexOf, parseAuthFile, secretFingerprint, type ModelState } from '@app/routing';
import {
  activeCooldowns,
  authFileEntry,
  lastRefreshOf,
  sortEntries,
} from '@app/management/auth-files/auth-file-entry';

const FIXTURES = join(__dirname, '../../../../test/fixtures/auth-files');
const NOW = Date.parse('2030-01-01T00:00:00Z');

function facts(name: string) {
  const text = readFileSync(join(FIXTURES, name), 'utf8');
  return {
    name,
    size: text.length,
    mtimeMs: NOW - 60_000,
    data: JSON.parse(text) as unknown,
    credential: parseAuthFile(name, text),
  };
}

function state(over: Partial<ModelState> = {}): ModelState {
  return { cooldownUntil: 0, level: 0, quotaExceededUntil: 0, updatedAt: NOW - 1000, ...over };
}

describe(authFileEntry.name, () => {
  it('should list an active Claude file with CLIProxyAPI fields', () => {
    const e = authFileEntry(facts('claude-dev@example.com.json'), [], NOW);
    expect(e).toEqual({
      id: 'claude-dev@example.com.json',
      auth_index: authIndexOf('file:claude-dev@example.com.json'),
      name: 'claude-dev@example.com.json',
      type: 'claude',
      provider: 'claude',
      label: 'dev@example.com',
      status: 'active',
      status_message: '',
      disabled: false,
      unavailable: false,
      runtime_only: false,
      source: 'file',
      size: expect.any(Number),
      modtime: new Date(NOW - 60_000).toISOString(),
      email: 'dev@example.com',
      account_type: 'oauth',
      account: 'dev@example.com',
      priority: 5,
      prefix: 'team-a',
      last_refresh: '2029-12-31T23:00:00.000Z',
      expires_at: '2030-01-01T00:00:00.000Z',
      cooldowns: [],
    });
  });

  it('should expose the Codex plan claims of the id_token', () => {
    const e = authFileEntry(facts('codex-dev@example.com-plus.json'), [], NOW);
    expect(e.id_token).toEqual({ chatgpt_account_id: 'acct_fake_123', plan_type: 'plus' });
    expect(e.provider).toBe('codex');
  });

  it('should report a benched credential as unavailable with the error and retry time', () => {
    const until = NOW + 90_000;
    const e = authFileEntry(
      facts('claude-dev@example.com.json'),
      [
        {
          model: '*',
          state: state({
            cooldownUntil: until,
            lastError: { status: 401, message: 'invalid x-api-key', at: NOW - 5 },
          }),
        },
        { model: 'claude-old', state: state({ cooldownUntil: NOW - 1 }) },
      ],
      NOW,
    );
    expect(e).toMatchObject({
      status: 'error',
      status_message: 'invalid x-api-key',
      unavailable: true,
      next_retry_after: new Date(until).toISOString(),
    });
    expect(e.cooldowns).toEqual([
      {
        model: '*',
        until: new Date(until).toISOString(),
        reason: 'cooldown',
        status: 401,
        message: 'invalid x-api-key',
      },
    ]);
    // the last error stays listed on its own, with its time
    expect(e.last_error).toEqual({
      status: 401,
      message: 'invalid x-api-key',
      at: new Date(NOW - 5).toISOString(),
    });
  });

  it('should show a credential whose refresh token was refused as an error until a new login', () => {
    const f = facts('claude-dev@example.com.json');
    const refused = f.credential.secret.refreshToken as string;
    const mark = (fingerprint: string) => [
      {
        model: '*',
        state: state({
          error: {
            message: 'Refresh token rejected (400 invalid_grant): revoked. Sign in again.',
            at: NOW - 10,
            fingerprint,
          },
        }),
      },
    ];
    const e = authFileEntry(f, mark(secretFingerprint(refused)), NOW);
    expect(e).toMatchObject({
      status: 'error',
      status_message: 'Refresh token rejected (400 invalid_grant): revoked. Sign in again.',
      unavailable: true,
      disabled: false,
    });
    // the file now holds another refresh token: a new login, the old mark no longer applies
    const after = authFileEntry(f, mark(secretFingerprint('another-token')), NOW);
    expect(after).toMatchObject({ status: 'active', status_message: '', unavailable: false });
  });

  it('should keep a credential available while only one model cools down', () => {
    const e = authFileEntry(
      facts('claude-dev@example.com.json'),
      [{ model: 'claude-opus', state: state({ quotaExceededUntil: NOW + 10_000 }) }],
      NOW,
    );
    expect(e.unavailable).toBe(false);
    expect(e.status).toBe('active');
    expect(e.cooldowns).toEqual([
      { model: 'claude-opus', until: new Date(NOW + 10_000).toISOString(), reason: 'quota' },
    ]);
    expect(e.next_retry_after).toBe(new Date(NOW + 10_000).toISOString());
  });

  it('should show disabled files as disabled', () => {
    const f = facts('claude-dev@example.com.json');
    const text = JSON.stringify({ ...(f.data as object), disabled: true });
    const e = authFileEntry(
      { ...f, data: JSON.parse(text), credential: parseAuthFile(f.name, text) },
      [],
      NOW,
    );
    expect(e).toMatchObject({ status: 'disabled', disabled: true, unavailable: false });
  });

  it('should list an unusable file as an error with the parser message', () => {
    const e = authFileEntry(
      {
        name: 'broken.json',
        size: 12,
        mtimeMs: NOW,
        data: { type: 'martian', email: 'x@y.z' },
        error: 'auth file broken.json: type: unknown auth file type "martian"',
      },
      [],
      NOW,
    );
    expect(e).toMatchObject({
      name: 'broken.json',
      type: 'martian',
      status: 'error',
      status_message: 'auth file broken.json: type: unknown auth file type "martian"',
      unavailable: true,
      label: 'x@y.z',
      auth_index: authIndexOf('file:broken.json'),
    });
  });
});

describe(activeCooldowns.name, () => {
  it('should put the whole-credential entry first and drop expired ones', () => {
    const list = activeCooldowns(
      [
        { model: 'b', state: state({ cooldownUntil: NOW + 5 }) },
        { model: '*', state: state({ quotaExceededUntil: NOW + 5 }) },
        { model: 'a', state: state({ cooldownUntil: NOW }) },
      ],
      NOW,
    );
    expect(list.map((c) => c.model)).toEqual(['*', 'b']);
  });
});

describe(lastRefreshOf.name, () => {
  it('should read every spelling CLIProxyAPI writes', () => {
    expect(lastRefreshOf({ last_refresh: '2030-01-01T00:00:00Z' })).toBe(
      '2030-01-01T00:00:00.000Z',
    );
    expect(lastRefreshOf({ lastRefresh: 1893456000 })).toBe('2030-01-01T00:00:00.000Z');
    expect(lastRefreshOf({ last_refreshed_at: '2030-01-01 00:00:00' })).toBe(
      '2030-01-01T00:00:00.000Z',
    );
    expect(lastRefreshOf({ last_refresh: 'soon' })).toBeUndefined();
    expect(lastRefreshOf('x')).toBeUndefined();
  });
});

describe(sortEntries.name, () => {
  it('should sort by name case-insensitively', () => {
    expect(sortEntries([{ name: 'b.json' }, { name: 'A.json' }, { name: 'a2.json' }])).toEqual([
      { name: 'A.json' },
      { name: 'a2.json' },
      { name: 'b.json' },
    ]);
  });
});
