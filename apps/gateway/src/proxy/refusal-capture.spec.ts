import Fastify, { type FastifyInstance } from 'fastify';
import { pipelineRequests } from '@app/proxy';
import { ExchangeRecorder, type ProxyExchange } from '@app/logs';
import { installRefusalCapture } from '@app/gateway/proxy/refusal-capture';

class ListRecorder extends ExchangeRecorder {
  readonly seen: ProxyExchange[] = [];
  get capturesBodies(): boolean {
    return false;
  }
  record(x: ProxyExchange): void {
    this.seen.push(x);
  }
}

describe(installRefusalCapture.name, () => {
  let app: FastifyInstance;
  let recorder: ListRecorder;

  beforeEach(async () => {
    recorder = new ListRecorder();
    app = Fastify({ bodyLimit: 64 });
    installRefusalCapture(app, recorder);
    app.post('/v1/chat/completions', (req, reply) => {
      const body = req.body as { refuse?: boolean; pipeline?: boolean };
      if (body.pipeline) pipelineRequests.add(req);
      if (body.refuse || body.pipeline) {
        return reply.status(401).header('retry-after', '5').send({ error: 'bad key' });
      }
      return reply.send({ ok: true });
    });
    app.post('/v0/management/thing', (_req, reply) => reply.status(400).send({ error: 'no' }));
    app.get('/v1/models', (_req, reply) => reply.status(401).send({ error: 'bad key' }));
    await app.ready();
  });

  afterEach(() => app.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url,
      payload: payload as Record<string, unknown>,
      headers: { 'x-api-key': 'sk-secret-client-key-0000', ...headers },
    });

  it('should record an error answered before the pipeline, with what the client got', async () => {
    const res = await post('/v1/chat/completions?x=1', { refuse: true, model: 'm' });
    expect(res.statusCode).toBe(401);
    expect(recorder.seen).toHaveLength(1);
    const [x] = recorder.seen;
    expect(x).toMatchObject({
      method: 'POST',
      url: '/v1/chat/completions?x=1',
      status: 401,
      failed: true,
      clientAborted: false,
      body: { refuse: true, model: 'm' },
      responseBody: '{"error":"bad key"}',
    });
    expect(x.responseHeaders).toMatchObject({ 'retry-after': '5' });
    expect(x.headers['x-api-key']).toBe('sk-secret-client-key-0000'); // masked when formatted
    expect(x.requestId).toMatch(/^req-/); // Fastify's own id here; the gateway's x-request-id in the app
    expect(x.startedAt).toBeLessThanOrEqual(Date.now());
  });

  it('should record a body over the limit, which never reaches a handler', async () => {
    const res = await post('/v1/chat/completions', { text: 'x'.repeat(200) });
    expect(res.statusCode).toBe(413);
    expect(recorder.seen.map((x) => x.status)).toEqual([413]);
    expect(recorder.seen[0].body).toBeUndefined();
  });

  it('should record an unknown route', async () => {
    const res = await post('/v1/nothing-here', {});
    expect(res.statusCode).toBe(404);
    expect(recorder.seen.map((x) => [x.status, x.url])).toEqual([[404, '/v1/nothing-here']]);
  });

  it('should skip successes, GETs, the management API and requests the pipeline records', async () => {
    expect((await post('/v1/chat/completions', { model: 'm' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(401);
    expect((await post('/v0/management/thing', {})).statusCode).toBe(400);
    expect((await post('/v1/chat/completions', { pipeline: true })).statusCode).toBe(401);
    expect(recorder.seen).toEqual([]);
  });

  it('should log proxy refusals at info (5xx at warn) with id, route, model and reason', async () => {
    const logged: string[] = [];
    const warned: string[] = [];
    const logApp = Fastify({ bodyLimit: 64 });
    installRefusalCapture(logApp, new ListRecorder(), {
      log: (m) => logged.push(m),
      warn: (m) => warned.push(m),
    });
    logApp.post('/v1/messages', (req, reply) => {
      const body = req.body as { status?: number };
      return reply
        .status(body.status ?? 401)
        .send({ type: 'error', error: { type: 'x', message: 'Invalid or missing API key' } });
    });
    logApp.post('/v0/management/thing', (_req, reply) => reply.status(400).send({ error: 'no' }));
    await logApp.ready();
    try {
      await logApp.inject({
        method: 'POST',
        url: '/v1/messages?key=sk-secret-in-url',
        payload: { model: 'claude-x' },
      });
      await logApp.inject({ method: 'POST', url: '/v1/messages', payload: { status: 503 } });
      await logApp.inject({
        method: 'POST',
        url: '/v1/messages',
        payload: { big: 'x'.repeat(99) },
      });
      await logApp.inject({ method: 'POST', url: '/v0/management/thing', payload: {} });
    } finally {
      await logApp.close();
    }
    expect(logged).toEqual([
      expect.stringMatching(
        /^request req-\S+ \/v1\/messages model=claude-x answered 401: Invalid or missing API key$/,
      ),
      expect.stringMatching(/ \/v1\/messages answered 413: /),
    ]);
    expect(warned).toEqual([expect.stringContaining('answered 503: Invalid or missing API key')]);
    expect([...logged, ...warned].join('\n')).not.toContain('sk-secret-in-url');
  });

  it('should answer normally when the recorder throws', async () => {
    recorder.record = () => {
      throw new Error('recorder down');
    };
    const res = await post('/v1/chat/completions', { refuse: true });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'bad key' });
  });
});
