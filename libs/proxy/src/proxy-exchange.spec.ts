import { Logger } from '@nestjs/common';
import { ProxyService } from '@app/proxy/proxy.service';
import { CALLS, cand, ProxyHarness, type Plan } from '@test/utils/proxy-harness';

// What the proxy hands to the request and error logs (ExchangeRecorder), per outcome.

const COMPLETION = JSON.stringify({
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'up-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'up-model',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;
const STREAM =
  chunk({ role: 'assistant', content: 'hel' }) +
  chunk({ content: 'lo' }) +
  chunk({}, 'stop') +
  'data: [DONE]\n\n';

describe(`${ProxyService.name} exchange capture`, () => {
  // The service logs its refusals; they stay out of the test output.
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  let h: ProxyHarness;

  afterEach(() => {
    jest.restoreAllMocks();
  });

  function setup(plan: Plan, bodies = false, config: Record<string, unknown> = {}): void {
    h = new ProxyHarness({
      bodies,
      config: { 'api-keys': ['sk-client-key-abcdefgh'], ...config },
    });
    h.source.plans = [plan];
  }

  const chat = (payload: Record<string, unknown> = {}, key = 'sk-client-key-abcdefgh') =>
    h.send({
      call: CALLS.chat,
      headers: { authorization: `Bearer ${key}` },
      body: { model: 'm', messages: [{ role: 'user', content: 'hello' }], ...payload },
    });

  it('should record nothing for a success while bodies are not captured', async () => {
    setup({ kind: 'ok', candidates: [cand('a')] });
    expect((await chat()).status).toBe(200);
    expect(h.exchanges.seen).toEqual([]);
  });

  it('should record a relayed upstream error with the call that failed and what the client got', async () => {
    setup({ kind: 'ok', candidates: [cand('a')] });
    h.answer('a', { status: 400, body: '{"error":{"message":"too long"}}' });
    const res = await chat();
    expect(res.status).toBe(400);
    expect(h.exchanges.seen).toHaveLength(1);
    const [x] = h.exchanges.seen;
    expect(x).toMatchObject({
      method: 'POST',
      url: '/v1/chat/completions',
      status: 400,
      failed: true,
      clientAborted: false,
      body: { model: 'm', messages: [{ role: 'user', content: 'hello' }] },
      upstreamFailure: { status: 400, body: '{"error":{"message":"too long"}}' },
      responseBody: res.body,
    });
    expect(x.upstreamFailure?.request.url).toBe('http://a.upstream/v1/chat/completions');
    expect(x.upstreamFailure?.request.headers.authorization).toBe(
      'Bearer sk-upstream-a-0123456789',
    );
    expect(JSON.parse(x.upstreamFailure!.request.body)).toMatchObject({ model: 'up-model' });
    expect(x.upstream).toBe(x.upstreamFailure?.request);
    expect(x.requestId).toMatch(/^req-/);
  });

  it('should record a success after a failover as failed upstream, keeping both calls', async () => {
    setup({ kind: 'ok', candidates: [cand('a'), cand('b')] });
    h.answer('a', { status: 503, body: 'overloaded' });
    const res = await chat();
    expect(res.status).toBe(200);
    const [x] = h.exchanges.seen;
    expect(x.status).toBe(200);
    expect(x.failed).toBe(true);
    expect(x.upstreamFailure).toMatchObject({ status: 503, body: 'overloaded' });
    expect(x.upstreamFailure?.request.url).toBe('http://a.upstream/v1/chat/completions');
    expect(x.upstream?.url).toBe('http://b.upstream/v1/chat/completions');
    expect(x.upstreamBody).toBe(COMPLETION);
  });

  it('should record a transport failure as an error without a status', async () => {
    setup({ kind: 'ok', candidates: [cand('a')] });
    h.answer('a', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const res = await chat();
    expect(res.status).toBe(502);
    const [x] = h.exchanges.seen;
    expect(x.upstreamFailure?.status).toBeUndefined();
    expect(x.upstreamFailure?.transportError).toMatch(/socket hang up/);
  });

  it('should record a gateway refusal without an upstream call', async () => {
    setup({ kind: 'none' });
    const res = await chat();
    expect(res.status).toBe(503);
    const [x] = h.exchanges.seen;
    expect(x).toMatchObject({ status: 503, failed: true, upstream: undefined });
    expect(x.upstreamFailure).toBeUndefined();
    expect(x.responseBody).toEqual(expect.stringContaining('no_credentials'));
  });

  it('should record every request with the upstream and client bodies while capturing', async () => {
    setup({ kind: 'ok', candidates: [cand('a')] }, true);
    const res = await chat();
    expect(res.status).toBe(200);
    const [x] = h.exchanges.seen;
    expect(x).toMatchObject({ status: 200, failed: false, upstreamBody: COMPLETION });
    expect(x.responseBody).toBe(res.body);
    expect(x.upstream?.url).toBe('http://a.upstream/v1/chat/completions');
  });

  it('should record a copy of the streamed output while capturing', async () => {
    setup({ kind: 'ok', candidates: [cand('a')] }, true);
    h.answer('a', { status: 200, body: STREAM });
    const res = await chat({ stream: true });
    expect(res.status).toBe(200);
    const [x] = h.exchanges.seen;
    expect(x.status).toBe(200);
    expect(x.responseBody).toBe(res.body);
    expect(x.responseBody).toEqual(expect.stringContaining('data: [DONE]'));
    expect(x.responseHeaders).toMatchObject({ 'content-type': 'text/event-stream' });
  });
});
