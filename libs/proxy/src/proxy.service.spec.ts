import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import { configSchema, type ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import type { UpstreamHttp } from '@app/upstream';
import { CandidateSource, type Candidate, type Plan } from '@app/proxy/candidate-source';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import { partialUsage, ProxyService } from '@app/proxy/proxy.service';
import { MemoryUsageRecorder } from '@app/proxy/usage.types';

const cand = (name: string): Candidate => ({
  credentialId: `config:${name}`,
  authIndex: `${name}`.padEnd(16, '0'),
  provider: 'openai-compatibility',
  label: name,
  upstreamModel: 'up-model',
  stateModel: 'up-model',
  baseUrl: `http://${name}.upstream/v1`,
  headers: {},
  token: `key-${name}`,
  oauth: false,
});

/** Routing with scripted plans (the last one repeats) that records what it is told. */
class ScriptedSource extends CandidateSource {
  plans: Plan[] = [];
  planCalls = 0;
  readonly failures: { name: string; status: number; retryAfterSec?: number }[] = [];
  readonly successes: string[] = [];

  plan(): Promise<Plan> {
    this.planCalls++;
    return Promise.resolve(this.plans.length > 1 ? this.plans.shift()! : this.plans[0]);
  }

  reportFailure(c: Candidate, status: number, retryAfterSec: number | undefined): Promise<void> {
    this.failures.push({ name: c.label, status, retryAfterSec });
    return Promise.resolve();
  }

  reportSuccess(c: Candidate): void {
    this.successes.push(c.label);
  }

  listModels(): [] {
    return [];
  }

  /** Every model is configured except `nobody-serves-this`. */
  override knows(model: string): boolean {
    return model !== 'nobody-serves-this';
  }
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> } | Error;

/** An upstream body as undici hands it out (a stream with `.text()`). */
function upstreamReply(a: Exclude<Answer, Error>): Dispatcher.ResponseData {
  const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  const body = Object.assign(Readable.from([Buffer.from(text)]), {
    text: async () => {
      let s = '';
      for await (const chunk of body) s += String(chunk);
      return s;
    },
  });
  return {
    statusCode: a.status,
    headers: a.headers ?? {},
    body,
  } as unknown as Dispatcher.ResponseData;
}

const OK = {
  status: 200,
  body: {
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'up-model',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  },
};
const fail = (status: number, message = `upstream said ${status}`, headers = {}) => ({
  status,
  body: { error: { message, type: 'x', code: null } },
  headers,
});

describe(ProxyService.name, () => {
  let app: FastifyInstance;
  /** The service's log lines (kept out of the test output; some tests read them). */
  let logged: { log: jest.SpyInstance; warn: jest.SpyInstance; debug: jest.SpyInstance };

  beforeEach(() => {
    logged = {
      log: jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined),
      warn: jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined),
      debug: jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined),
    };
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });
  let source: ScriptedSource;
  let usage: MemoryUsageRecorder;
  let answers: Map<string, Answer[]>;
  let calls: string[];
  /** What each upstream call carried. */
  let sent: { url: string; headers: Record<string, string>; body: string }[];

  async function setup(config: Record<string, unknown> = {}): Promise<void> {
    source = new ScriptedSource();
    usage = new MemoryUsageRecorder();
    answers = new Map();
    calls = [];
    sent = [];
    const http = {
      request: (url: string, init: { headers: Record<string, string>; body: string }) => {
        const host = new URL(url).hostname.split('.')[0];
        calls.push(host);
        sent.push({ url, headers: init.headers, body: init.body });
        const next = answers.get(host)?.shift() ?? OK;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(upstreamReply(next));
      },
    } as unknown as UpstreamHttp;
    const cfg = { current: configSchema.parse(config) } as unknown as ConfigService;
    const sut = new ProxyService(cfg, source, http, usage, new ProxyMetrics(new MetricsService()));
    app = Fastify();
    app.post('/v1/chat/completions', (req, reply) =>
      sut.handle(req, reply, {
        format: 'openai',
        action: 'generate',
        route: '/v1/chat/completions',
      }),
    );
    app.post('/v1/messages', (req, reply) =>
      sut.handle(req, reply, { format: 'claude', action: 'generate', route: '/v1/messages' }),
    );
    app.post('/v1beta/models/:model', (req, reply) =>
      sut.handle(req, reply, {
        format: 'gemini',
        action: 'generate',
        route: '/v1beta/models/{model}',
        model: (req.params as { model: string }).model.split(':')[0],
        stream: false,
      }),
    );
  }

  const chat = () =>
    app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'm', messages: [{ role: 'user', content: 'hello' }] },
    });

  afterEach(async () => {
    await app?.close();
  });

  it('should fail over to the next credential and report both outcomes', async () => {
    await setup();
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    answers.set('a', [fail(429, 'slow down', { 'retry-after': '30' })]);
    const res = await chat();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ choices: [{ message: { content: 'hi' } }] });
    expect(calls).toEqual(['a', 'b']);
    expect(source.failures).toEqual([{ name: 'a', status: 429, retryAfterSec: 30 }]);
    expect(source.successes).toEqual(['b']);
    expect(usage.recent).toHaveLength(1);
    expect(usage.recent[0]).toMatchObject({ status: 200, attempts: 2, source: 'b' });
  });

  it('should send an invalid request back without trying another credential', async () => {
    await setup();
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    answers.set('a', [fail(400, 'messages: too long')]);
    const res = await chat();
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { message: 'messages: too long' } });
    expect(calls).toEqual(['a']);
  });

  it('should fail over on a header timeout and report it as a 504', async () => {
    await setup({ 'upstream-timeouts': { 'header-seconds': 1 } });
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    answers.set('a', [
      Object.assign(new Error('Headers Timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
    ]);
    const res = await chat();
    expect(res.statusCode).toBe(200);
    expect(source.failures).toEqual([{ name: 'a', status: 504, retryAfterSec: undefined }]);
  });

  it('should run another round after a 5xx when request-retry allows it', async () => {
    await setup({ 'request-retry': 1 });
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    answers.set('a', [fail(500)]);
    answers.set('b', [fail(503)]);
    const res = await chat();
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual(['a', 'b', 'a']);
    expect(usage.recent[0].attempts).toBe(3);
  });

  it('should not run another round after a status outside 403/408/429/5xx', async () => {
    await setup({ 'request-retry': 3 });
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    answers.set('a', [fail(404)]);
    answers.set('b', [fail(401)]);
    const res = await chat();
    expect(res.statusCode).toBe(401);
    expect(calls).toEqual(['a', 'b']);
  });

  it('should try at most max-retry-credentials keys per round', async () => {
    await setup({ 'max-retry-credentials': 1 });
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    answers.set('a', [fail(500)]);
    const res = await chat();
    expect(res.statusCode).toBe(500);
    expect(calls).toEqual(['a']);
  });

  it('should relay the upstream error, not model_cooldown, when a later round finds all cooling', async () => {
    await setup({ 'request-retry': 2, 'max-retry-interval': 0 });
    source.plans = [
      { kind: 'ok', candidates: [cand('a')] },
      { kind: 'cooldown', retryAfterSec: 30 },
    ];
    answers.set('a', [fail(429, 'quota gone', { 'retry-after': '30' })]);
    const res = await chat();
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.json()).toMatchObject({ error: { message: 'quota gone' } });
  });

  it('should wait for a cooldown within max-retry-interval before the next round', async () => {
    await setup({ 'request-retry': 1, 'max-retry-interval': 1 });
    source.plans = [
      { kind: 'ok', candidates: [cand('a')] },
      { kind: 'cooldown', retryAfterSec: 0.05 },
      { kind: 'ok', candidates: [cand('a')] },
    ];
    answers.set('a', [fail(429)]);
    const t0 = Date.now();
    const res = await chat();
    expect(res.statusCode).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    expect(source.planCalls).toBe(3);
    expect(calls).toEqual(['a', 'a']);
  });

  it('should answer model_cooldown and a 503 in the client format', async () => {
    await setup();
    source.plans = [{ kind: 'cooldown', retryAfterSec: 12.2 }];
    const cooling = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      payload: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
    });
    expect(cooling.statusCode).toBe(429);
    expect(cooling.headers['retry-after']).toBe('13');
    expect(cooling.json()).toMatchObject({
      type: 'error',
      error: { code: 'model_cooldown', reset_seconds: 13 },
    });

    source.plans = [{ kind: 'none' }];
    const none = await chat();
    expect(none.statusCode).toBe(503);
    expect(none.json()).toMatchObject({ error: { code: 'no_credentials' } });
    expect(calls).toEqual([]);
    expect(usage.recent.map((r) => r.status)).toEqual([429, 503]);
  });

  it('should refuse bad bodies and keys before touching routing', async () => {
    await setup({ 'api-keys': ['sk-good'] });
    const noKey = await chat();
    expect(noKey.statusCode).toBe(401);
    const noModel = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer sk-good' },
      payload: { messages: [{ role: 'user', content: 'x' }] },
    });
    expect(noModel.statusCode).toBe(400);
    expect(source.planCalls).toBe(0);
    // A refused key is not usage; a bad body from a known key is.
    expect(usage.recent).toHaveLength(1);
    expect(usage.recent[0]).toMatchObject({ status: 400, clientKeyId: expect.any(String) });
  });

  describe('a model nobody serves', () => {
    const UNKNOWN = 'nobody-serves-this';

    it("should answer 400 model_not_found in the OpenAI shape, CLIProxyAPI's wording", async () => {
      await setup();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: UNKNOWN, messages: [{ role: 'user', content: 'x' }] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: {
          message: `unknown provider for model ${UNKNOWN}`,
          type: 'invalid_request_error',
          code: 'model_not_found',
          param: 'model',
        },
      });
      expect(source.planCalls).toBe(0);
      expect(usage.recent[0]).toMatchObject({ model: UNKNOWN, status: 400, failed: true });
    });

    it('should answer in the Claude shape, decided before the body is read', async () => {
      await setup();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/messages?beta=true',
        // A role the IR refuses: the unknown model still answers first.
        payload: { model: UNKNOWN, max_tokens: 5, messages: [{ role: 'tool', content: 'x' }] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: `unknown provider for model ${UNKNOWN}`,
          code: 'model_not_found',
          param: 'model',
        },
      });
    });

    it('should answer in the Gemini shape with an ErrorInfo reason', async () => {
      await setup();
      const res = await app.inject({
        method: 'POST',
        url: `/v1beta/models/${UNKNOWN}:generateContent`,
        payload: { contents: [{ role: 'user', parts: [{ text: 'x' }] }] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: {
          code: 400,
          status: 'INVALID_ARGUMENT',
          message: `unknown provider for model ${UNKNOWN}`,
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'model_not_found',
              domain: 'switchboard',
            },
          ],
        },
      });
    });

    it('should log it at info with request id, route, model and reason; a 503 at warn', async () => {
      const info = logged.log;
      const warn = logged.warn;
      await setup();
      await app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { 'x-request-id': 'r-1' },
        payload: { model: UNKNOWN, messages: [{ role: 'user', content: 'x' }] },
      });
      expect(info).toHaveBeenCalledWith(
        expect.stringMatching(
          new RegExp(
            `^request \\S+ /v1/chat/completions model=${UNKNOWN} answered 400: unknown provider for model ${UNKNOWN}$`,
          ),
        ),
      );
      source.plans = [{ kind: 'none' }];
      await app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'm', messages: [{ role: 'user', content: 'x' }] },
      });
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('model=m answered 503'));
    });
  });

  describe('same-format pass-through', () => {
    it('should forward the client body byte for byte but the model, and relay the answer as sent', async () => {
      await setup();
      source.plans = [{ kind: 'ok', candidates: [cand('a')] }];
      const body = {
        model: 'm',
        messages: [{ role: 'user', content: 'hello' }],
        some_new_field: { nested: [1, 2, 3] },
        modalities: ['text'],
      };
      const upstream = JSON.stringify({ ...OK.body, system_fingerprint: 'fp', extra: { x: 1 } });
      answers.set('a', [{ status: 200, body: upstream }]);
      const res = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: body });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(upstream);
      expect(sent[0].body).toBe(JSON.stringify({ ...body, model: 'up-model' }));
      expect(usage.recent[0].tokens).toMatchObject({ input_tokens: 3, output_tokens: 1 });
    });

    it('should translate for another format, a Claude system message becoming a reminder', async () => {
      await setup();
      source.plans = [{ kind: 'ok', candidates: [cand('a')] }];
      const res = await app.inject({
        method: 'POST',
        url: '/v1/messages',
        payload: {
          model: 'm',
          max_tokens: 50,
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'system', content: 'be terse' },
          ],
        },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        type: 'message',
        content: [{ type: 'text', text: 'hi' }],
      });
      const upstream = JSON.parse(sent[0].body) as {
        messages: { role: string; content: unknown }[];
      };
      expect(upstream.messages.map((m) => m.role)).toEqual(['user', 'user']);
      expect(JSON.stringify(upstream.messages[1].content)).toContain(
        '<system-reminder>\\nbe terse\\n</system-reminder>',
      );
    });

    it('should name at debug level what a translated call leaves out', async () => {
      const debug = logged.debug;
      await setup();
      source.plans = [{ kind: 'ok', candidates: [cand('a')] }];
      const res = await app.inject({
        method: 'POST',
        url: '/v1/messages',
        payload: {
          model: 'm',
          max_tokens: 50,
          context_management: { edits: [] },
          messages: [
            { role: 'user', content: [{ type: 'container_upload', file_id: 'f' }] },
            { role: 'user', content: 'hi' },
          ],
        },
      });
      expect(res.statusCode).toBe(200);
      expect(debug).toHaveBeenCalledWith(
        expect.stringMatching(
          /the openai upstream cannot carry content block "container_upload", field "context_management" of the claude body; left out$/,
        ),
      );
    });

    it("should refuse a body the IR cannot read in the API's wording when it must be translated", async () => {
      await setup();
      source.plans = [{ kind: 'ok', candidates: [cand('a')] }];
      const res = await app.inject({
        method: 'POST',
        url: '/v1/messages',
        payload: { model: 'm', max_tokens: 5, messages: [{ role: 'tool', content: 'x' }] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: expect.stringContaining('Unexpected role "tool"'),
        },
      });
      expect(calls).toEqual([]);
    });

    it('should skip a translating credential the body cannot go to after a same-format failure', async () => {
      await setup();
      const claude: Candidate = { ...cand('c'), provider: 'claude', baseUrl: 'http://c.upstream' };
      source.plans = [{ kind: 'ok', candidates: [claude, cand('a')] }];
      answers.set('c', [
        {
          status: 529,
          body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
        },
      ]);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { 'anthropic-beta': 'files-api-2025-04-14', 'anthropic-version': '2023-06-01' },
        payload: { model: 'm', max_tokens: 5, messages: [{ role: 'tool', content: 'x' }] },
      });
      expect(calls).toEqual(['c']);
      expect(res.statusCode).toBe(529);
      expect(res.json()).toMatchObject({ error: { type: 'overloaded_error' } });
      // The Claude upstream got the client's feature headers.
      expect(sent[0].headers['anthropic-beta']).toBe('files-api-2025-04-14');
    });
  });
});

describe(partialUsage.name, () => {
  const ir = {
    model: 'm',
    system: [],
    messages: [
      { role: 'user' as const, content: [{ type: 'text' as const, text: 'a'.repeat(40) }] },
    ],
    sampling: {},
    stream: true,
    sourceFormat: 'openai' as const,
    extra: {},
  };

  it('should estimate the input when the upstream reported none yet', () => {
    const sut = partialUsage(undefined, ir, 42);
    expect(sut.inputTokens).toBeGreaterThanOrEqual(10);
    expect(sut.outputTokens).toBe(11);
    expect(sut.totalTokens).toBe(sut.inputTokens + sut.outputTokens);
  });

  it('should keep reported counts and never go below what was seen', () => {
    const seen = {
      inputTokens: 7,
      outputTokens: 30,
      reasoningTokens: 4,
      cachedTokens: 2,
      totalTokens: 37,
    };
    expect(partialUsage(seen, ir, 8)).toEqual({ ...seen, totalTokens: 37 });
    expect(partialUsage({ ...seen, outputTokens: 1 }, ir, 80).outputTokens).toBe(20);
  });
});
