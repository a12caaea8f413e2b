import Fastify, { type FastifyInstance } from 'fastify';
import { configSchema, type ConfigService } from '@app/config';
import {
  ClientKeyService,
  type ClientCall,
  type ClientIdentity,
  type ClientRequest,
  type ProxyService,
  type ResponseSink,
} from '@app/proxy';
import { ProxyEntry } from '@app/gateway/proxy/proxy-entry';

const CHAT: ClientCall = { format: 'openai', action: 'generate', route: '/v1/chat/completions' };
const MESSAGES: ClientCall = { format: 'claude', action: 'generate', route: '/v1/messages' };

/** What the pipeline was handed, and a scripted way to answer through the sink. */
interface Handed {
  call: ClientCall;
  req: ClientRequest;
  who: ClientIdentity;
}

describe(ProxyEntry.name, () => {
  let app: FastifyInstance;
  let handed: Handed[];
  let answer: (res: ResponseSink) => void;

  async function setup(config: Record<string, unknown> = {}, gate?: ClientIdentity): Promise<void> {
    handed = [];
    answer = (res) => res.sendJson(200, { ok: true });
    const cfg = { current: configSchema.parse(config) } as unknown as ConfigService;
    const proxy = {
      handle: (call: ClientCall, req: ClientRequest, who: ClientIdentity, res: ResponseSink) => {
        handed.push({ call, req, who });
        answer(res);
        return Promise.resolve();
      },
    } as unknown as ProxyService;
    const sut = new ProxyEntry(proxy, new ClientKeyService(cfg));
    app = Fastify();
    app.decorateRequest('clientIdentity', null);
    // What the request gate leaves on a request whose key it accepted.
    if (gate) {
      app.addHook('onRequest', (req, _reply, done) => {
        req.clientIdentity = gate;
        done();
      });
    }
    app.post('/v1/chat/completions', (req, reply) => sut.handle(req, reply, CHAT));
    app.post('/v1/messages', (req, reply) => sut.handle(req, reply, MESSAGES));
    await app.ready();
  }

  afterEach(() => app?.close());

  it('should hand the pipeline the call, the request as it came and the identity', async () => {
    await setup({ 'api-keys': ['sk-client-key-abcdefgh'] });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions?x=1',
      headers: { authorization: 'Bearer sk-client-key-abcdefgh' },
      payload: { model: 'm' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const [h] = handed;
    expect(h.call).toBe(CHAT);
    expect(h.req).toMatchObject({ method: 'POST', url: '/v1/chat/completions?x=1' });
    expect(h.req.body).toEqual({ model: 'm' });
    expect(h.who).toEqual({ api: 'sk-…efgh', keyId: expect.stringMatching(/^[0-9a-f]{8}$/) });
  });

  it('should refuse a wrong key in the caller format without calling the pipeline', async () => {
    await setup({ 'api-keys': ['sk-client-key-abcdefgh'] });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'x-api-key': 'sk-wrong' },
      payload: { model: 'm' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'Invalid or missing API key' },
    });
    expect(handed).toEqual([]);
  });

  it('should say so when the key expired (api-key-info)', async () => {
    await setup({
      'api-keys': ['sk-client-key-abcdefgh'],
      'api-key-info': { 'sk-client-key-abcdefgh': { expires: '2000-01-01T00:00:00Z' } },
    });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer sk-client-key-abcdefgh' },
      payload: { model: 'm' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'key_expired' } });
    expect(handed).toEqual([]);
  });

  it('should take the identity the request gate found instead of matching the key again', async () => {
    const gate: ClientIdentity = { api: 'from-gate', keyId: 'abcd0123' };
    await setup({ 'api-keys': ['sk-client-key-abcdefgh'] }, gate);
    await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'm' } });
    expect(handed[0].who).toBe(gate);
  });

  it('should let open access through under the route name', async () => {
    await setup();
    await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'm' } });
    expect(handed[0].who).toEqual({ api: '/v1/chat/completions', keyId: '' });
  });

  it('should stream through the reply with the stream headers and the request id', async () => {
    await setup();
    answer = (res) => {
      res.openStream('text/event-stream');
      res.write('data: 1\n\n');
      res.write('data: [DONE]\n\n');
      res.end();
    };
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'm', stream: true },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-request-id': expect.any(String),
    });
    expect(res.body).toBe('data: 1\n\ndata: [DONE]\n\n');
  });

  it('should send upstream headers passed through with a JSON answer', async () => {
    await setup();
    answer = (res) => {
      res.passThrough({ 'x-ratelimit-remaining-requests': '9' });
      res.sendJson(429, { error: { message: 'slow down' } }, { 'retry-after': '3' });
    };
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'm' },
    });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.headers['x-ratelimit-remaining-requests']).toBe('9');
  });
});
