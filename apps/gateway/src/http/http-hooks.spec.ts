import Fastify from 'fastify';
import { MetricsService } from '@app/metrics';
import { installHttpHooks, pickRequestId } from '@app/gateway/http/http-hooks';
import { errorFormatForPath } from '@app/gateway/http/error.filter';

describe('gateway http helpers', () => {
  const gen = () => 'generated';

  it('should keep a sane incoming request id', () => {
    expect(pickRequestId('abc-123_x.y:z', gen)).toBe('abc-123_x.y:z');
  });

  it('should replace missing, oversized or unsafe request ids', () => {
    expect(pickRequestId(undefined, gen)).toBe('generated');
    expect(pickRequestId('a'.repeat(200), gen)).toBe('generated');
    expect(pickRequestId('bad\r\nheader: injected', gen)).toBe('generated');
  });

  it('should pick the error format from the route family', () => {
    expect(errorFormatForPath('/v1/messages')).toBe('claude');
    expect(errorFormatForPath('/v1/messages/count_tokens?x=1')).toBe('claude');
    expect(errorFormatForPath('/v1beta/models/gemini-pro:generateContent')).toBe('gemini');
    expect(errorFormatForPath('/v1/chat/completions')).toBe('openai');
    expect(errorFormatForPath('/api/provider/anthropic/v1/messages')).toBe('claude');
    // The endpoint decides, not the pinned provider: the proxy answers the same way.
    expect(errorFormatForPath('/api/provider/openai/v1/messages')).toBe('claude');
    expect(errorFormatForPath('/api/provider/x/messages/count_tokens')).toBe('claude');
    expect(errorFormatForPath('/api/provider/gemini/v1/chat/completions')).toBe('openai');
    expect(errorFormatForPath('/api/provider/claude/v1/responses')).toBe('openai');
    expect(errorFormatForPath('/api/provider/codex/v1beta/models/m:generateContent')).toBe(
      'gemini',
    );
    expect(errorFormatForPath('/api/provider//v1beta/models/m')).toBe('gemini');
    expect(errorFormatForPath('/v1/messagesx')).toBe('openai');
    expect(errorFormatForPath('/status')).toBe('plain');
    expect(errorFormatForPath('/v0/management/usage')).toBe('management');
  });
});

describe(installHttpHooks.name, () => {
  it('should echo the request id and time requests by route pattern, method and status', async () => {
    const metrics = new MetricsService();
    const app = Fastify({ genReqId: () => 'req-1' });
    installHttpHooks(app, metrics);
    app.get('/v1/things/:id', async () => ({ ok: true }));
    app.post('/v1/things/:id', async (_req, reply) => reply.code(429).send({ slow: 'down' }));
    try {
      const res = await app.inject({ method: 'GET', url: '/v1/things/a' });
      expect(res.headers['x-request-id']).toBe('req-1');
      await app.inject({ method: 'GET', url: '/v1/things/b?x=1' });
      await app.inject({ method: 'POST', url: '/v1/things/c' });
      await app.inject({ method: 'GET', url: '/nowhere/at/all' });
    } finally {
      await app.close();
    }
    const counts = (await metrics.httpDuration.get()).values
      .filter((v) => v.metricName?.endsWith('_count'))
      .map((v) => [`${v.labels.method} ${v.labels.route} ${v.labels.status}`, v.value]);
    expect(Object.fromEntries(counts)).toEqual({
      'GET /v1/things/:id 200': 2,
      'POST /v1/things/:id 429': 1,
      'GET unmatched 404': 1,
    });
  });
});
