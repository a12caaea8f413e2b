import { defaultOAuthEndpoints } from '@app/oauth/oauth-endpoints';
import type { TokenSet } from '@app/oauth/token-client';
import { parseAuthFileJson, validateAuthFileName } from '@app/routing';
import {
  buildAuthFile,
  codexFileName,
  geminiFileName,
  normalizePlanType,
  safeNamePart,
  type LoginAccount,
} from '@app/oauth/login/auth-file.builder';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const EXP = NOW + 3600_000;

function jwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.sig`;
}

function token(extra: Partial<TokenSet> = {}): TokenSet {
  return { accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: EXP, raw: {}, ...extra };
}

describe('auth file names', () => {
  it('should keep emails as they are and make anything else safe', () => {
    expect(safeNamePart('user+tag@example.com')).toBe('user+tag@example.com');
    expect(safeNamePart('../../etc/passwd')).toBe('._._etc_passwd');
    expect(safeNamePart('a b:c\\d\0e')).toBe('a_b_c_d_e');
    expect(safeNamePart('x'.repeat(300))).toHaveLength(96);
  });

  it('should normalize plan types as CLIProxyAPI does', () => {
    expect(normalizePlanType('Plus')).toBe('plus');
    expect(normalizePlanType(' ChatGPT Pro ')).toBe('chatgpt-pro');
    expect(normalizePlanType(undefined)).toBe('');
  });

  it('should name Codex files by email and plan, hashing the account into team files', () => {
    expect(codexFileName('u@x.com', 'plus', 'acct')).toBe('codex-u@x.com-plus.json');
    expect(codexFileName('u@x.com', undefined)).toBe('codex-u@x.com.json');
    // sha256("acct-team")[:8]
    expect(codexFileName('u@x.com', 'team', 'acct-team')).toMatch(
      /^codex-[0-9a-f]{8}-u@x\.com-team\.json$/,
    );
    expect(codexFileName('u@x.com', 'team', 'acct-team')).not.toBe(
      codexFileName('u@x.com', 'team', 'acct-other'),
    );
  });

  it('should name Gemini files by email and project, and several projects "all"', () => {
    expect(geminiFileName('u@x.com', 'proj-1')).toBe('gemini-u@x.com-proj-1.json');
    expect(geminiFileName('u@x.com', 'a,b')).toBe('gemini-u@x.com-all.json');
    expect(geminiFileName('u@x.com', 'ALL')).toBe('gemini-u@x.com-all.json');
  });
});

describe(buildAuthFile.name, () => {
  const cases: [string, LoginAccount, string][] = [
    ['claude', { kind: 'anthropic', token: token({ email: 'c@x.com' }) }, 'claude-c@x.com.json'],
    [
      'codex',
      {
        kind: 'codex',
        token: token({
          accessToken: jwt({ exp: Math.floor(EXP / 1000) }),
          idToken: jwt({
            email: 'o@x.com',
            'https://api.openai.com/auth': { chatgpt_account_id: 'acc', chatgpt_plan_type: 'pro' },
          }),
        }),
      },
      'codex-o@x.com-pro.json',
    ],
    [
      'gemini',
      {
        kind: 'gemini',
        token: token(),
        email: 'g@x.com',
        projectId: 'proj-9',
        auto: true,
        endpoints: defaultOAuthEndpoints('gemini-cli'),
      },
      'gemini-g@x.com-proj-9.json',
    ],
    [
      'antigravity',
      { kind: 'antigravity', token: token(), email: 'a@x.com', projectId: 'p-1' },
      'antigravity-a@x.com.json',
    ],
    ['qwen', { kind: 'qwen', token: token({ resourceUrl: 'portal.qwen.ai' }) }, `qwen-${NOW}.json`],
    ['kimi', { kind: 'kimi', token: token({ scope: 's' }), deviceId: 'dev-1' }, `kimi-${NOW}.json`],
    [
      'iflow',
      { kind: 'iflow', token: token({ apiKey: 'sk-if', email: 'i@x.com' }) },
      'iflow-i@x.com.json',
    ],
    [
      'iflow cookie',
      {
        kind: 'iflow-cookie',
        apiKey: 'sk-if',
        name: 'i@x.com',
        expire: '2099-01-01 00:00',
        bxAuth: 'bx',
      },
      `iflow-i@x.com-${Math.floor(NOW / 1000)}.json`,
    ],
  ];

  it.each(cases)(
    'should write a %s file that routing parses into a usable credential',
    (_, account, name) => {
      const draft = buildAuthFile(account, NOW);
      expect(draft.name).toBe(name);
      expect(validateAuthFileName(draft.name)).toBe(name);
      const cred = parseAuthFileJson(draft.name, JSON.parse(JSON.stringify(draft.json)));
      expect(cred.token).toBeTruthy();
      expect(cred.kind).toBe('oauth');
      if (account.kind !== 'iflow-cookie') expect(cred.secret.refreshToken).toBe('rt-1');
      if (account.kind !== 'iflow-cookie') expect(cred.secret.expiresAt).toBe(EXP);
    },
  );

  it('should write the fields CLIProxyAPI writes for Claude', () => {
    expect(buildAuthFile(cases[0][1], NOW).json).toEqual({
      type: 'claude',
      email: 'c@x.com',
      access_token: 'at-1',
      refresh_token: 'rt-1',
      expired: '2026-01-02T04:04:05Z',
      last_refresh: '2026-01-02T03:04:05Z',
    });
  });

  it("should nest Google's token and keep the project for Gemini CLI", () => {
    const draft = buildAuthFile(cases[2][1], NOW);
    expect(draft.json).toMatchObject({
      type: 'gemini',
      email: 'g@x.com',
      project_id: 'proj-9',
      auto: true,
      token: {
        access_token: 'at-1',
        refresh_token: 'rt-1',
        token_type: 'Bearer',
        expiry: '2026-01-02T04:04:05Z',
        token_uri: 'https://oauth2.googleapis.com/token',
        client_id: defaultOAuthEndpoints('gemini-cli').clientId,
      },
    });
    const cred = parseAuthFileJson(draft.name, draft.json);
    expect(cred.provider).toBe('gemini-cli');
    expect(cred.secret.projectId).toBe('proj-9');
  });

  it('should carry the Codex account id and plan into the credential', () => {
    const draft = buildAuthFile(cases[1][1], NOW);
    expect(draft.json.account_id).toBe('acc');
    const cred = parseAuthFileJson(draft.name, draft.json);
    expect(cred.planType).toBe('pro');
    expect(cred.secret.accountId).toBe('acc');
    expect(cred.email).toBe('o@x.com');
  });

  it('should keep only BXAuth of an iFlow cookie and the expiry iFlow gave', () => {
    const draft = buildAuthFile(cases[7][1], NOW);
    expect(draft.json).toMatchObject({
      cookie: 'BXAuth=bx;',
      expired: '2099-01-01 00:00',
      api_key: 'sk-if',
    });
    expect(parseAuthFileJson(draft.name, draft.json).secret.cookie).toBe('BXAuth=bx;');
  });

  it('should sanitize a hostile email into a safe file name', () => {
    const draft = buildAuthFile({ kind: 'anthropic', token: token({ email: '../x/../y@z' }) }, NOW);
    expect(draft.name).toBe('claude-._x_._y@z.json');
    expect(validateAuthFileName(draft.name)).toBe(draft.name);
  });

  it('should fall back to a time-stamped name when the provider gave no email', () => {
    expect(buildAuthFile({ kind: 'anthropic', token: token() }, NOW).name).toBe(
      `claude-${NOW}.json`,
    );
  });
});
