import { Credential, type CredentialInit, type RouteCandidate } from '@app/routing';
import { effectiveBaseUrl, qwenBaseUrl, toCandidate } from '@app/proxy/routing-candidate-source';

function cred(over: Partial<CredentialInit> = {}): Credential {
  return new Credential({
    id: 'file:x.json',
    indexSeed: 'file:x.json',
    provider: 'gemini-cli',
    channel: 'gemini-cli',
    kind: 'oauth',
    source: 'file',
    label: 'dev@example.com',
    secret: { accessToken: 'tok', projectId: 'proj-1' },
    ...over,
  });
}

const route = (c: Credential): RouteCandidate => ({
  credential: c,
  upstreamModel: 'm(high)',
  stateModel: 'm',
});

describe(qwenBaseUrl.name, () => {
  it('should turn a resource_url host into https://host/v1', () => {
    expect(qwenBaseUrl('portal.qwen.ai')).toBe('https://portal.qwen.ai/v1');
    expect(qwenBaseUrl('portal.qwen.ai/')).toBe('https://portal.qwen.ai/v1');
  });

  it('should not add a second /v1 to a resource_url that has one', () => {
    expect(qwenBaseUrl('https://portal.qwen.ai/v1')).toBe('https://portal.qwen.ai/v1');
    expect(qwenBaseUrl('https://portal.qwen.ai/v1/')).toBe('https://portal.qwen.ai/v1');
    expect(qwenBaseUrl('portal.qwen.ai/v1')).toBe('https://portal.qwen.ai/v1');
  });

  it('should keep an explicit scheme and ignore empty values', () => {
    expect(qwenBaseUrl('http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000/v1');
    expect(qwenBaseUrl('  ')).toBeUndefined();
    expect(qwenBaseUrl(undefined)).toBeUndefined();
  });
});

describe(effectiveBaseUrl.name, () => {
  const overrides = { 'gemini-cli': 'http://relay', qwen: 'http://qwen-relay/v1' };

  it('should prefer the entry base-url, then resource_url, then provider-base-urls', () => {
    expect(effectiveBaseUrl(cred({ baseUrl: 'http://own' }), overrides)).toBe('http://own');
    expect(
      effectiveBaseUrl(
        cred({
          provider: 'qwen',
          channel: 'qwen',
          secret: { accessToken: 't', resourceUrl: 'q.example' },
        }),
        overrides,
      ),
    ).toBe('https://q.example/v1');
    expect(effectiveBaseUrl(cred({ provider: 'qwen', channel: 'qwen' }), overrides)).toBe(
      'http://qwen-relay/v1',
    );
    expect(effectiveBaseUrl(cred(), overrides)).toBe('http://relay');
    expect(effectiveBaseUrl(cred(), {})).toBeUndefined();
  });
});

describe(toCandidate.name, () => {
  it('should carry token, project, models and the override base URL', () => {
    const c = toCandidate(route(cred()), {
      baseUrls: { 'gemini-cli': 'http://relay' },
      proxyUrl: '',
    });
    expect(c).toMatchObject({
      provider: 'gemini-cli',
      token: 'tok',
      oauth: true,
      project: 'proj-1',
      upstreamModel: 'm(high)',
      stateModel: 'm',
      baseUrl: 'http://relay',
    });
    expect(c?.proxyUrl).toBeUndefined();
  });

  it('should use the global proxy-url unless the entry says direct', () => {
    const global = { baseUrls: {}, proxyUrl: 'socks5://proxy:1080' };
    expect(toCandidate(route(cred()), global)?.proxyUrl).toBe('socks5://proxy:1080');
    expect(toCandidate(route(cred({ proxyUrl: 'http://own:3128' })), global)?.proxyUrl).toBe(
      'http://own:3128',
    );
    expect(toCandidate(route(cred({ proxyUrl: 'direct' })), global)?.proxyUrl).toBeUndefined();
    expect(toCandidate(route(cred({ proxyUrl: 'none' })), global)?.proxyUrl).toBeUndefined();
  });

  it('should skip credentials that cannot be called over HTTP', () => {
    expect(
      toCandidate(
        route(cred({ provider: 'aistudio', channel: 'aistudio', secret: { apiKey: 'k' } })),
      ),
    ).toBeUndefined();
    expect(toCandidate(route(cred({ secret: { refreshToken: 'only-refresh' } })))).toBeUndefined();
  });
});
