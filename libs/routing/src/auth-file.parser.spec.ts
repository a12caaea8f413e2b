import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthFileError,
  decodeJwtClaims,
  parseAuthFile,
  parseAuthFileJson,
  parseAuthFiles,
  parseExpiry,
} from '@app/routing/auth-file.parser';
import { authIndexOf } from '@app/routing/credential.types';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'auth-files');

function fixture(name: string) {
  return parseAuthFile(name, readFileSync(join(FIXTURES, name), 'utf8'));
}

function errorOf(fn: () => unknown): AuthFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AuthFileError) return err;
    throw err;
  }
  throw new Error('expected an AuthFileError');
}

describe(parseAuthFile.name, () => {
  it('should read a Gemini CLI file (type gemini) as provider gemini-cli with the nested token', () => {
    const sut = fixture('gemini-dev@example.com-switchboard-test.json');
    expect(sut.provider).toBe('gemini-cli');
    expect(sut.channel).toBe('gemini-cli');
    expect(sut.kind).toBe('oauth');
    expect(sut.source).toBe('file');
    expect(sut.id).toBe('file:gemini-dev@example.com-switchboard-test.json');
    expect(sut.authIndex).toBe(authIndexOf('file:gemini-dev@example.com-switchboard-test.json'));
    expect(sut.email).toBe('dev@example.com');
    expect(sut.label).toBe('dev@example.com');
    expect(sut.secret.accessToken).toBe('ya29.fake-gemini-access');
    expect(sut.secret.refreshToken).toBe('1//fake-gemini-refresh');
    expect(sut.secret.projectId).toBe('switchboard-test');
    expect(sut.secret.expiresAt).toBe(Date.parse('2030-01-01T19:04:05.123Z'));
  });

  it('should read a Claude file with priority, prefix, proxy, headers and exclusions', () => {
    const sut = fixture('claude-dev@example.com.json');
    expect(sut.provider).toBe('claude');
    expect(sut.secret.accessToken).toBe('sk-ant-oat01-fake-access');
    expect(sut.secret.refreshToken).toBe('sk-ant-ort01-fake-refresh');
    expect(sut.secret.expiresAt).toBe(Date.parse('2030-01-01T00:00:00Z'));
    expect(sut.priority).toBe(5);
    expect(sut.prefix).toBe('team-a');
    expect(sut.proxyUrl).toBe('socks5://user:pw@127.0.0.1:1080');
    expect(sut.headers).toEqual({ 'X-Team': 'a' });
    expect(sut.excludedModels).toEqual(['claude-3-*', '*-haiku-*']);
    // An empty id_token is treated as absent.
    expect(sut.secret.idToken).toBeUndefined();
  });

  it('should read a Codex file: account and plan from the id_token, expiry from the access token', () => {
    const sut = fixture('codex-dev@example.com-plus.json');
    expect(sut.provider).toBe('codex');
    expect(sut.secret.accountId).toBe('acct_fake_123');
    expect(sut.planType).toBe('plus');
    expect(sut.publicView().plan_type).toBe('plus');
    // The access token's exp (2030-01-01) wins over the stale `expired` field (2029-06-01).
    expect(sut.secret.expiresAt).toBe(1893456000 * 1000);
    expect(sut.secret.refreshToken).toBe('rt_fake_codex');
  });

  it('should prefer an explicit account_id over the id_token claim', () => {
    const sut = parseAuthFileJson('codex-x.json', {
      type: 'codex',
      access_token: 'opaque',
      account_id: 'acct_explicit',
      expired: '2030-01-01T00:00:00Z',
    });
    expect(sut.secret.accountId).toBe('acct_explicit');
    expect(sut.secret.expiresAt).toBe(Date.parse('2030-01-01T00:00:00Z'));
  });

  it('should read a Qwen file with its resource_url and a zone-less expiry as UTC', () => {
    const sut = fixture('qwen-dev@example.com.json');
    expect(sut.provider).toBe('qwen');
    expect(sut.secret.resourceUrl).toBe('portal.qwen.ai');
    expect(sut.secret.expiresAt).toBe(Date.parse('2030-01-01T08:00:00Z'));
  });

  it('should read an iFlow file: the api_key is the credential, expiry as a numeric string', () => {
    const sut = fixture('iflow-dev@example.com.json');
    expect(sut.provider).toBe('iflow');
    expect(sut.secret.apiKey).toBe('sk-fake-iflow-api-key-0123456789');
    expect(sut.token).toBe('sk-fake-iflow-api-key-0123456789');
    expect(sut.secret.accessToken).toBe('fake-iflow-access');
    expect(sut.secret.expiresAt).toBe(1893456000 * 1000);
  });

  it('should read an Antigravity file, deriving expiry from timestamp + expires_in, and keep it disabled', () => {
    const sut = fixture('antigravity-dev@example.com.json');
    expect(sut.provider).toBe('antigravity');
    expect(sut.disabled).toBe(true);
    expect(sut.secret.projectId).toBe('fake-project-123');
    expect(sut.secret.expiresAt).toBe(1893452400000 + 3599 * 1000);
  });

  it('should read a Kimi file with its device id, labelled by file name when there is no email', () => {
    const sut = fixture('kimi-device-abc.json');
    expect(sut.provider).toBe('kimi');
    expect(sut.secret.deviceId).toBe('device-abc');
    expect(sut.label).toBe('kimi-device-abc.json');
  });

  it('should read a Vertex service-account file', () => {
    const sut = fixture('vertex-switchboard-test.json');
    expect(sut.provider).toBe('vertex');
    expect(sut.channel).toBe('vertex');
    expect(sut.secret.projectId).toBe('switchboard-test');
    expect(sut.secret.location).toBe('us-central1');
    expect(sut.secret.serviceAccount?.client_email).toBe(
      'sa@switchboard-test.iam.gserviceaccount.com',
    );
    expect(sut.prefix).toBe('vx');
    expect(JSON.stringify(sut)).not.toContain('PRIVATE KEY');
  });

  it('should read an AI Studio file with a numeric-string priority', () => {
    const sut = fixture('aistudio-dev.json');
    expect(sut.provider).toBe('aistudio');
    expect(sut.priority).toBe(2);
    expect(sut.secret.apiKey).toBe('AIzaFakeAiStudioKey0123456789');
  });

  it('should label a key-only credential with the masked key, never the key', () => {
    const sut = parseAuthFileJson('iflow-nomail.json', {
      type: 'iflow',
      api_key: 'sk-abcdefghijklmnop',
    });
    expect(sut.label).not.toContain('abcdefghijklmnop');
    expect(sut.label.endsWith('mnop')).toBe(true);
  });

  it('should accept the dashed spelling of excluded-models and trim prefix slashes', () => {
    const sut = parseAuthFileJson('c.json', {
      type: 'claude',
      access_token: 't',
      'excluded-models': ['a', ' ', 'b'],
      prefix: '/team/',
    });
    expect(sut.excludedModels).toEqual(['a', 'b']);
    expect(sut.prefix).toBe('team');
  });

  it.each([
    ['no-type.json', 'type'],
    ['unknown-type.json', 'type'],
    ['claude-no-token.json', 'access_token'],
    ['bad-priority.json', 'priority'],
    ['bad-expiry.json', 'expired'],
    ['vertex-no-key.json', 'service_account.private_key'],
    ['not-json.json', '(json)'],
  ])('should reject invalid/%s naming the field %s', (name, field) => {
    const err = errorOf(() =>
      parseAuthFile(name, readFileSync(join(FIXTURES, 'invalid', name), 'utf8')),
    );
    expect(err.file).toBe(name);
    expect(err.field).toBe(field);
    expect(err.message).toContain(name);
    expect(err.message).toContain(field);
  });

  it('should name nested and typed fields in errors', () => {
    expect(errorOf(() => parseAuthFileJson('g.json', { type: 'gemini', token: {} })).field).toBe(
      'token.access_token',
    );
    expect(
      errorOf(() =>
        parseAuthFileJson('c.json', { type: 'claude', access_token: 't', disabled: 'yes' }),
      ).field,
    ).toBe('disabled');
    expect(
      errorOf(() =>
        parseAuthFileJson('c.json', { type: 'claude', access_token: 't', headers: { A: 1 } }),
      ).field,
    ).toBe('headers.A');
    expect(
      errorOf(() =>
        parseAuthFileJson('c.json', { type: 'claude', access_token: 't', prefix: 'a/b' }),
      ).field,
    ).toBe('prefix');
    expect(errorOf(() => parseAuthFileJson('c.json', [1, 2])).field).toBe('(root)');
  });
});

