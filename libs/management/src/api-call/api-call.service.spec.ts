import { Readable } from 'node:stream';
import { AppError } from '@app/common';
import type { ConfigService } from '@app/config';
import { Credential, type CredentialService } from '@app/routing';
import type { UpstreamHttp } from '@app/upstream';
import { ApiCallService, type HostResolver } from '@app/management/api-call/api-call.service';

function credential(over: { apiKey?: string; accessToken?: string; proxyUrl?: string } = {}) {
  return new Credential({
    id: 'file:c.json',
    indexSeed: 'file:c.json',
    provider: 'claude',
    channel: 'claude',
    kind: 'oauth',
    source: 'file',
    label: 'c',
    proxyUrl: over.proxyUrl,
    secret: { apiKey: over.apiKey, accessToken: over.accessToken },
  });
}

describe(ApiCallService.name, () => {
  let sut: ApiCallService;
  let calls: { url: string; init: Record<string, unknown> }[];
  let resolved: string[];
  let creds: Map<string, Credential>;
  let globalProxy: string;

  const withToken = credential({ accessToken: 'tok-abc', proxyUrl: 'socks5://p:1080' });
  const noToken = credential({});

  beforeEach(() => {
    calls = [];
    resolved = ['93.184.216.34'];
    globalProxy = '';
    creds = new Map([
      ['idx-token', withToken],
      ['idx-none', noToken],
    ]);
    const http = {
      request: async (url: string, init: Record<string, unknown>) => {
        calls.push({ url, init });
        return {
          statusCode: 201,
          headers: { 'content-type': 'text/plain', 'x-multi': ['a', 'b'] },
          body: Readable.from([Buffer.from('hel'), Buffer.from('lo')]),
        };
      },
    } as unknown as UpstreamHttp;
    const credentials = {
      snapshot: () => ({ byAuthIndex: creds }),
    } as unknown as CredentialService;
    const config = {
      get current() {
        return { 'proxy-url': globalProxy };
      },
    } as unknown as ConfigService;
    const resolver: HostResolver = async () => resolved;
    sut = new ApiCallService(credentials, config, http, resolver);
  });

  async function failure(body: unknown): Promise<AppError> {
    try {
      await sut.call(body);
    } catch (err) {
      if (AppError.is(err, 'management')) return err;
      throw err;
    }
    throw new Error('expected an AppError');
  }

  it("should substitute the credential's token and use its proxy", async () => {
    const res = await sut.call({
      auth_index: 'idx-token',
      method: 'post',
      url: 'https://api.example.com/v1/x',
      header: { Authorization: 'Bearer $TOKEN$' },
      data: 'payload',
    });
    expect(res).toEqual({
      status_code: 201,
      header: { 'Content-Type': ['text/plain'], 'X-Multi': ['a', 'b'] },
      body: 'hello',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('https://api.example.com/v1/x');
    expect(calls[0].init).toMatchObject({
      method: 'POST',
      headers: { Authorization: 'Bearer tok-abc' },
      body: 'payload',
      proxyUrl: 'socks5://p:1080',
      headersTimeoutMs: 60_000,
    });
  });

  it('should fall back to the global proxy and honour direct', async () => {
    globalProxy = 'http://global:3128';
    await sut.call({ auth_index: 'idx-none', method: 'GET', url: 'http://h.example/' });
    expect(calls[0].init.proxyUrl).toBe('http://global:3128');
    globalProxy = 'direct';
    await sut.call({ method: 'GET', url: 'http://h.example/' });
    expect(calls[1].init.proxyUrl).toBeUndefined();
  });

  it('should answer 404 for an unknown auth_index and 400 when $TOKEN$ cannot be filled', async () => {
    const unknown = await failure({ auth_index: 'nope', method: 'GET', url: 'http://h/' });
    expect(unknown.status).toBe(404);
    expect(unknown.message).toMatch(/no credential with auth_index "nope"/);
    const noIndex = await failure({ method: 'GET', url: 'http://h/', header: { A: '$TOKEN$' } });
    expect(noIndex).toMatchObject({
      status: 400,
      message: '$TOKEN$ in a header needs an auth_index',
    });
    const empty = await failure({
      auth_index: 'idx-none',
      method: 'GET',
      url: 'http://h/',
      header: { A: '$TOKEN$' },
    });
    expect(empty).toMatchObject({ status: 400, message: 'auth token not found' });
    expect(calls).toHaveLength(0);
  });

  it('should refuse metadata destinations by name, literal and resolved address', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://[fe80::1]:8080/',
    ]) {
      const e = await failure({ method: 'GET', url });
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/^refused destination: /);
    }
    resolved = ['10.0.0.1', '169.254.169.254'];
    const viaDns = await failure({ method: 'GET', url: 'http://rebind.example/' });
    expect(viaDns.message).toMatch(/rebind\.example resolves to 169\.254\.169\.254/);
    expect(calls).toHaveLength(0);
  });

  it('should not resolve names it sends through a proxy, but still refuse metadata names', async () => {
    resolved = ['169.254.169.254'];
    await sut.call({ auth_index: 'idx-token', method: 'GET', url: 'http://anything.example/' });
    expect(calls).toHaveLength(1);
    const e = await failure({ auth_index: 'idx-token', method: 'GET', url: 'http://metadata/' });
    expect(e.status).toBe(400);
  });

  it('should allow loopback', async () => {
    resolved = ['127.0.0.1'];
    await sut.call({ method: 'GET', url: 'http://localhost:9/' });
    await sut.call({ method: 'GET', url: 'http://127.0.0.1:9/' });
    expect(calls).toHaveLength(2);
  });

  it('should answer 502 when the request fails', async () => {
    (sut as unknown as { http: { request: () => Promise<never> } }).http.request = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    };
    const e = await failure({ method: 'GET', url: 'http://127.0.0.1:9/' });
    expect(e).toMatchObject({
      status: 502,
      message: 'request failed: connect ECONNREFUSED 127.0.0.1:9',
    });
  });
});
