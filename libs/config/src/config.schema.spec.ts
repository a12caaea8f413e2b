import { z } from 'zod';
import { mapMarked } from '@app/config/config.marks';
import {
  configSchema,
  DEFAULT_PORT,
  maskConfig,
  maskSecret,
  maskUrlPassword,
  secret,
  type AppConfig,
} from '@app/config/config.schema';

const parse = (input: unknown): AppConfig => configSchema.parse(input);

describe('configSchema', () => {
  it('should fill every default from an empty document', () => {
    const sut = parse({});
    expect(sut.port).toBe(DEFAULT_PORT);
    expect(sut.port).toBe(8317);
    expect(sut.host).toBe('');
    expect(sut['auth-dir']).toBe('./auths');
    expect(sut['api-keys']).toEqual([]);
    expect(sut['error-logs-max-files']).toBe(10);
    expect(sut['request-retry']).toBe(0);
    expect(sut.routing.strategy).toBe('round-robin');
    expect(sut['remote-management']).toEqual({
      'allow-remote': false,
      'secret-key': '',
      'disable-control-panel': false,
      'disable-auto-update-panel': false,
    });
    expect(sut.tls).toEqual({ enable: false, cert: '', key: '' });
    expect(sut.streaming).toEqual({ 'keepalive-seconds': 0, 'bootstrap-retries': 0 });
    expect(sut.ampcode['model-mappings']).toEqual([]);
    expect(sut.payload.filter).toEqual([]);
    expect(sut.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      username: '',
      password: '',
      'tls-ca': '',
      sentinels: [],
      'sentinel-name': 'mymaster',
      'sentinel-password': '',
      'cluster-nodes': [],
      'key-prefix': 'sb:',
      'command-timeout-ms': 1000,
      'connect-timeout-ms': 2000,
    });
    expect(sut.metrics).toEqual({ enabled: true, 'client-key-label': 'off' });
    expect(sut['body-limit-mb']).toBe(50);
    expect(sut.usage).toEqual({ 'details-max-per-model': 1000, 'details-max-age-days': 30 });
    expect(sut['request-log-max-entries']).toBe(10000);
    expect(sut.limits).toEqual({});
    expect(sut['release-feed-url']).toMatch(
      /^https:\/\/api\.github\.com\/repos\/.+\/releases\/latest$/,
    );
  });

  it('should default the fields of provider entries', () => {
    const sut = parse({
      'gemini-api-key': [{ 'api-key': 'g' }],
      'openai-compatibility': [{ name: 'or', 'base-url': 'https://or.example/v1' }],
      'oauth-model-alias': { codex: [{ name: 'gpt-5', alias: 'g5' }] },
    });
    expect(sut['gemini-api-key'][0]).toEqual({
      'api-key': 'g',
      priority: 0,
      headers: {},
      models: [],
      'excluded-models': [],
    });
    expect(sut['openai-compatibility'][0]['api-key-entries']).toEqual([]);
    expect(sut['oauth-model-alias'].codex[0].fork).toBe(false);
  });

  it('should read YAML 1.1 booleans and plain scalars in string fields as CLIProxyAPI does', () => {
    const sut = parse({
      debug: 'yes',
      'ws-auth': 'off',
      'api-keys': [12345],
      routing: { strategy: '' },
    });
    expect(sut.debug).toBe(true);
    expect(sut['ws-auth']).toBe(false);
    expect(sut['api-keys']).toEqual(['12345']);
    expect(sut.routing.strategy).toBe('round-robin');
  });

  it('should default the proxy extensions and check provider-base-urls', () => {
    const sut = parse({});
    expect(sut['provider-base-urls']).toEqual({});
    expect(sut['upstream-timeouts']).toEqual({
      'connect-seconds': 10,
      'header-seconds': 300,
      'idle-seconds': 300,
    });
    const set = parse({
      'provider-base-urls': { 'gemini-cli': 'http://127.0.0.1:9000' },
      'upstream-timeouts': { 'header-seconds': 0.5 },
    });
    expect(set['provider-base-urls']['gemini-cli']).toBe('http://127.0.0.1:9000');
    expect(set['upstream-timeouts']['header-seconds']).toBe(0.5);
    const bad = configSchema.safeParse({
      'provider-base-urls': { 'gemini-cli': 'ftp://x', nope: 'http://x' },
    });
    expect(bad.success).toBe(false);
    const messages = bad.success
      ? []
      : bad.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'provider-base-urls.gemini-cli: must be an http(s) URL',
        expect.stringMatching(/^provider-base-urls\.nope: unknown provider/),
      ]),
    );
  });

  it('should reject bad trusted-proxies and redis URLs', () => {
    const bad = configSchema.safeParse({
      'trusted-proxies': ['10.0.0.0/8', '::1', '10.0.0.0/33', 'not a host', 'lb'],
      redis: { url: 'http://localhost', sentinels: ['a:26379', 'b:port', 'c d:1'] },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'trusted-proxies.2',
        'trusted-proxies.3',
        'redis.url',
        'redis.sentinels.1',
        'redis.sentinels.2',
      ]),
    );
    expect(paths).not.toContain('redis.sentinels.0');
    expect(paths).not.toContain('trusted-proxies.0');
    expect(paths).not.toContain('trusted-proxies.1');
    expect(paths).not.toContain('trusted-proxies.4'); // a host name (a load balancer's service)
  });

  it('should refuse sentinels together with cluster nodes', () => {
    const bad = configSchema.safeParse({
      redis: { sentinels: ['a:26379'], 'cluster-nodes': ['b:6379'] },
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'redis.cluster-nodes: set either sentinels or cluster-nodes, not both',
    ]);
  });
});