describe(parseAuthFiles.name, () => {
  it('should keep the valid files and report each invalid one without failing the batch', () => {
    const valid = readdirSync(FIXTURES).filter((n) => n.endsWith('.json'));
    const invalid = readdirSync(join(FIXTURES, 'invalid'));
    const files = [
      ...valid.map((name) => ({ name, text: readFileSync(join(FIXTURES, name), 'utf8') })),
      ...invalid.map((name) => ({
        name,
        text: readFileSync(join(FIXTURES, 'invalid', name), 'utf8'),
      })),
    ];
    const result = parseAuthFiles(files);
    expect(result.credentials).toHaveLength(valid.length);
    expect(result.errors.map((e) => e.file).sort()).toEqual([...invalid].sort());
    expect(new Set(result.credentials.map((c) => c.provider))).toEqual(
      new Set([
        'gemini-cli',
        'claude',
        'codex',
        'qwen',
        'iflow',
        'antigravity',
        'kimi',
        'vertex',
        'aistudio',
      ]),
    );
  });
});

describe(parseExpiry.name, () => {
  it.each([
    ['2030-01-01T00:00:00Z', Date.parse('2030-01-01T00:00:00Z')],
    ['2030-01-01T08:00:00+08:00', Date.parse('2030-01-01T00:00:00Z')],
    ['2030-01-01 00:00:00', Date.parse('2030-01-01T00:00:00Z')],
    ['2030-01-01 00:00', Date.parse('2030-01-01T00:00:00Z')],
    [1893456000, 1893456000000],
    [1893456000000, 1893456000000],
    ['1893456000', 1893456000000],
  ])('should read %p', (input, expected) => {
    expect(parseExpiry(input)).toBe(expected);
  });

  it('should treat empty values as absent and unreadable ones as NaN', () => {
    expect(parseExpiry('')).toBeUndefined();
    expect(parseExpiry(null)).toBeUndefined();
    expect(parseExpiry('soon')).toBeNaN();
    expect(parseExpiry({})).toBeNaN();
    expect(parseExpiry(0)).toBeNaN();
  });
});

describe(decodeJwtClaims.name, () => {
  it('should decode the payload and reject malformed tokens', () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'x', n: 1 })).toString('base64url');
    expect(decodeJwtClaims(`h.${payload}.s`)).toEqual({ sub: 'x', n: 1 });
    expect(decodeJwtClaims('not-a-jwt')).toBeUndefined();
    expect(decodeJwtClaims('a.%%%.c')).toBeUndefined();
    expect(decodeJwtClaims(undefined)).toBeUndefined();
  });
});
