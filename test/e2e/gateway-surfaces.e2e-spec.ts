import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createGatewayApp } from '@app/gateway/app.factory';
import { RedisService } from '@app/storage';
import { parsePrometheusText } from '@test/utils/prom-text';
import { tempConfigDir, testRedisUrl, uniquePrefix } from '@test/utils/env';

const CLIENT_KEY = 'sk-team-key-1';

function configYaml(prefix: string, extra = ''): string {
  return [
    'port: 8317',
    'api-keys:',
    `  - "${CLIENT_KEY}"`,
    'redis:',
    `  key-prefix: "${prefix}"`,
    'trusted-proxies:',
    '  - "10.9.9.9"',
    'gemini-api-key:',
    '  - api-key: "AIza-test-key"',
    'body-limit-mb: 1',
    extra,
  ].join('\n');
}

describe('gateway surfaces (in-process, real Redis)', () => {
  let app: NestFastifyApplication;
  let cfg: ReturnType<typeof tempConfigDir>;
  const saved = { ...process.env };

  beforeAll(async () => {
    cfg = tempConfigDir(configYaml(uniquePrefix('surfaces')));
    process.env.CONFIG_PATH = cfg.path;
    process.env.REDIS_URL = testRedisUrl();
    process.env.SB_PROCESS_NAME = 'gateway-e2e';
    app = await createGatewayApp({ logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    expect(await app.get(RedisService).waitReady(5000)).toBe(true);
  });

  afterAll(async () => {
    await app.close();
    cfg.cleanup();
    process.env = saved;
  });

  const inject = (opts: Parameters<NestFastifyApplication['inject']>[0]) => app.inject(opts);

  it('should answer /status from loopback without a key, with every field', async () => {
    const res = await inject({ method: 'GET', url: '/status', remoteAddress: '127.0.0.1' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      service: 'switchboard',
      version: expect.any(String),
      status: 'running',
      uptime: expect.stringMatching(/^\d+h \d+m \d+s$/),
      pid: process.pid,
      host: '0.0.0.0',
      port: 8317,
      api_key_configured: true,
      providers: { count: 1, active: ['gemini'] },
      build: { version: expect.any(String), commit: expect.any(String), date: expect.any(String) },
    });
  });

  it('should treat ::1 and IPv4-mapped loopback as local', async () => {
    for (const remoteAddress of ['::1', '::ffff:127.0.0.1']) {
      const res = await inject({ method: 'GET', url: '/status', remoteAddress });
      expect(res.statusCode).toBe(200);
    }
  });

  it('should require a client key from a non-loopback peer', async () => {
    const remoteAddress = '203.0.113.5';
    const none = await inject({ method: 'GET', url: '/status', remoteAddress });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({
      error: { type: 'authentication_error', message: 'Invalid or missing API key' },
    });
    const wrong = await inject({
      method: 'GET',
      url: '/status',
      remoteAddress,
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await inject({
      method: 'GET',
      url: '/status',
      remoteAddress,
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    });
    expect(right.statusCode).toBe(200);
    const viaHeader = await inject({
      method: 'GET',
      url: '/status',
      remoteAddress,
      headers: { 'x-api-key': CLIENT_KEY },
    });
    expect(viaHeader.statusCode).toBe(200);
  });

  it('should not let X-Forwarded-For from an untrusted peer pass as localhost', async () => {
    const res = await inject({
      method: 'GET',
      url: '/status',
      remoteAddress: '203.0.113.5',
      headers: { 'x-forwarded-for': '127.0.0.1' },
    });
    expect(res.statusCode).toBe(401);
  });

  it('should believe X-Forwarded-For only from a trusted proxy', async () => {
    const local = await inject({
      method: 'GET',
      url: '/status',
      remoteAddress: '10.9.9.9',
      headers: { 'x-forwarded-for': '127.0.0.1' },
    });
    expect(local.statusCode).toBe(200);
    const remote = await inject({
      method: 'GET',
      url: '/status',
      remoteAddress: '10.9.9.9',
      headers: { 'x-forwarded-for': '127.0.0.1, 198.51.100.1' },
    });
    expect(remote.statusCode).toBe(401);
  });

  it('should serve the root, keep-alive and healthz', async () => {
    const root = await inject({ method: 'GET', url: '/' });
    expect(root.json()).toMatchObject({ service: 'switchboard', endpoints: expect.any(Object) });
    expect((await inject({ method: 'GET', url: '/keep-alive' })).json()).toEqual({ status: 'ok' });
    expect((await inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
  });

  it('should echo a sane x-request-id and generate one otherwise', async () => {
    const given = await inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'req-42' },
    });
    expect(given.headers['x-request-id']).toBe('req-42');
    const fresh = await inject({ method: 'GET', url: '/healthz' });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'x'.repeat(300) },
    });
    expect(hostile.headers['x-request-id']).not.toBe('x'.repeat(300));
  });

  it('should answer unknown routes with a 404 that says where to look', async () => {
    const res = await inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.type).toBe('not_found_error');
  });

  it('should expose Prometheus text whose series do not grow with distinct URLs', async () => {
    const scrape = async () => {
      const res = await inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return parsePrometheusText(res.body);
    };
    // Warm up every label set the loop below can produce (404 on an unmatched route, /metrics).
    await inject({ method: 'GET', url: '/status', remoteAddress: '127.0.0.1' });
    await inject({ method: 'GET', url: '/unknown-warmup' });
    await scrape();
    const before = await scrape();
    expect(before.types.get('switchboard_http_request_duration_seconds')).toBe('histogram');
    // prom-client's default metrics keep their standard names (dashboards and alerts expect them).
    expect(before.samples.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
    expect(before.samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
    expect(
      before.samples.some(
        (s) =>
          s.name === 'switchboard_http_request_duration_seconds_count' &&
          s.labels.route === '/status',
      ),
    ).toBe(true);
    for (let i = 0; i < 200; i++) await inject({ method: 'GET', url: `/random/${i}?q=${i}` });
    const after = await scrape();
    const series = (p: typeof after) =>
      p.samples.filter((s) => s.name.startsWith('switchboard_http_request_duration_seconds'))
        .length;
    expect(series(after)).toBe(series(before));
    expect(after.samples.some((s) => (s.labels.route ?? '').includes('/random/'))).toBe(false);
  });

  it('should refuse bodies over the limit with a clear 413 in the caller format', async () => {
    const big = JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: 'x'.repeat(1_200_000) }],
    });
    const res = await inject({
      method: 'POST',
      url: '/v1/chat/completions',
      // The key is checked first: a body without one is refused (401) before its size matters.
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      payload: big,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.message).toMatch(/larger than the 1 MiB limit/);
  });
});
