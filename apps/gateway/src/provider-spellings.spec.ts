// Every name a user can type for a provider, and what it means. Written before the provider
// registry replaced the per-lib lists, and kept as the contract the registry must honour.
import { configSchema } from '@app/config';
import { PROVIDER_ALIASES } from '@app/proxy';
import { credentialsFromConfig, parseAuthFileJson, CREDENTIAL_PROVIDERS } from '@app/routing';
import {
  LOGIN_PROVIDERS,
  loginSpec,
  normalizeLoginProvider,
  providersForCallbackPath,
} from '@app/oauth';
import {
  QUOTA_PROVIDERS,
  POLLED_QUOTA_PROVIDERS,
  isQuotaProvider,
  quotaProviderOf,
} from '@app/quota';

/** What config.yaml says about one map key: accepted, or the message naming it. */
function configKey(section: 'provider-base-urls' | 'oauth-endpoints', key: string): string {
  const value = section === 'provider-base-urls' ? 'http://127.0.0.1:1' : { 'client-id': 'x' };
  const r = configSchema.safeParse({ [section]: { [key]: value } });
  return r.success ? 'ok' : r.error.issues.map((i) => i.message).join('; ');
}

/** A minimal valid auth file of a given `type`, enough for every provider's parser. */
function authFile(type: string): Record<string, unknown> {
  return {
    type,
    access_token: 'at',
    api_key: 'ak',
    token: { access_token: 'at' },
    service_account: { client_email: 'sa@x', private_key: 'k', project_id: 'p' },
  };
}

