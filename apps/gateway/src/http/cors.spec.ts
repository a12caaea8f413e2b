import Fastify, { type FastifyInstance } from 'fastify';
import {
  CORS_ALLOWED_METHODS,
  allowedHeaders,
  installCors,
  isAmpPath,
  isLoopbackOrigin,
  trustsLoopback,
} from '@app/gateway/http/cors';

/** An app with CORS first and a key check after it, as the gateway orders them. */
function appWithAuth(): FastifyInstance {
  const app = Fastify();
  installCors(app);
  app.addHook('onRequest', (req, reply, done) => {
    if (req.headers.authorization !== 'Bearer k') return void reply.code(401).send({ error: 'no' });
    done();
  });
  app.get('/v0/management/config', async () => ({ ok: true }));
  app.post('/v1/chat/completions', (_req, reply) => {
    // The proxy's streams bypass Fastify's reply: the grant must still be there.
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
    reply.raw.end('data: {}\n\n');
  });
  app.get('/api/user', async () => ({ amp: true }));
  app.get('/api/cliproxy/config.yaml', async () => 'secrets: here');
  return app;
}

describe(installCors.name, () => {
  let sut: FastifyInstance;

  beforeEach(() => {
    sut = appWithAuth();
  });

  afterEach(async () => {
    await sut.close();
  });

  it('should answer a preflight 204 before any later hook asks for a key', async () => {
    const res = await sut.inject({
      method: 'OPTIONS',
      url: '/v0/management/config',
      headers: {
        origin: 'http://ui.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toBe(CORS_ALLOWED_METHODS);
    expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type');
    expect(res.headers['access-control-max-age']).toBe('600');
  });

  it('should answer preflights of paths no route serves', async () => {
    const res = await sut.inject({ method: 'OPTIONS', url: '/nowhere?x=1' });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-headers']).toBe('*');
  });

  it('should grant CORS on answers and refusals alike, exposing the version headers', async () => {
    const ok = await sut.inject({
      url: '/v0/management/config',
      headers: { authorization: 'Bearer k' },
    });
    const refused = await sut.inject({ url: '/v0/management/config' });
    for (const res of [ok, refused]) {
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(String(res.headers['access-control-expose-headers'])).toContain('X-CPA-VERSION');
    }
    expect(ok.statusCode).toBe(200);
    expect(refused.statusCode).toBe(401);
  });

  it('should grant CORS on hijacked raw responses (streams)', async () => {
    const res = await sut.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer k' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['content-type']).toBe('text/event-stream');
  });

  it('should grant a loopback-trusting API to a foreign page only when it sends a key', async () => {
    const url = '/api/cliproxy/config.yaml';
    const evil = { origin: 'https://evil.example' };
    const read = (headers: Record<string, string>) => sut.inject({ url, headers });
    const grantOf = (res: { headers: Record<string, unknown> }) =>
      res.headers['access-control-allow-origin'];
    // The key check answers 401 here; in the gateway a loopback peer would get the file.
    expect(grantOf(await read({ ...evil }))).toBeUndefined();
    expect(grantOf(await read({ ...evil, authorization: 'Bearer k' }))).toBe('*');
    expect(grantOf(await read({ origin: 'http://localhost:3000' }))).toBe('*');
    expect(grantOf(await read({}))).toBe('*');
    const preflight = (requested: string) =>
      sut.inject({
        method: 'OPTIONS',
        url,
        headers: { ...evil, 'access-control-request-headers': requested },
      });
    const keyless = await preflight('content-type');
    expect([keyless.statusCode, grantOf(keyless)]).toEqual([204, undefined]);
    const keyed = await preflight('authorization,content-type');
    expect([keyed.statusCode, grantOf(keyed)]).toEqual([204, '*']);
    // Routes that always need a key are granted to any page.
    expect(grantOf(await sut.inject({ url: '/v0/management/config', headers: { ...evil } }))).toBe(
      '*',
    );
  });

  it('should leave the Amp routes without a grant', async () => {
    const res = await sut.inject({ url: '/api/user', headers: { authorization: 'Bearer k' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe(allowedHeaders.name, () => {
  it('should echo a header list and fall back to the wildcard', () => {
    expect(allowedHeaders('Authorization,X-Management-Key')).toBe('Authorization,X-Management-Key');
    expect(allowedHeaders(undefined)).toBe('*');
    expect(allowedHeaders('   ')).toBe('*');
  });

  it('should never echo anything but header names', () => {
    expect(allowedHeaders('x\r\nSet-Cookie: a=b')).toBe('*');
    expect(allowedHeaders('a b')).toBe('*');
    expect(allowedHeaders('a,'.repeat(2000))).toBe('*');
  });
});

describe(isAmpPath.name, () => {
  it('should know the Amp integration paths and nothing else', () => {
    for (const p of [
      '/api/user',
      '/api/internal/x',
      '/api/thread-actors',
      '/api/users',
      '/actors/gateway/threadActor/websocket/',
      '/threads/T-1',
      '/pricing',
      '/auth/cli-login',
      '/news.rss',
    ])
      expect(isAmpPath(p)).toBe(true);
    expect(isAmpPath('/api/provider/google/v1beta1/publishers/google/models/m:x')).toBe(true);
    for (const p of [
      '/api/provider/openai/v1/chat/completions',
      '/api/cliproxy/proxy-status',
      '/api/v1/status',
      '/v0/management/auth-files',
      '/authors',
      '/actorsx',
    ])
      expect(isAmpPath(p)).toBe(false);
  });
});

describe(trustsLoopback.name, () => {
  it('should name the control and cluster APIs only', () => {
    expect(trustsLoopback('/api/cliproxy/proxy-status')).toBe(true);
    expect(trustsLoopback('/api/v1/processes')).toBe(true);
    expect(trustsLoopback('/api/v1')).toBe(true);
    expect(trustsLoopback('/v0/management/config')).toBe(false);
    expect(trustsLoopback('/api/v1beta/x')).toBe(false);
    expect(trustsLoopback('/v1/models')).toBe(false);
  });
});

describe(isLoopbackOrigin.name, () => {
  it('should know origins on this machine', () => {
    for (const o of ['http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:5173'])
      expect(isLoopbackOrigin(o)).toBe(true);
    for (const o of [
      'https://evil.example',
      'http://127.0.0.1.evil.example',
      'null',
      'http://10.0.0.1',
    ])
      expect(isLoopbackOrigin(o)).toBe(false);
  });
});
