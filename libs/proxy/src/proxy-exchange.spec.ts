import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import { configSchema, type ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import type { UpstreamHttp } from '@app/upstream';
import { CandidateSource, type Candidate, type Plan } from '@app/proxy/candidate-source';
import { ExchangeRecorder, type ProxyExchange } from '@app/proxy/exchange-capture';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import { ProxyService } from '@app/proxy/proxy.service';
import { MemoryUsageRecorder } from '@app/proxy/usage.types';

// What the proxy hands to the request and error logs (ExchangeRecorder), per outcome.

const cand = (name: string): Candidate => ({
  credentialId: `config:${name}`,
  authIndex: name.padEnd(16, '0'),
  provider: 'openai-compatibility',
  label: name,
  upstreamModel: 'up-model',
  stateModel: 'up-model',
  baseUrl: `http://${name}.upstream/v1`,
  headers: {},
  token: `sk-upstream-${name}-0123456789`,
  oauth: false,
});

class OnePlan extends CandidateSource {
  constructor(private readonly plan_: Plan) {
    super();
  }
  plan(): Promise<Plan> {
    return Promise.resolve(this.plan_);
  }
  reportFailure(): Promise<void> {
    return Promise.resolve();
  }
  reportSuccess(): void {}
  listModels(): [] {
    return [];
  }

  /** Every model is configured except `nobody-serves-this`. */
  override knows(model: string): boolean {
    return model !== 'nobody-serves-this';
  }
}

class ListRecorder extends ExchangeRecorder {
  readonly seen: ProxyExchange[] = [];
  constructor(private readonly bodies: boolean) {
    super();
  }
  get capturesBodies(): boolean {
    return this.bodies;
  }
  record(x: ProxyExchange): void {
    this.seen.push(x);
  }
}

type Answer = { status: number; body: string } | Error;

function reply(a: Exclude<Answer, Error>): Dispatcher.ResponseData {
  const body = Object.assign(Readable.from([Buffer.from(a.body)]), {
    text: async () => {
      let s = '';
      for await (const chunk of body) s += String(chunk);
      return s;
    },
  });
  return { statusCode: a.status, headers: {}, body } as unknown as Dispatcher.ResponseData;
}

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

  afterEach(() => {
    jest.restoreAllMocks();
  });

  let app: FastifyInstance;
  let recorder: ListRecorder;
  let answers: Map<string, Answer[]>;

  async function setup(plan: Plan, bodies = false, config: Record<string, unknown> = {}) {
    recorder = new ListRecorder(bodies);
    answers = new Map();
    const http = {
      request: (url: string) => {
        const next = answers.get(new URL(url).hostname.split('.')[0])?.shift();
        const a = next ?? { status: 200, body: COMPLETION };
        return a instanceof Error ? Promise.reject(a) : Promise.resolve(reply(a));
      },
    } as unknown as UpstreamHttp;
    const cfg = {
      current: configSchema.parse({ 'api-keys': ['sk-client-key-abcdefgh'], ...config }),
    } as unknown as ConfigService;
    const sut = new ProxyService(
      cfg,
      new OnePlan(plan),
      http,
      new MemoryUsageRecorder(),
      new ProxyMetrics(new MetricsService()),
      recorder,
    );
    app = Fastify();
    app.post('/v1/chat/completions', (req, res) =>
      sut.handle(req, res, { format: 'openai', action: 'generate', route: '/v1/chat/completions' }),
    );
  }

  const chat = (payload: Record<string, unknown> = {}, key = 'sk-client-key-abcdefgh') =>
    app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${key}` },
      payload: { model: 'm', messages: [{ role: 'user', content: 'hello' }], ...payload },
    });

  afterEach(() => app?.close());

  it('should record nothing for a success while bodies are not captured', async () => {
    await setup({ kind: 'ok', candidates: [cand('a')] });
    expect((await chat()).statusCode).toBe(200);
    expect(recorder.seen).toEqual([]);
  });

  it('should record a relayed upstream error with the call that failed and what the client got', async () => {
    await setup({ kind: 'ok', candidates: [cand('a')] });
    answers.set('a', [{ status: 400, body: '{"error":{"message":"too long"}}' }]);
    const res = await chat();
    expect(res.statusCode).toBe(400);
    expect(recorder.seen).toHaveLength(1);
    const [x] = recorder.seen;
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
    await setup({ kind: 'ok', candidates: [cand('a'), cand('b')] });
    answers.set('a', [{ status: 503, body: 'overloaded' }]);
    const res = await chat();
    expect(res.statusCode).toBe(200);
    const [x] = recorder.seen;
    expect(x.status).toBe(200);
    expect(x.failed).toBe(true);
    expect(x.upstreamFailure).toMatchObject({ status: 503, body: 'overloaded' });
    expect(x.upstreamFailure?.request.url).toBe('http://a.upstream/v1/chat/completions');
    expect(x.upstream?.url).toBe('http://b.upstream/v1/chat/completions');
    expect(x.upstreamBody).toBe(COMPLETION);
  });

  it('should record a transport failure as an error without a status', async () => {
    await setup({ kind: 'ok', candidates: [cand('a')] });
    answers.set('a', [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })]);
    const res = await chat();
    expect(res.statusCode).toBe(502);
    const [x] = recorder.seen;
    expect(x.upstreamFailure?.status).toBeUndefined();
    expect(x.upstreamFailure?.transportError).toMatch(/socket hang up/);
  });

  it('should record a gateway refusal without an upstream call', async () => {
    await setup({ kind: 'none' });
    const res = await chat();
    expect(res.statusCode).toBe(503);
    const [x] = recorder.seen;
    expect(x).toMatchObject({ status: 503, failed: true, upstream: undefined });
    expect(x.upstreamFailure).toBeUndefined();
    expect(x.responseBody).toEqual(expect.stringContaining('no_credentials'));
  });

  it('should leave a refused client key to the refusal capture', async () => {
    await setup({ kind: 'ok', candidates: [cand('a')] });
    const res = await chat({}, 'sk-wrong-key-00000000');
    expect(res.statusCode).toBe(401);
    expect(recorder.seen).toEqual([]);
  });

  it('should record every request with the upstream and client bodies while capturing', async () => {
    await setup({ kind: 'ok', candidates: [cand('a')] }, true);
    const res = await chat();
    expect(res.statusCode).toBe(200);
    const [x] = recorder.seen;
    expect(x).toMatchObject({ status: 200, failed: false, upstreamBody: COMPLETION });
    expect(x.responseBody).toBe(res.body);
    expect(x.upstream?.url).toBe('http://a.upstream/v1/chat/completions');
  });

  it('should record a copy of the streamed output while capturing', async () => {
    await setup({ kind: 'ok', candidates: [cand('a')] }, true);
    answers.set('a', [{ status: 200, body: STREAM }]);
    const res = await chat({ stream: true });
    expect(res.statusCode).toBe(200);
    const [x] = recorder.seen;
    expect(x.status).toBe(200);
    expect(x.responseBody).toBe(res.body);
    expect(x.responseBody).toEqual(expect.stringContaining('data: [DONE]'));
    expect(x.responseHeaders).toMatchObject({ 'content-type': 'text/event-stream' });
  });
});