describe('provider spellings', () => {
  it('should pin /api/provider/:provider names to routing providers', () => {
    expect(PROVIDER_ALIASES).toEqual({
      openai: 'openai-compatibility',
      'openai-compatibility': 'openai-compatibility',
      anthropic: 'claude',
      claude: 'claude',
      google: 'gemini',
      gemini: 'gemini',
      'gemini-cli': 'gemini-cli',
      vertex: 'vertex',
      codex: 'codex',
      antigravity: 'antigravity',
      qwen: 'qwen',
      iflow: 'iflow',
      kimi: 'kimi',
    });
  });

  it('should accept every HTTP provider, and only those, in provider-base-urls', () => {
    const accepted = [
      'gemini',
      'vertex',
      'claude',
      'codex',
      'openai-compatibility',
      'gemini-cli',
      'antigravity',
      'qwen',
      'iflow',
      'kimi',
    ];
    for (const key of accepted) expect(configKey('provider-base-urls', key)).toBe('ok');
    for (const key of ['aistudio', 'anthropic', 'agy', 'nope']) {
      expect(configKey('provider-base-urls', key)).toMatch(/^unknown provider; use one of /);
    }
    const listed = configKey('provider-base-urls', 'nope').replace(/^.*use one of /, '');
    expect(listed.split(', ').sort()).toEqual([...accepted].sort());
  });

  it('should accept every OAuth provider, and only those, in oauth-endpoints', () => {
    const accepted = ['claude', 'codex', 'gemini-cli', 'antigravity', 'qwen', 'iflow', 'kimi'];
    for (const key of accepted) expect(configKey('oauth-endpoints', key)).toBe('ok');
    for (const key of ['gemini', 'vertex', 'aistudio', 'anthropic', 'openai-compatibility']) {
      expect(configKey('oauth-endpoints', key)).toMatch(/^unknown OAuth provider; use one of /);
    }
    const listed = configKey('oauth-endpoints', 'nope').replace(/^.*use one of /, '');
    expect(listed.split(', ').sort()).toEqual([...accepted].sort());
  });

  it('should read each API-key section of config.yaml as its provider', () => {
    const config = configSchema.parse({
      'gemini-api-key': [{ 'api-key': 'key-gemini' }],
      'vertex-api-key': [{ 'api-key': 'key-vertex' }],
      'claude-api-key': [{ 'api-key': 'key-claude' }],
      'codex-api-key': [{ 'api-key': 'key-codex' }],
      'openai-compatibility': [
        { name: 'Local', 'base-url': 'http://h', 'api-key-entries': [{ 'api-key': 'key-c' }] },
      ],
    });
    expect(credentialsFromConfig(config).map((c) => [c.id, c.provider, c.channel])).toEqual([
      ['config:gemini-api-key[0]', 'gemini', 'gemini'],
      ['config:vertex-api-key[0]', 'vertex', 'vertex'],
      ['config:claude-api-key[0]', 'claude', 'claude'],
      ['config:codex-api-key[0]', 'codex', 'codex'],
      ['config:openai-compatibility[0]:Local[0]', 'openai-compatibility', 'openai-compatibility'],
    ]);
  });

  it.each([
    ['gemini', 'gemini-cli'],
    ['gemini-cli', 'gemini-cli'],
    ['GEMINI', 'gemini-cli'],
    ['vertex', 'vertex'],
    ['aistudio', 'aistudio'],
    ['antigravity', 'antigravity'],
    ['claude', 'claude'],
    ['Claude', 'claude'],
    ['codex', 'codex'],
    ['qwen', 'qwen'],
    ['iflow', 'iflow'],
    ['kimi', 'kimi'],
  ])('should load an auth file of type %j as a %s credential', (type, provider) => {
    const c = parseAuthFileJson('a.json', authFile(type));
    expect([c.provider, c.channel]).toEqual([provider, provider]);
  });

  it.each(['anthropic', 'agy', 'openai-compatibility', 'kiro', 'nope'])(
    'should refuse an auth file of type %j',
    (type) => {
      expect(() => parseAuthFileJson('a.json', authFile(type))).toThrow(
        `auth file a.json: type: unknown auth file type "${type}"`,
      );
    },
  );

  it('should list every credential provider once', () => {
    expect([...CREDENTIAL_PROVIDERS].sort()).toEqual(
      [
        'gemini',
        'vertex',
        'claude',
        'codex',
        'openai-compatibility',
        'gemini-cli',
        'antigravity',
        'qwen',
        'iflow',
        'kimi',
        'aistudio',
      ].sort(),
    );
  });

  it.each([
    ['anthropic', 'anthropic'],
    ['claude', 'anthropic'],
    ['codex', 'codex'],
    ['openai', 'codex'],
    ['gemini', 'gemini'],
    ['gemini-cli', 'gemini'],
    ['google', 'gemini'],
    ['antigravity', 'antigravity'],
    ['anti-gravity', 'antigravity'],
    ['qwen', 'qwen'],
    ['kimi', 'kimi'],
    ['iflow', 'iflow'],
    ['i-flow', 'iflow'],
    [' IFLOW ', 'iflow'],
  ])('should start a login named %j as the %s flow', (name, flow) => {
    expect(normalizeLoginProvider(name)).toBe(flow);
  });

  it.each(['agy', 'vertex', 'aistudio', 'copilot', 'openai-compatibility'])(
    'should not start a login named %j',
    (name) => {
      expect(normalizeLoginProvider(name)).toBeUndefined();
    },
  );

  it('should serve each login under its CLIProxyAPI route, landing path and OAuth table', () => {
    const flows = LOGIN_PROVIDERS.map((p) => {
      const s = loginSpec(p);
      return [p, `${s.route}-auth-url`, s.callbackPath ?? null, s.oauth, s.flow, s.pkce];
    });
    expect([...flows].sort()).toEqual(
      [
        ['anthropic', 'anthropic-auth-url', '/anthropic/callback', 'claude', 'redirect', true],
        ['codex', 'codex-auth-url', '/codex/callback', 'codex', 'redirect', true],
        ['gemini', 'gemini-cli-auth-url', '/google/callback', 'gemini-cli', 'redirect', false],
        [
          'antigravity',
          'antigravity-auth-url',
          '/antigravity/callback',
          'antigravity',
          'redirect',
          true,
        ],
        ['qwen', 'qwen-auth-url', null, 'qwen', 'device', true],
        ['kimi', 'kimi-auth-url', null, 'kimi', 'device', false],
        ['iflow', 'iflow-auth-url', '/iflow/callback', 'iflow', 'redirect', false],
      ].sort(),
    );
    expect(providersForCallbackPath('/google/callback')).toEqual(['gemini']);
    expect(providersForCallbackPath('/qwen/callback')).toEqual([]);
  });

  it('should accept the quota route names of the control API', () => {
    expect([...QUOTA_PROVIDERS].sort()).toEqual(
      ['agy', 'gemini', 'codex', 'qwen', 'iflow', 'kiro', 'ghcp', 'claude', 'kimi'].sort(),
    );
    for (const name of QUOTA_PROVIDERS) expect(isQuotaProvider(name)).toBe(true);
    for (const name of ['antigravity', 'gemini-cli', 'vertex', 'copilot', 'AGY']) {
      expect(isQuotaProvider(name)).toBe(false);
    }
    expect([...POLLED_QUOTA_PROVIDERS].sort()).toEqual(
      ['agy', 'gemini', 'codex', 'claude', 'kimi'].sort(),
    );
  });

  it.each([
    ['antigravity', 'agy'],
    ['gemini', 'gemini'],
    ['codex', 'codex'],
    ['claude', 'claude'],
    ['kimi', 'kimi'],
    ['qwen', 'qwen'],
    ['iflow', 'iflow'],
    ['vertex', undefined],
    ['aistudio', undefined],
  ])('should file an account of auth type %j under quota route %j', (type, route) => {
    expect(quotaProviderOf(parseAuthFileJson('a.json', authFile(type)))).toBe(route);
  });

  it('should file no API key from config.yaml under a quota route', () => {
    const config = configSchema.parse({ 'claude-api-key': [{ 'api-key': 'key-claude' }] });
    expect(credentialsFromConfig(config).map(quotaProviderOf)).toEqual([undefined]);
  });
});
