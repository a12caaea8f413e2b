import { Logger } from '@nestjs/common';
import { partialUsage } from '@app/proxy/pipeline/outcome';
import { ProxyService } from '@app/proxy/proxy.service';
import type { MemoryUsageRecorder } from '@test/utils/memory-usage-recorder';
import {
  CALLS,
  cand,
  geminiCall,
  ProxyHarness,
  type Candidate,
  type ScriptedSource,
  type SentCall,
} from '@test/utils/proxy-harness';

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
  /** The service's log lines (kept out of the test output; some tests read them). */
  let logged: { log: jest.SpyInstance; warn: jest.SpyInstance; debug: jest.SpyInstance };
  let h: ProxyHarness;
  let source: ScriptedSource;
  let usage: MemoryUsageRecorder;
  let calls: string[];
  let sent: SentCall[];

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

  function setup(config: Record<string, unknown> = {}): void {
    h = new ProxyHarness({ config });
    ({ source, usage, calls, sent } = h);
  }

  const chat = (headers?: Record<string, string>) =>
    h.send({
      call: CALLS.chat,
      headers,
      body: { model: 'm', messages: [{ role: 'user', content: 'hello' }] },
    });

  it('should fail over to the next credential and report both outcomes', async () => {
    setup();
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    h.answer('a', fail(429, 'slow down', { 'retry-after': '30' }));
    const res = await chat();
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ choices: [{ message: { content: 'hi' } }] });
    expect(calls).toEqual(['a', 'b']);
    expect(source.failures).toEqual([{ name: 'a', status: 429, retryAfterSec: 30 }]);
    expect(source.successes).toEqual(['b']);
    expect(usage.recent).toHaveLength(1);
    expect(usage.recent[0]).toMatchObject({ status: 200, attempts: 2, source: 'b' });
  });

  it('should send an invalid request back without trying another credential', async () => {
    setup();
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    h.answer('a', fail(400, 'messages: too long'));
    const res = await chat();
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: { message: 'messages: too long' } });
    expect(calls).toEqual(['a']);
  });

  it('should fail over on a header timeout and report it as a 504', async () => {
    setup({ 'upstream-timeouts': { 'header-seconds': 1 } });
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    h.answer('a', Object.assign(new Error('Headers Timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
    const res = await chat();
    expect(res.status).toBe(200);
    expect(source.failures).toEqual([{ name: 'a', status: 504, retryAfterSec: undefined }]);
  });

  it('should run another round after a 5xx when request-retry allows it', async () => {
    setup({ 'request-retry': 1 });
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    h.answer('a', fail(500));
    h.answer('b', fail(503));
    const res = await chat();
    expect(res.status).toBe(200);
    expect(calls).toEqual(['a', 'b', 'a']);
    expect(usage.recent[0].attempts).toBe(3);
  });

  it('should not run another round after a status outside 403/408/429/5xx', async () => {
    setup({ 'request-retry': 3 });
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    h.answer('a', fail(404));
    h.answer('b', fail(401));
    const res = await chat();
    expect(res.status).toBe(401);
    expect(calls).toEqual(['a', 'b']);
  });

  it('should try at most max-retry-credentials keys per round', async () => {
    setup({ 'max-retry-credentials': 1 });
    source.plans = [{ kind: 'ok', candidates: [cand('a'), cand('b')] }];
    h.answer('a', fail(500));
    const res = await chat();
    expect(res.status).toBe(500);
    expect(calls).toEqual(['a']);
  });

  it('should relay the upstream error, not model_cooldown, when a later round finds all cooling', async () => {
    setup({ 'request-retry': 2, 'max-retry-interval': 0 });
    source.plans = [
      { kind: 'ok', candidates: [cand('a')] },
      { kind: 'cooldown', retryAfterSec: 30 },
    ];
    h.answer('a', fail(429, 'quota gone', { 'retry-after': '30' }));
    const res = await chat();
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.json()).toMatchObject({ error: { message: 'quota gone' } });
  });

  it('should wait for a cooldown within max-retry-interval before the next round', async () => {
    setup({ 'request-retry': 1, 'max-retry-interval': 1 });
    source.plans = [
      { kind: 'ok', candidates: [cand('a')] },
      { kind: 'cooldown', retryAfterSec: 0.05 },
      { kind: 'ok', candidates: [cand('a')] },
    ];
    h.answer('a', fail(429));
    const t0 = Date.now();
    const res = await chat();
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    expect(source.planCalls).toBe(3);
    expect(calls).toEqual(['a', 'a']);
  });

  it('should answer model_cooldown and a 503 in the client format', async () => {
    setup();
    source.plans = [{ kind: 'cooldown', retryAfterSec: 12.2 }];
    const cooling = await h.send({
      call: CALLS.messages,
      body: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
    });
    expect(cooling.status).toBe(429);
    expect(cooling.headers['retry-after']).toBe('13');
    expect(cooling.json()).toMatchObject({
      type: 'error',
      error: { code: 'model_cooldown', reset_seconds: 13 },
    });

    source.plans = [{ kind: 'none' }];
    const none = await chat();
    expect(none.status).toBe(503);
    expect(none.json()).toMatchObject({ error: { code: 'no_credentials' } });
    expect(calls).toEqual([]);
    expect(usage.recent.map((r) => r.status)).toEqual([429, 503]);
  });

  it('should refuse bad bodies before touching routing', async () => {
    setup({ 'api-keys': ['sk-good'] });
    const noModel = await h.send({
      call: CALLS.chat,
      headers: { authorization: 'Bearer sk-good' },
      body: { messages: [{ role: 'user', content: 'x' }] },
    });
    expect(noModel.status).toBe(400);
    expect(source.planCalls).toBe(0);
    // A bad body from a known key is usage.
    expect(usage.recent).toHaveLength(1);
    expect(usage.recent[0]).toMatchObject({ status: 400, clientKeyId: expect.any(String) });
  });

  describe('a model nobody serves', () => {
    const UNKNOWN = 'nobody-serves-this';

    it("should answer 400 model_not_found in the OpenAI shape, CLIProxyAPI's wording", async () => {
      setup();
      const res = await h.send({
        call: CALLS.chat,
        body: { model: UNKNOWN, messages: [{ role: 'user', content: 'x' }] },
      });
      expect(res.status).toBe(400);
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
      setup();
      const res = await h.send({
        call: CALLS.messages,
        url: '/v1/messages?beta=true',
        // A role the IR refuses: the unknown model still answers first.
        body: { model: UNKNOWN, max_tokens: 5, messages: [{ role: 'tool', content: 'x' }] },
      });
      expect(res.status).toBe(400);
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
      setup();
      const res = await h.send({
        call: geminiCall(UNKNOWN),
        url: `/v1beta/models/${UNKNOWN}:generateContent`,
        body: { contents: [{ role: 'user', parts: [{ text: 'x' }] }] },
      });
      expect(res.status).toBe(400);
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
      setup();
      await h.send({
        call: CALLS.chat,
        headers: { 'x-request-id': 'r-1' },
        body: { model: UNKNOWN, messages: [{ role: 'user', content: 'x' }] },
      });
      expect(info).toHaveBeenCalledWith(
        expect.stringMatching(
          new RegExp(
            `^request \\S+ /v1/chat/completions model=${UNKNOWN} answered 400: unknown provider for model ${UNKNOWN}$`,
          ),
        ),
      );
      source.plans = [{ kind: 'none' }];
      await h.send({
        call: CALLS.chat,
        body: { model: 'm', messages: [{ role: 'user', content: 'x' }] },
      });
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('model=m answered 503'));
    });
  });

  describe('same-format pass-through', () => {
    it('should forward the client body byte for byte but the model, and relay the answer as sent', async () => {
      setup();
      source.plans = [{ kind: 'ok', candidates: [cand('a')] }];
      const body = {
        model: 'm',
        messages: [{ role: 'user', content: 'hello' }],
        some_new_field: { nested: [1, 2, 3] },
        modalities: ['text'],
      };
      const upstream = JSON.stringify({ ...OK.body, system_fingerprint: 'fp', extra: { x: 1 } });
      h.answer('a', { status: 200, body: upstream });
      const res = await h.send({ call: CALLS.chat, body: body });
      expect(res.status).toBe(200);
      expect(res.body).toBe(upstream);
      expect(sent[0].body).toBe(JSON.stringify({ ...body, model: 'up-model' }));
      expect(usage.recent[0].tokens).toMatchObject({ input_tokens: 3, output_tokens: 1 });
    });

    it('should translate for another format, a Claude system message becoming a reminder', async () => {
      setup();
      source.plans = [{ kind: 'ok', candidates: [cand('a')] }];
      const res = await h.send({
        call: CALLS.messages,
        body: {
          model: 'm',
          max_tokens: 50,
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'system', content: 'be terse' },
          ],
        },
      });
      expect(res.status).toBe(200);
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
      setup();
      source.plans = [{ kind: 'ok', candidates: [cand('a')] }];
      const res = await h.send({
        call: CALLS.messages,
        body: {
          model: 'm',
          max_tokens: 50,
          context_management: { edits: [] },
          messages: [
            { role: 'user', content: [{ type: 'container_upload', file_id: 'f' }] },
            { role: 'user', content: 'hi' },
          ],
        },
      });
      expect(res.status).toBe(200);
      expect(debug).toHaveBeenCalledWith(
        expect.stringMatching(
          /the openai upstream cannot carry content block "container_upload", field "context_management" of the claude body; left out$/,
        ),
      );
    });

    it("should refuse a body the IR cannot read in the API's wording when it must be translated", async () => {
      setup();
      source.plans = [{ kind: 'ok', candidates: [cand('a')] }];
      const res = await h.send({
        call: CALLS.messages,
        body: { model: 'm', max_tokens: 5, messages: [{ role: 'tool', content: 'x' }] },
      });
      expect(res.status).toBe(400);
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
      setup();
      const claude: Candidate = { ...cand('c'), provider: 'claude', baseUrl: 'http://c.upstream' };
      source.plans = [{ kind: 'ok', candidates: [claude, cand('a')] }];
      h.answer('c', {
        status: 529,
        body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      });
      const res = await h.send({
        call: CALLS.messages,
        headers: { 'anthropic-beta': 'files-api-2025-04-14', 'anthropic-version': '2023-06-01' },
        body: { model: 'm', max_tokens: 5, messages: [{ role: 'tool', content: 'x' }] },
      });
      expect(calls).toEqual(['c']);
      expect(res.status).toBe(529);
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
