import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { AppError } from '@app/common';
import type { LimitsService } from '@app/proxy/limits';
import { ProxyService } from '@app/proxy/proxy.service';
import { MemoryResponse } from '@test/utils/memory-response';
import {
  CALLS,
  cand,
  geminiCall,
  ProxyHarness,
  type Candidate,
  type HarnessOptions,
} from '@test/utils/proxy-harness';

// How each kind of answer reaches the client, and what the pipeline records about it: streams
// translated or relayed (failover before the first byte, cut streams), streaming-only upstreams
// collected for non-stream clients, relayed JSON (count-tokens, compact), and admission.

const FIXTURES = join(__dirname, '../../../test/fixtures');
const fixture = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');

const chunk = (delta: Record<string, unknown>, finish: string | null = null, usage?: object) =>
  `data: ${JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'up-model',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  })}\n\n`;
const STREAM = [
  chunk({ role: 'assistant', content: 'Hel' }),
  chunk({ content: 'lo' }),
  chunk({}, 'stop', { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 }),
  'data: [DONE]\n\n',
];
const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

const codex = (name: string): Candidate =>
  cand(name, { provider: 'codex', baseUrl: `http://${name}.upstream` });
const claude = (name: string): Candidate =>
  cand(name, { provider: 'claude', baseUrl: `http://${name}.upstream` });
const gemini = (name: string): Candidate =>
  cand(name, { provider: 'gemini', baseUrl: `http://${name}.upstream` });

/** Events of an SSE text, data parsed where it is JSON. */
function events(text: string): { event?: string; data: unknown }[] {
  return text
    .split(/\n\n/)
    .filter((b) => b.trim() !== '' && !b.startsWith(':'))
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const raw = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      let data: unknown = raw;
      try {
        data = JSON.parse(raw);
      } catch {
        // [DONE]
      }
      return { event, data };
    });
}

const chatBody = (over: Record<string, unknown> = {}) => ({
  model: 'm',
  messages: [{ role: 'user', content: 'hello' }],
  ...over,
});
const claudeBody = (over: Record<string, unknown> = {}) => ({
  model: 'm',
  max_tokens: 50,
  messages: [{ role: 'user', content: 'hello' }],
  ...over,
});

