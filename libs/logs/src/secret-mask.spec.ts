import {
  isSensitiveHeader,
  maskHeaderValue,
  maskSecrets,
  maskedHeaderLines,
} from '@app/logs/secret-mask';

describe(maskSecrets.name, () => {
  it.each([
    ['Authorization: Bearer abcdefghijklmnop1234', 'abcdefghijklmnop1234'],
    ['calling with key sk-proj-AbCdEfGhIjKlMnOpQrStUv', 'sk-proj-AbCdEfGhIjKlMnOpQrStUv'],
    ['anthropic sk-ant-api03-xyzXYZ0123456789abcd', 'sk-ant-api03-xyzXYZ0123456789abcd'],
    ['url ?key=AIzaSyA1234567890abcdefghijklmnopqrstu', 'AIzaSyA1234567890abcdefghijklmnopqrstu'],
    ['{"access_token":"ya29.a0AfH6SMBxyz0123456789"}', 'ya29.a0AfH6SMBxyz0123456789'],
    ['"refresh_token": "1//0gAbCdEfGhIjKlMnOpQrStUvWx"', '1//0gAbCdEfGhIjKlMnOpQrStUvWx'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N',
    ],
    ['password=hunter2hunter2', 'hunter2hunter2'],
    ['x-api-key: my-secret-upstream-key', 'my-secret-upstream-key'],
    ['gh token ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123', 'ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123'],
  ])('should hide the secret in %j', (text, secret) => {
    const out = maskSecrets(text);
    expect(out).not.toContain(secret);
    // the last characters stay, so two keys can still be told apart
    if (!text.includes('password')) expect(out).toContain(secret.slice(-4));
  });

  it('should hide the password of a URL but keep the rest', () => {
    expect(maskSecrets('redis at redis://default:s3cretpass@cache:6379/0')).toBe(
      'redis at redis://default:****@cache:6379/0',
    );
  });

  it('should leave ordinary log lines untouched (and the same string)', () => {
    const line = 'listening on http://0.0.0.0:8317; 3 credentials loaded, tokens: 1234 total';
    expect(maskSecrets(line)).toBe(line);
    expect(maskSecrets('api-keys is empty: the proxy is open')).toBe(
      'api-keys is empty: the proxy is open',
    );
    expect(maskSecrets('max_tokens=4096 reached')).toBe('max_tokens=4096 reached');
  });

  it('should not mask an already masked value again', () => {
    const once = maskSecrets('Authorization: Bearer sk-abcdefghijklmnopqrstuvwxyz');
    expect(maskSecrets(once)).toBe(once);
  });

  it('should mask every secret on a line', () => {
    const out = maskSecrets('a=sk-aaaaaaaaaaaaaaaaaaaa1111 b=sk-bbbbbbbbbbbbbbbbbbbb2222');
    expect(out).not.toMatch(/aaaaaaaaaaaa|bbbbbbbbbbbb/);
    expect(out).toContain('1111');
    expect(out).toContain('2222');
  });

  it('should stay fast on long lines without secrets', () => {
    const long = 'x'.repeat(200_000) + ' key ' + 'y'.repeat(200_000);
    const t0 = performance.now();
    maskSecrets(long);
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

describe('header masking', () => {
  it('should recognise credential headers and leave others alone', () => {
    for (const h of ['Authorization', 'x-api-key', 'X-Goog-Api-Key', 'cookie', 'x-refresh-token']) {
      expect(isSensitiveHeader(h)).toBe(true);
    }
    for (const h of ['content-type', 'keep-alive', 'user-agent', 'anthropic-version']) {
      expect(isSensitiveHeader(h)).toBe(false);
    }
  });

  it('should keep the scheme and the last characters of an authorization value', () => {
    expect(maskHeaderValue('authorization', 'Bearer sk-1234567890abcdef')).toBe('Bearer sk-…cdef');
    expect(maskHeaderValue('x-api-key', 'short')).toBe('*****');
    expect(maskHeaderValue('content-type', 'application/json')).toBe('application/json');
  });

  it('should render one line per header value', () => {
    expect(
      maskedHeaderLines({
        'content-type': 'application/json',
        'x-api-key': 'sk-1234567890abcdef',
        accept: ['a', 'b'],
        gone: undefined,
      }),
    ).toEqual(['content-type: application/json', 'x-api-key: sk-…cdef', 'accept: a', 'accept: b']);
  });
});
