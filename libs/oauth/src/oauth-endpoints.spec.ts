import { configSchema, type AppConfig } from '@app/config';
import {
  defaultOAuthEndpoints,
  OAUTH_PROVIDERS,
  resolveOAuthEndpoints,
} from '@app/oauth/oauth-endpoints';

function config(raw: unknown): AppConfig {
  return configSchema.parse({ 'oauth-endpoints': raw });
}

describe(resolveOAuthEndpoints.name, () => {
  it('should default to the real endpoints with the provider lead times', () => {
    const leads = Object.fromEntries(
      OAUTH_PROVIDERS.map((p) => [p, defaultOAuthEndpoints(p).refreshLeadMs / 60_000]),
    );
    expect(leads).toEqual({
      claude: 240,
      codex: 7200,
      'gemini-cli': 5,
      antigravity: 5,
      qwen: 20,
      iflow: 1440,
      kimi: 5,
    });
    const sut = resolveOAuthEndpoints(config({}), 'gemini-cli');
    expect(sut.tokenUrl).toBe('https://oauth2.googleapis.com/token');
    expect(sut.apiBase).toBe('https://cloudcode-pa.googleapis.com');
    expect(resolveOAuthEndpoints(config({}), 'codex').apiBase).toBe('https://chatgpt.com');
    expect(resolveOAuthEndpoints(config({}), 'claude').apiBase).toBe('https://api.anthropic.com');
  });

  it('should apply every override field and keep the rest', () => {
    const cfg = config({
      kimi: {
        'token-url': 'http://127.0.0.1:9/kimi/token',
        'device-code-url': 'http://127.0.0.1:9/kimi/device',
        'api-base': 'http://127.0.0.1:9/coding/',
        'client-id': 'cid',
        scopes: 'a  b',
        'refresh-lead-seconds': 30,
      },
    });
    const sut = resolveOAuthEndpoints(cfg, 'kimi');
    expect(sut).toMatchObject({
      tokenUrl: 'http://127.0.0.1:9/kimi/token',
      deviceCodeUrl: 'http://127.0.0.1:9/kimi/device',
      apiBase: 'http://127.0.0.1:9/coding',
      clientId: 'cid',
      scopes: ['a', 'b'],
      refreshLeadMs: 30_000,
      tokenBody: 'form',
    });
    // Untouched providers keep their defaults, and the answer is cached per config.
    expect(resolveOAuthEndpoints(cfg, 'claude')).toBe(defaultOAuthEndpoints('claude'));
    expect(resolveOAuthEndpoints(cfg, 'kimi')).toBe(sut);
  });

  it('should refuse unknown providers, unknown fields and non-http URLs in config', () => {
    const issues = (raw: unknown) =>
      configSchema
        .safeParse({ 'oauth-endpoints': raw })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ gitlab: {} }).join()).toMatch(
      /oauth-endpoints\.gitlab: unknown OAuth provider/,
    );
    expect(issues({ claude: { 'token-uri': 'http://x' } }).join()).toMatch(/token-uri/);
    expect(issues({ claude: { 'token-url': 'ftp://x' } }).join()).toMatch(
      /oauth-endpoints\.claude\.token-url: must be an http\(s\) URL/,
    );
  });
});
