import { credentialsFromConfig } from '@app/routing/config-credentials';
import { authIndexOf, configIndexSeed } from '@app/routing/credential.types';
import type { RoutingConfig } from '@app/routing/routing-config';

describe(credentialsFromConfig.name, () => {
  const config: RoutingConfig = {
    'gemini-api-key': [{ 'api-key': 'AIzaGeminiKey0001', priority: 2 }, { 'api-key': '  ' }],
    'claude-api-key': [
      {
        'api-key': 'sk-ant-claude-key-1',
        'base-url': 'http://127.0.0.1:9000',
        'proxy-url': 'socks5://127.0.0.1:1080',
        prefix: '/team/',
        headers: { 'X-A': '1' },
        models: [
          { name: 'claude-sonnet-4-5-20250929', alias: 'sonnet' },
          { name: 'claude-haiku-4-5-20251001', alias: '' },
        ],
        'excluded-models': ['*-opus-*'],
      },
    ],
    'codex-api-key': [{ 'api-key': 'sk-codex-1' }],
    'vertex-api-key': [{ 'api-key': 'vertex-key-1' }],
    'openai-compatibility': [
      {
        name: 'OpenRouter',
        'base-url': 'https://or.example/v1',
        'api-key-entries': [
          { 'api-key': 'sk-or-1' },
          { 'api-key': '' },
          { 'api-key': 'sk-or-2', 'proxy-url': 'http://p:1' },
        ],
        models: [{ name: 'moonshotai/kimi-k2', alias: 'kimi' }],
        priority: 1,
      },
      { name: 'local', 'base-url': 'http://127.0.0.1:11434/v1' },
      {
        name: 'off',
        'base-url': 'http://x',
        disabled: true,
        'api-key-entries': [{ 'api-key': 'k' }],
      },
    ],
  };

  it('should create one credential per non-empty api-key', () => {
    const sut = credentialsFromConfig(config);
    expect(sut.map((c) => c.id)).toEqual([
      'config:gemini-api-key[0]',
      'config:vertex-api-key[0]',
      'config:claude-api-key[0]',
      'config:codex-api-key[0]',
      'config:openai-compatibility[0]:OpenRouter[0]',
      'config:openai-compatibility[0]:OpenRouter[2]',
      'config:openai-compatibility[1]:local',
    ]);
  });

  it('should carry every entry field onto the credential', () => {
    const claude = credentialsFromConfig(config).find((c) => c.provider === 'claude')!;
    expect(claude.kind).toBe('api-key');
    expect(claude.source).toBe('config');
    expect(claude.channel).toBe('claude');
    expect(claude.baseUrl).toBe('http://127.0.0.1:9000');
    expect(claude.proxyUrl).toBe('socks5://127.0.0.1:1080');
    expect(claude.prefix).toBe('team');
    expect(claude.headers).toEqual({ 'X-A': '1' });
    expect(claude.models).toEqual([
      { name: 'claude-sonnet-4-5-20250929', alias: 'sonnet' },
      { name: 'claude-haiku-4-5-20251001' },
    ]);
    expect(claude.excludedModels).toEqual(['*-opus-*']);
    expect(claude.secret.apiKey).toBe('sk-ant-claude-key-1');
    expect(claude.label).not.toContain('claude-key');
  });

  it('should derive the auth index from the config identity (provider, base, proxy, key)', () => {
    const [gemini] = credentialsFromConfig(config);
    expect(gemini.authIndex).toBe(
      authIndexOf(configIndexSeed({ provider: 'gemini', apiKey: 'AIzaGeminiKey0001' })),
    );
    expect(gemini.priority).toBe(2);
  });

  it('should give each openai-compatibility key its own credential with the entry name and models', () => {
    const compat = credentialsFromConfig(config).filter((c) => c.compatName === 'OpenRouter');
    expect(compat).toHaveLength(2);
    for (const c of compat) {
      expect(c.provider).toBe('openai-compatibility');
      expect(c.baseUrl).toBe('https://or.example/v1');
      expect(c.priority).toBe(1);
      expect(c.models).toEqual([{ name: 'moonshotai/kimi-k2', alias: 'kimi' }]);
    }
    expect(compat[1].proxyUrl).toBe('http://p:1');
    expect(new Set(compat.map((c) => c.authIndex)).size).toBe(2);
  });

  it('should create a keyless credential for an openai-compatibility entry without keys, serving no catalog', () => {
    const local = credentialsFromConfig(config).find((c) => c.compatName === 'local')!;
    expect(local.token).toBeUndefined();
    expect(local.models).toEqual([]);
  });

  it('should give identical entries distinct auth indexes', () => {
    const sut = credentialsFromConfig({
      'claude-api-key': [{ 'api-key': 'same' }, { 'api-key': 'same' }],
    });
    expect(sut).toHaveLength(2);
    expect(sut[0].authIndex).not.toBe(sut[1].authIndex);
  });

  it('should return nothing for an empty config', () => {
    expect(credentialsFromConfig({})).toEqual([]);
  });
});
