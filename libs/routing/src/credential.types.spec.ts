import { inspect } from 'node:util';
import {
  Credential,
  authIndexOf,
  configIndexSeed,
  redactUrlPassword,
} from '@app/routing/credential.types';

function makeCredential(): Credential {
  return new Credential({
    id: 'config:claude-api-key[0]',
    indexSeed: configIndexSeed({ provider: 'claude', apiKey: 'sk-test-1' }),
    provider: 'claude',
    channel: 'claude',
    kind: 'api-key',
    source: 'config',
    label: 'sk-…st-1',
    proxyUrl: 'socks5://user:hunter2@127.0.0.1:1080',
    headers: { Authorization: 'Bearer header-secret' },
    secret: { apiKey: 'sk-test-1-super-secret', refreshToken: 'refresh-secret' },
  });
}

describe(Credential.name, () => {
  it('should derive auth_index as the first 16 hex chars of sha256 of the identity', () => {
    // Reference values computed independently (python hashlib).
    expect(authIndexOf('file:claude-dev@example.com.json')).toBe('ad7d0eda86bb3c0a');
    expect(authIndexOf('config:provider=claude\x00api_key=sk-test-1')).toBe('2cf4354fc297a449');
  });

  it('should build the config identity from the non-empty parts in a fixed order', () => {
    expect(
      configIndexSeed({
        provider: 'OpenAI-Compatibility',
        compatName: 'OpenRouter',
        baseUrl: 'https://or.example/v1',
        apiKey: 'k',
      }),
    ).toBe(
      'config:provider=openai-compatibility\x00compat=openrouter\x00base=https://or.example/v1\x00api_key=k',
    );
    expect(configIndexSeed({ provider: 'claude', apiKey: 'k', duplicate: 2 })).toBe(
      'config:provider=claude\x00api_key=k\x00dup=2',
    );
  });

  it('should use the config identity for the auth index', () => {
    expect(makeCredential().authIndex).toBe('2cf4354fc297a449');
  });

  it('should keep secrets out of JSON, toString, spreading and inspect', () => {
    const sut = makeCredential();
    const outputs = [
      JSON.stringify(sut),
      String(sut),
      JSON.stringify({ ...sut }),
      inspect(sut, { depth: 5 }),
    ];
    for (const out of outputs) {
      expect(out).not.toContain('super-secret');
      expect(out).not.toContain('refresh-secret');
      expect(out).not.toContain('header-secret');
      expect(out).not.toContain('hunter2');
    }
    expect(JSON.parse(JSON.stringify(sut))).toMatchObject({
      id: 'config:claude-api-key[0]',
      provider: 'claude',
    });
  });

  it('should still hand the secret to executors', () => {
    const sut = makeCredential();
    expect(sut.secret.apiKey).toBe('sk-test-1-super-secret');
    expect(sut.token).toBe('sk-test-1-super-secret');
  });

  it('should list header names but not values, and report a refresh token only as a flag', () => {
    const view = makeCredential().publicView();
    expect(view.header_names).toEqual(['Authorization']);
    expect(view.has_refresh_token).toBe(true);
    expect(view.proxy_url).toBe('socks5://user:****@127.0.0.1:1080');
  });

  it('should be immutable', () => {
    const sut = makeCredential();
    expect(() => {
      (sut as unknown as { priority: number }).priority = 9;
    }).toThrow();
    expect(() => {
      (sut.secret as { apiKey?: string }).apiKey = 'x';
    }).toThrow();
  });

  it('should default priority to 0 and disabled to false', () => {
    const sut = makeCredential();
    expect(sut.priority).toBe(0);
    expect(sut.disabled).toBe(false);
  });
});

describe(redactUrlPassword.name, () => {
  it('should leave URLs without a password alone', () => {
    expect(redactUrlPassword('http://proxy.local:3128')).toBe('http://proxy.local:3128');
  });
});