describe(maskSecret.name, () => {
  it('should keep at most the last 4 characters of a long secret', () => {
    expect(maskSecret('sk-proj-abcdefghijklmnopqrstuvwxyz')).toBe('sk-…wxyz');
    expect(maskSecret('abcdefghijklmnop')).toBe('…mnop');
  });

  it('should mask short secrets entirely and leave empty ones empty', () => {
    expect(maskSecret('short-key')).toBe('****');
    expect(maskSecret('a')).toBe('****');
    expect(maskSecret('')).toBe('');
  });
});

describe(maskUrlPassword.name, () => {
  it('should hide only the password of a URL', () => {
    expect(maskUrlPassword('redis://:s3cretpass@redis:6379/0')).toBe('redis://:****@redis:6379/0');
    expect(maskUrlPassword('socks5://user:pw@proxy:1080')).toBe('socks5://user:****@proxy:1080');
  });

  it('should leave URLs without credentials and non-URLs such as "direct" alone', () => {
    expect(maskUrlPassword('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskUrlPassword('direct')).toBe('direct');
  });
});

describe(maskConfig.name, () => {
  const clientKey = 'sk-client-0123456789-abcd';
  const config = parse({
    'api-keys': [clientKey, 'another-client-key-wxyz'],
    'remote-management': { 'secret-key': 'management-secret-9876' },
    'proxy-url': 'http://proxyuser:proxypass@proxy:8080',
    'gemini-api-key': [
      {
        'api-key': 'AIzaSyGEMINI-KEY-000111',
        'proxy-url': 'socks5://u:gemini-proxy-pw@p:1080',
        headers: { Authorization: 'Bearer upstream-token-12345', 'X-Title': 'switchboard' },
      },
    ],
    'claude-api-key': [{ 'api-key': 'sk-ant-CLAUDE-KEY-222333' }],
    'codex-api-key': [{ 'api-key': 'sk-CODEX-KEY-444555666' }],
    'vertex-api-key': [{ 'api-key': 'vk-VERTEX-KEY-777888999' }],
    'openai-compatibility': [
      {
        name: 'or',
        'base-url': 'https://or.example/v1',
        'api-key-entries': [{ 'api-key': 'sk-or-v1-COMPAT-KEY-0000' }],
      },
    ],
    ampcode: {
      'upstream-api-key': 'amp-upstream-key-1111',
      'upstream-api-keys': [{ 'upstream-api-key': 'amp-per-client-2222', 'api-keys': [clientKey] }],
    },
    redis: {
      url: 'redis://default:redis-password@redis:6379',
      password: 'redis-acl-password',
      'sentinel-password': 'redis-sentinel-password',
    },
    limits: { [clientKey]: { rpm: 10 } },
  });
  const secrets = [
    clientKey,
    'another-client-key-wxyz',
    'management-secret-9876',
    'proxypass',
    'AIzaSyGEMINI-KEY-000111',
    'gemini-proxy-pw',
    'upstream-token-12345',
    'sk-ant-CLAUDE-KEY-222333',
    'sk-CODEX-KEY-444555666',
    'vk-VERTEX-KEY-777888999',
    'sk-or-v1-COMPAT-KEY-0000',
    'amp-upstream-key-1111',
    'amp-per-client-2222',
    'redis-password',
    'redis-acl-password',
    'redis-sentinel-password',
  ];

  it('should mask every secret field', () => {
    const sut = maskConfig(config);
    const text = JSON.stringify(sut);
    for (const s of secrets) expect(text).not.toContain(s);
  });

  it('should keep masked values recognisable and leave other fields alone', () => {
    const sut = maskConfig(config) as unknown as AppConfig;
    expect(sut['api-keys']).toEqual(['sk-…abcd', 'ano…wxyz']);
    expect(sut['gemini-api-key'][0]['api-key']).toBe('AIz…0111');
    expect(sut['gemini-api-key'][0].headers).toEqual({
      Authorization: 'Bea…2345',
      'X-Title': 'switchboard',
    });
    expect(sut.redis.url).toBe('redis://default:****@redis:6379');
    expect(Object.keys(sut.limits)).toEqual(['sk-…abcd']);
    expect(sut.limits['sk-…abcd']).toEqual({ rpm: 10 });
    expect(sut['openai-compatibility'][0]['base-url']).toBe('https://or.example/v1');
    expect(sut.port).toBe(8317);
  });

  it('should return a copy and leave the config untouched', () => {
    const sut = maskConfig(config);
    expect(sut).not.toBe(config);
    expect(config['api-keys'][0]).toBe(clientKey);
    expect(config.limits[clientKey]).toEqual({ rpm: 10 });
  });

  it('should keep two limit entries whose masked keys look alike', () => {
    const sut = maskConfig(
      parse({ limits: { 'aaaa-bbbb-cccc-1234': { rpm: 1 }, 'zzzz-yyyy-xxxx-1234': { rpm: 2 } } }),
    );
    expect(Object.values(sut.limits as object)).toHaveLength(2);
  });
});

describe(secret.name, () => {
  it('should mark fields of any schema so the walker masks them', () => {
    const sut = z.object({ token: secret(z.string()), plain: z.string() });
    const out = mapMarked(sut, { token: 'abc', plain: 'def' }, { value: () => 'hidden' });
    expect(out).toEqual({ token: 'hidden', plain: 'def' });
  });
});
