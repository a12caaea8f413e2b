import {
  LOGIN_PROVIDERS,
  loginSpec,
  normalizeLoginProvider,
  providersForCallbackPath,
} from '@app/oauth/login/login-provider';

describe('login providers', () => {
  it.each([
    ['claude', 'anthropic'],
    ['Anthropic', 'anthropic'],
    ['openai', 'codex'],
    ['google', 'gemini'],
    ['gemini-cli', 'gemini'],
    [' anti-gravity ', 'antigravity'],
    ['i-flow', 'iflow'],
    ['qwen', 'qwen'],
    ['kimi', 'kimi'],
  ])('should read %j as %s', (name, id) => {
    expect(normalizeLoginProvider(name)).toBe(id);
  });

  it('should not read unknown or empty names', () => {
    expect(normalizeLoginProvider('copilot')).toBeUndefined();
    expect(normalizeLoginProvider('')).toBeUndefined();
    expect(normalizeLoginProvider(undefined)).toBeUndefined();
  });

  it('should serve the CLIProxyAPI route and landing path of every flow', () => {
    expect(LOGIN_PROVIDERS.map((p) => `${loginSpec(p).route}-auth-url`)).toEqual([
      'anthropic-auth-url',
      'codex-auth-url',
      'gemini-cli-auth-url',
      'antigravity-auth-url',
      'qwen-auth-url',
      'kimi-auth-url',
      'iflow-auth-url',
    ]);
    expect(providersForCallbackPath('/google/callback')).toEqual(['gemini']);
    expect(providersForCallbackPath('/anthropic/callback')).toEqual(['anthropic']);
    expect(providersForCallbackPath('/qwen/callback')).toEqual([]);
  });

  it('should give device flows no landing path and redirect flows one', () => {
    for (const p of LOGIN_PROVIDERS) {
      const s = loginSpec(p);
      expect(s.callbackPath === undefined).toBe(s.flow === 'device');
    }
  });
});