describe(`${ProxyService.name} delivery`, () => {
  let h: ProxyHarness;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  function setup(candidates: Candidate[], opts: HarnessOptions = {}): ProxyHarness {
    h = new ProxyHarness(opts);
    h.source.plans = [{ kind: 'ok', candidates }];
    return h;
  }

  describe('streams', () => {
    it('should translate an upstream stream event by event and record its usage', async () => {
      setup([cand('a')]);
      h.answer('a', { status: 200, chunks: STREAM });
      const res = await h.send({ call: CALLS.messages, body: claudeBody({ stream: true }) });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream');
      const names = events(res.body).map((e) => e.event);
      expect(names[0]).toBe('message_start');
      expect(names[names.length - 1]).toBe('message_stop');
      expect(JSON.stringify(events(res.body))).toContain('Hel');
      expect(h.usage.recent[0]).toMatchObject({
        status: 200,
        failed: false,
        stream: true,
        attempts: 1,
        tokens: { input_tokens: 4, output_tokens: 2, total_tokens: 6 },
        trail: [{ kind: 'attempt', status: 200, source: 'a' }],
      });
      expect(h.usage.recent[0].ttfbMs).toEqual(expect.any(Number));
      expect(h.source.successes).toEqual(['a']);
    });

    it('should relay a same-format stream byte for byte, usage read on the way', async () => {
      setup([cand('a')]);
      h.answer('a', { status: 200, chunks: STREAM });
      const res = await h.send({ call: CALLS.chat, body: chatBody({ stream: true }) });
      expect(res.body).toBe(STREAM.join(''));
      expect(JSON.parse(h.sent[0].body)).toMatchObject({ stream: true, model: 'up-model' });
      expect(h.usage.recent[0].tokens).toMatchObject({ input_tokens: 4, output_tokens: 2 });
    });

    it('should leave out the usage chunk the gateway asked for and the client did not', async () => {
      setup([cand('a')]);
      const usageOnly = `data: ${JSON.stringify({
        id: 'c1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'up-model',
        choices: [],
        usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
      })}\n\n`;
      h.answer('a', {
        status: 200,
        chunks: [STREAM[0], STREAM[1], chunk({}, 'stop'), usageOnly, 'data: [DONE]\n\n'],
      });
      const res = await h.send({ call: CALLS.chat, body: chatBody({ stream: true }) });
      expect(JSON.parse(h.sent[0].body)).toMatchObject({
        stream_options: { include_usage: true },
      });
      expect(res.body).not.toContain('"choices":[]');
      expect(res.body).toContain('data: [DONE]');
      expect(h.usage.recent[0].tokens).toMatchObject({ input_tokens: 4, output_tokens: 2 });
    });

    it('should fail over before the first byte while bootstrap retries are left', async () => {
      setup([cand('a'), cand('b')], { config: { streaming: { 'bootstrap-retries': 1 } } });
      h.answer('a', { status: 200, chunks: [], failAfter: reset() });
      h.answer('b', { status: 200, chunks: STREAM });
      const res = await h.send({ call: CALLS.messages, body: claudeBody({ stream: true }) });
      expect(res.status).toBe(200);
      expect(h.calls).toEqual(['a', 'b']);
      expect(events(res.body).filter((e) => e.event === 'error')).toEqual([]);
      expect(h.source.failures).toEqual([{ name: 'a', status: 502, retryAfterSec: undefined }]);
      expect(h.usage.recent[0]).toMatchObject({ status: 200, attempts: 2, source: 'b' });
      expect(h.usage.recent[0].trail).toMatchObject([
        { kind: 'attempt', source: 'a', status: 502, errorType: 'api_error' },
        { kind: 'attempt', source: 'b', status: 200 },
      ]);
    });

    it('should fail over on an error event before any output, relayed or translated', async () => {
      const errorFrame = `data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`;
      for (const call of [CALLS.chat, CALLS.messages]) {
        setup([cand('a'), cand('b')], { config: { streaming: { 'bootstrap-retries': 1 } } });
        h.answer('a', { status: 200, chunks: [errorFrame] });
        h.answer('b', { status: 200, chunks: STREAM });
        const body =
          call === CALLS.chat ? chatBody({ stream: true }) : claudeBody({ stream: true });
        const res = await h.send({ call, body });
        expect(h.calls).toEqual(['a', 'b']);
        expect(res.body).not.toContain('overloaded');
        expect(h.usage.recent[0]).toMatchObject({ status: 200, attempts: 2 });
      }
    });

    it('should end a stream cut after its first bytes with an error in the client format', async () => {
      setup([cand('a'), cand('b')], { config: { streaming: { 'bootstrap-retries': 1 } } });
      h.answer('a', { status: 200, chunks: STREAM.slice(0, 2), failAfter: reset() });
      const res = await h.send({ call: CALLS.messages, body: claudeBody({ stream: true }) });
      expect(res.status).toBe(200);
      expect(h.calls).toEqual(['a']);
      const last = events(res.body).pop();
      expect(last).toMatchObject({
        event: 'error',
        data: { type: 'error', error: { message: expect.stringContaining('socket hang up') } },
      });
      const rec = h.usage.recent[0];
      expect(rec).toMatchObject({
        status: 502,
        failed: true,
        errorClass: 'upstream_stream_error',
        errorMessage: expect.stringContaining('socket hang up'),
        attempts: 1,
      });
      // Output seen (5 characters) and an input estimate, since the upstream reported none.
      expect(rec.tokens.output_tokens).toBe(2);
      expect(rec.tokens.input_tokens).toBeGreaterThan(0);
      expect(rec.trail).toMatchObject([
        { kind: 'attempt', status: 502, errorType: 'upstream_stream_error' },
      ]);
      expect(h.source.failures).toEqual([{ name: 'a', status: 502, retryAfterSec: undefined }]);
    });

    it('should end a relayed stream that stops without a finish with an error and [DONE]', async () => {
      setup([cand('a')]);
      h.answer('a', { status: 200, chunks: STREAM.slice(0, 2) });
      const res = await h.send({ call: CALLS.chat, body: chatBody({ stream: true }) });
      const all = events(res.body);
      expect(all[all.length - 2].data).toMatchObject({
        error: { message: expect.stringContaining('ended before the response was complete') },
      });
      expect(all[all.length - 1].data).toBe('[DONE]');
      expect(h.usage.recent[0]).toMatchObject({ status: 502, errorClass: 'upstream_stream_error' });
    });

    it('should stream a JSON array to a Gemini client without alt=sse, relayed or translated', async () => {
      for (const c of [gemini('g'), cand('a')]) {
        setup([c]);
        if (c.provider === 'gemini') {
          h.answer('g', { status: 200, chunks: [fixture('gemini/stream-text.sse')] });
        } else {
          h.answer('a', { status: 200, chunks: STREAM });
        }
        const res = await h.send({
          call: geminiCall('m', 'json-array'),
          body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
        });
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/json');
        const array = JSON.parse(res.body) as { candidates?: unknown[] }[];
        expect(Array.isArray(array)).toBe(true);
        expect(array.length).toBeGreaterThan(0);
        expect(h.usage.recent[0]).toMatchObject({ status: 200, failed: false });
        expect(h.usage.recent[0].tokens.input_tokens).toBeGreaterThan(0);
      }
    });

    it('should stop when the client leaves mid-stream and record a 499 with partial usage', async () => {
      setup([cand('a')]);
      h.answer('a', { status: 200, chunks: STREAM });
      const res = new MemoryResponse();
      const write = res.write.bind(res);
      res.write = (chunk: string) => {
        res.leave();
        return write(chunk);
      };
      await h.send({ call: CALLS.messages, body: claudeBody({ stream: true }), res });
      expect(res.writes).toHaveLength(1);
      const rec = h.usage.recent[0];
      expect(rec).toMatchObject({ status: 499, failed: true, errorClass: 'client_abort' });
      expect(rec.tokens.input_tokens).toBeGreaterThan(0);
      // Not the credential's failure, and nothing for the error log to explain.
      expect(h.source.failures).toEqual([]);
      expect(h.source.successes).toEqual([]);
      expect(h.exchanges.seen).toEqual([]);
    });

    it('should copy the streamed output for the request log only while bodies are kept', async () => {
      setup([cand('a')], { bodies: true });
      h.answer('a', { status: 200, chunks: STREAM });
      const res = await h.send({ call: CALLS.messages, body: claudeBody({ stream: true }) });
      expect(h.exchanges.seen[0].responseBody).toBe(res.body);
    });
  });

  describe('streaming-only upstreams for non-stream clients', () => {
    it('should collect a Codex stream into one translated answer', async () => {
      setup([codex('x')]);
      h.answer('x', { status: 200, chunks: [fixture('codex/stream-text.sse')] });
      const res = await h.send({ call: CALLS.chat, body: chatBody() });
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({
        object: 'chat.completion',
        model: 'm',
        choices: [{ message: { role: 'assistant' } }],
      });
      expect(JSON.parse(h.sent[0].body)).toMatchObject({ stream: true });
      expect(h.usage.recent[0]).toMatchObject({ status: 200, stream: false });
      expect(h.usage.recent[0].tokens.input_tokens).toBeGreaterThan(0);
    });

    it('should collect a Codex stream into the Responses object for a Responses client', async () => {
      setup([codex('x')]);
      h.answer('x', { status: 200, chunks: [fixture('codex/stream-text.sse')] });
      const res = await h.send({
        call: CALLS.responses,
        body: { model: 'm', input: 'hi' },
      });
      expect(res.status).toBe(200);
      expect(res.json()).toMatchObject({ object: 'response', status: 'completed' });
      expect(h.usage.recent[0].tokens.input_tokens).toBeGreaterThan(0);
    });

    it('should fail over from a Codex stream that ends early, on either path', async () => {
      const text = fixture('codex/stream-text.sse');
      const cut = text.slice(0, text.indexOf('event: response.completed'));
      for (const [call, body] of [
        [CALLS.chat, chatBody()],
        [CALLS.responses, { model: 'm', input: 'hi' }],
      ] as const) {
        setup([codex('x'), codex('y')]);
        h.answer('x', { status: 200, chunks: [cut] });
        h.answer('y', { status: 200, chunks: [text] });
        const res = await h.send({ call, body });
        expect(res.status).toBe(200);
        expect(h.calls).toEqual(['x', 'y']);
        expect(h.source.failures).toEqual([{ name: 'x', status: 502, retryAfterSec: undefined }]);
        expect(h.usage.recent[0].trail).toMatchObject([
          {
            status: 502,
            errorType: 'api_error',
            message: 'The upstream stream ended before the response was complete',
          },
          { status: 200 },
        ]);
      }
    });

    it('should relay the error a Codex stream carries as a failed attempt', async () => {
      setup([codex('x')]);
      h.answer('x', { status: 200, chunks: [fixture('openai-responses/stream-failed.sse')] });
      const res = await h.send({ call: CALLS.chat, body: chatBody() });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(h.usage.recent[0]).toMatchObject({ failed: true, attempts: 1 });
      expect(h.source.failures).toHaveLength(1);
    });

    it('should count a reset while collecting as a transport failure', async () => {
      setup([codex('x')]);
      h.answer('x', { status: 200, chunks: [], failAfter: reset() });
      const res = await h.send({ call: CALLS.chat, body: chatBody() });
      expect(res.status).toBe(502);
      expect(h.usage.recent[0].trail).toMatchObject([{ status: 0 }]);
      expect(h.exchanges.seen[0].upstreamFailure?.transportError).toMatch(/socket hang up/);
    });
  });

  describe('relayed JSON', () => {
    it('should estimate count_tokens locally for an upstream without a counting endpoint', async () => {
      setup([cand('a')]);
      const res = await h.send({ call: CALLS.countTokens, body: claudeBody() });
      expect(res.status).toBe(200);
      expect(res.headers['x-switchboard-token-count']).toBe('estimate');
      expect(res.json()).toEqual({ input_tokens: expect.any(Number) });
      expect(h.calls).toEqual([]);
    });

    it("should ask a Claude upstream's counting endpoint and relay its count", async () => {
      setup([claude('c')]);
      h.answer('c', { status: 200, body: { input_tokens: 42 } });
      const res = await h.send({ call: CALLS.countTokens, body: claudeBody() });
      expect(res.json()).toEqual({ input_tokens: 42 });
      expect(h.sent[0].url).toBe('http://c.upstream/v1/messages/count_tokens');
      expect(h.source.successes).toEqual(['c']);
    });

    it('should relay a compact answer as the upstream wrote it, reading its usage', async () => {
      setup([codex('x')]);
      const answer = fixture('openai-responses/compact-response.json');
      h.answer('x', { status: 200, body: answer });
      const res = await h.send({
        call: CALLS.compact,
        body: JSON.parse(fixture('openai-responses/compact-request.json')) as unknown,
      });
      expect(res.status).toBe(200);
      expect(res.body).toBe(answer);
      expect(h.sent[0].url).toBe('http://x.upstream/responses/compact');
      expect(h.usage.recent[0].tokens).toMatchObject({ input_tokens: 139, output_tokens: 438 });
    });

    it('should refuse compact for a model no Responses upstream serves, and compact streams', async () => {
      setup([claude('c')]);
      const res = await h.send({ call: CALLS.compact, body: { model: 'm', input: [] } });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({
        error: { message: expect.stringContaining('is served by claude') },
      });
      const streamed = await h.send({
        call: CALLS.compact,
        body: { model: 'm', input: [], stream: true },
      });
      expect(streamed.status).toBe(400);
      expect(h.calls).toEqual([]);
    });

    it('should fail over from a 2xx answer that is not JSON', async () => {
      setup([claude('c'), claude('d')]);
      h.answer('c', { status: 200, body: '<html>' });
      h.answer('d', { status: 200, body: { input_tokens: 7 } });
      const res = await h.send({ call: CALLS.countTokens, body: claudeBody() });
      expect(res.json()).toEqual({ input_tokens: 7 });
      expect(h.usage.recent[0].trail).toMatchObject([
        { status: 502, message: expect.stringContaining('unreadable response') },
        { status: 200 },
      ]);
    });
  });

  describe('answers and records', () => {
    it('should forward the upstream rate-limit headers with passthrough-headers', async () => {
      setup([cand('a')], { config: { 'passthrough-headers': true } });
      h.answer('a', {
        status: 200,
        body: JSON.parse(fixture('openai/chat-response-text.json')) as unknown,
        headers: { 'x-ratelimit-remaining-requests': '9', 'set-cookie': 'x=1' },
      });
      const res = await h.send({ call: CALLS.chat, body: chatBody() });
      expect(res.headers['x-ratelimit-remaining-requests']).toBe('9');
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('should note the cooldown wait and a transport failure in the attempt trail', async () => {
      setup([cand('a')], { config: { 'request-retry': 1, 'max-retry-interval': 1 } });
      h.source.plans = [
        { kind: 'ok', candidates: [cand('a')] },
        { kind: 'cooldown', retryAfterSec: 0.01 },
        { kind: 'ok', candidates: [cand('a')] },
      ];
      h.answer('a', reset());
      const res = await h.send({ call: CALLS.chat, body: chatBody() });
      expect(res.status).toBe(200);
      expect(h.usage.recent[0].trail).toEqual([
        {
          kind: 'attempt',
          authIndex: 'a'.padEnd(16, '0'),
          source: 'a',
          provider: 'openai-compatibility',
          status: 0,
          message: expect.stringContaining('socket hang up'),
          errorType: 'api_error',
          durationMs: expect.any(Number),
        },
        { kind: 'wait', seconds: 0.01 },
        {
          kind: 'attempt',
          authIndex: 'a'.padEnd(16, '0'),
          source: 'a',
          provider: 'openai-compatibility',
          status: 200,
          durationMs: expect.any(Number),
        },
      ]);
    });

    it('should stop waiting for a cooldown when the client leaves', async () => {
      setup([cand('a')], { config: { 'request-retry': 1, 'max-retry-interval': 60 } });
      h.source.plans = [
        { kind: 'ok', candidates: [cand('a')] },
        { kind: 'cooldown', retryAfterSec: 30 },
      ];
      h.answer('a', { status: 429, body: { error: { message: 'slow down' } } });
      const res = new MemoryResponse();
      const t0 = Date.now();
      const sent = h.send({ call: CALLS.chat, body: chatBody(), res });
      setTimeout(() => res.leave(), 20);
      await sent;
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(h.usage.recent[0]).toMatchObject({ status: 499, errorClass: 'client_abort' });
      expect(h.usage.recent[0].trail).toMatchObject([
        { status: 429 },
        { kind: 'wait', seconds: 30 },
      ]);
    });

    it('should answer 500 in the client format when the pipeline itself throws', async () => {
      setup([cand('a')]);
      jest.spyOn(h.source, 'plan').mockRejectedValue(new Error('boom'));
      const res = await h.send({ call: CALLS.messages, body: claudeBody() });
      expect(res.status).toBe(500);
      expect(res.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
      expect(h.usage.recent[0]).toMatchObject({ status: 500, errorClass: 'internal_error' });
    });

    it('should record the client key, route, URL and address of every request', async () => {
      setup([cand('a')], { config: { 'api-keys': ['sk-client-key-abcdefgh'] } });
      await h.send({
        call: CALLS.chat,
        url: '/v1/chat/completions?key=sk-client-key-abcdefgh',
        body: chatBody(),
      });
      expect(h.usage.recent[0]).toMatchObject({
        api: 'sk-…efgh',
        clientKeyId: expect.stringMatching(/^[0-9a-f]{8}$/),
        route: '/v1/chat/completions',
        clientFormat: 'openai',
        model: 'm',
        upstreamModel: 'up-model',
        provider: 'openai-compatibility',
        url: expect.not.stringContaining('abcdefgh'),
        remoteAddr: '127.0.0.1',
      });
    });
  });

  describe('admission', () => {
    it('should answer 503 with Retry-After while paused, without a usage record', async () => {
      setup([cand('a')]);
      h.pause.setPaused(true);
      const res = await h.send({ call: CALLS.messages, body: claudeBody() });
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('30');
      expect(res.json()).toMatchObject({ type: 'error' });
      expect(h.usage.recent).toEqual([]);
      h.pause.setPaused(false);
      h.pause.setClusterPaused(true);
      expect((await h.send({ call: CALLS.messages, body: claudeBody() })).status).toBe(503);
    });

    it('should refuse a request over its key limit with a usage record, and release leases', async () => {
      let admitted = 0;
      const released: unknown[] = [];
      const limits = {
        enabled: true,
        admit: async (_key: string, model: string) => {
          admitted++;
          if (model === 'over') {
            const refused = AppError.of(
              'CLIENT_RATE_LIMITED',
              { limit: '1 request per minute', retryAfterSec: 7 },
              { headers: { 'retry-after': '7' } },
            );
            return { refused };
          }
          return { lease: { id: admitted } };
        },
        release: (lease: unknown) => released.push(lease),
      } as unknown as LimitsService;
      setup([cand('a')], { limits });
      const over = await h.send({ call: CALLS.chat, body: chatBody({ model: 'over' }) });
      expect(over.status).toBe(429);
      expect(over.headers['retry-after']).toBe('7');
      expect(h.usage.recent[0]).toMatchObject({ model: 'over', status: 429, failed: true });
      expect(h.calls).toEqual([]);
      const ok = await h.send({ call: CALLS.chat, body: chatBody() });
      expect(ok.status).toBe(200);
      expect(released).toEqual([{ id: 2 }]);
    });
  });
});
