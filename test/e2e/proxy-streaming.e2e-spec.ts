import { ProxyMetrics } from '@app/proxy';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';
import { captureUsage, clearRoutingState, postJson, sseEvents } from './proxy-e2e.helpers';

const CLIENT_KEY = 'sk-client-streaming';

type ClientFormat = 'openai' | 'claude' | 'gemini' | 'responses';
const FORMATS: readonly ClientFormat[] = ['openai', 'claude', 'gemini', 'responses'];

/** A streaming request in each client format: URL path, headers and body. */
function streamRequest(
  format: ClientFormat,
  model: string,
  text: string,
): { path: string; headers: Record<string, string>; body: unknown } {
  switch (format) {
    case 'openai':
      return {
        path: '/v1/chat/completions',
        headers: { authorization: `Bearer ${CLIENT_KEY}` },
        body: { model, stream: true, messages: [{ role: 'user', content: text }] },
      };
    case 'claude':
      return {
        path: '/v1/messages',
        headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
        body: { model, max_tokens: 100, stream: true, messages: [{ role: 'user', content: text }] },
      };
    case 'gemini':
      return {
        path: `/v1beta/models/${model}:streamGenerateContent?alt=sse`,
        headers: { 'x-goog-api-key': CLIENT_KEY },
        body: { contents: [{ role: 'user', parts: [{ text }] }] },
      };
    case 'responses':
      return {
        path: '/v1/responses',
        headers: { authorization: `Bearer ${CLIENT_KEY}` },
        body: { model, stream: true, input: text },
      };
  }
}

/** The error event that must end a failed stream, per client format. */
function expectStreamError(format: ClientFormat, text: string): void {
  const events = sseEvents(text);
  expect(events.length).toBeGreaterThan(0);
  const last = events[events.length - 1];
  switch (format) {
    case 'openai': {
      expect(last.data).toBe('[DONE]');
      const error = events.find((e) => e.data.startsWith('{"error"'));
      expect(JSON.parse(error!.data)).toMatchObject({ error: { message: expect.any(String) } });
      break;
    }
    case 'claude': {
      const error = events.find((e) => e.event === 'error');
      expect(JSON.parse(error!.data)).toMatchObject({
        type: 'error',
        error: { type: expect.any(String), message: expect.any(String) },
      });
      expect(events.some((e) => e.event === 'message_stop')).toBe(false);
      break;
    }
    case 'gemini':
      expect(JSON.parse(last.data)).toMatchObject({
        error: { code: expect.any(Number), message: expect.any(String) },
      });
      break;
    case 'responses': {
      const failed = events.find((e) => e.event === 'response.failed');
      expect(JSON.parse(failed!.data)).toMatchObject({
        type: 'response.failed',
        response: { status: 'failed', error: { message: expect.any(String) } },
      });
      expect(events.some((e) => e.event === 'response.completed')).toBe(false);
      break;
    }
  }
}

/** The fields of a stream frame the text lives in, across the client formats. */
interface Frame {
  choices?: { delta?: { content?: string } }[];
  delta?: { type?: string; text?: string } | string;
  candidates?: { content?: { parts?: { text?: string }[] } }[];
}

/** The answer text a stream carries, assembled per client format. */
function streamedText(format: ClientFormat, text: string): string {
  let out = '';
  for (const e of sseEvents(text)) {
    if (!e.data.startsWith('{')) continue;
    const d = JSON.parse(e.data) as Frame;
    if (format === 'openai') out += d.choices?.[0]?.delta?.content ?? '';
    else if (format === 'claude') {
      if (typeof d.delta === 'object' && d.delta.type === 'text_delta') out += d.delta.text ?? '';
    } else if (format === 'gemini') out += d.candidates?.[0]?.content?.parts?.[0]?.text ?? '';
    else if (e.event === 'response.output_text.delta' && typeof d.delta === 'string') {
      out += d.delta;
    }
  }
  return out;
}

/** Gauge value now. */
async function gauge(gw: TestGateway, name: 'openStreams' | 'inFlight'): Promise<number> {
  const g = await gw.app.get(ProxyMetrics)[name].get();
  return g.values[0]?.value ?? 0;
}

describe('proxy streaming: keep-alives, timeouts, aborts and broken upstreams', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let baseline: { open: number; inFlight: number };

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(
      `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('stream')}"
routing:
  strategy: fill-first
streaming:
  keepalive-seconds: 1
upstream-timeouts:
  header-seconds: 0.4
  idle-seconds: 1.5
openai-compatibility:
  - name: fakeoai
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "s-key-1"
      - api-key: "s-key-2"
    models:
      - name: gpt-s
  - name: solo
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "solo-key"
    models:
      - name: gpt-solo
claude-api-key:
  - api-key: "s-claude"
    base-url: "${fake.url}"
    models:
      - name: claude-s
`,
      'gateway-streaming',
    );
    baseline = { open: await gauge(gw, 'openStreams'), inFlight: await gauge(gw, 'inFlight') };
  });

  afterAll(async () => {
    // Every stream opened above, aborted or broken, must have been accounted for.
    expect(await gauge(gw, 'openStreams')).toBe(baseline.open);
    expect(await gauge(gw, 'inFlight')).toBe(baseline.inFlight);
    await gw?.close();
    await fake?.close();
  });

  beforeEach(async () => {
    fake.reset();
    fake.clearRequests();
    fake.configure({ streamChunks: 5 });
    await clearRoutingState(gw);
  });

  const stream = (format: ClientFormat, model: string, text: string) => {
    const r = streamRequest(format, model, text);
    return postJson(`${gw.url}${r.path}`, r.body, r.headers);
  };

  it('should send SSE keep-alives while the upstream is silent', async () => {
    const frame = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-s', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    fake.onRequest(() => ({
      chunks: [
        frame({ role: 'assistant', content: 'slow hello' }, null),
        `${frame({}, 'stop')}data: [DONE]\n\n`,
      ],
    }));
    fake.delayBetweenChunks(1400);
    const res = await stream('openai', 'gpt-s', 'slow one');
    expect(res.status).toBe(200);
    const comment = res.text.indexOf(': keep-alive');
    expect(comment).toBeGreaterThan(res.text.indexOf('slow hello'));
    expect(comment).toBeLessThan(res.text.indexOf('"finish_reason":"stop"'));
    expect(streamedText('openai', res.text)).toBe('slow hello');
  });

  it('should record one usage record for a finished stream with every token kind', async () => {
    const usage = captureUsage(gw);
    try {
      fake.configure({ cachedTokens: 2 });
      const res = await postJson(
        `${gw.url}/v1/chat/completions`,
        {
          model: 'gpt-solo',
          stream: true,
          reasoning_effort: 'high',
          messages: [{ role: 'user', content: 'think about it, then answer' }],
        },
        { authorization: `Bearer ${CLIENT_KEY}` },
      );
      expect(res.status).toBe(200);
      await waitFor(() => usage.records.length === 1, { what: 'the usage record' });
      await new Promise((r) => setTimeout(r, 50));
      expect(usage.records).toHaveLength(1);
      const rec = usage.records[0];
      expect(rec).toMatchObject({
        model: 'gpt-solo',
        upstreamModel: 'gpt-solo',
        provider: 'openai-compatibility',
        route: '/v1/chat/completions',
        clientFormat: 'openai',
        stream: true,
        status: 200,
        failed: false,
        attempts: 1,
        authIndex: expect.stringMatching(/^[0-9a-f]{16}$/),
        clientKeyId: expect.stringMatching(/^[0-9a-f]{8}$/),
      });
      expect(rec.api).not.toBe(CLIENT_KEY);
      expect(rec.ttfbMs).toBeGreaterThanOrEqual(0);
      expect(rec.latencyMs).toBeGreaterThanOrEqual(rec.ttfbMs!);
      const t = rec.tokens;
      expect(t.input_tokens).toBeGreaterThan(0);
      expect(t.output_tokens).toBeGreaterThan(t.reasoning_tokens);
      expect(t.reasoning_tokens).toBeGreaterThan(0);
      expect(t.cached_tokens).toBe(2);
      expect(t.total_tokens).toBe(t.input_tokens + t.output_tokens);
    } finally {
      usage.stop();
    }
  });

  it('should fail over when the first byte is slower than header-seconds', async () => {
    fake.slowFirstByte({ ms: 2000, match: { apiKey: 's-key-1' } });
    const t0 = Date.now();
    const res = await stream('openai', 'gpt-s', 'fast please');
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(fake.requests().map((r) => r.apiKey)).toEqual(['s-key-1', 's-key-2']);
  });

  it('should answer a clear 504 when the only key is too slow', async () => {
    fake.slowFirstByte({ ms: 2000 });
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'gpt-solo', messages: [{ role: 'user', content: 'x' }] },
      { authorization: `Bearer ${CLIENT_KEY}` },
    );
    expect(res.status).toBe(504);
    expect(res.json).toMatchObject({
      error: { message: expect.stringContaining('upstream-timeouts.header-seconds') },
    });
  });

  it('should abort the upstream within 100 ms of a client disconnect and record the usage so far', async () => {
    const usage = captureUsage(gw);
    try {
      fake.delayBetweenChunks(150);
      const r = streamRequest('claude', 'claude-s', 'a long story that will be cut');
      const controller = new AbortController();
      const res = await fetch(`${gw.url}${r.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...r.headers },
        body: JSON.stringify(r.body),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let seen = '';
      while (!seen.includes('content_block_delta')) {
        const { value } = await reader.read();
        seen += decoder.decode(value, { stream: true });
      }
      expect(await gauge(gw, 'openStreams')).toBe(baseline.open + 1);
      const abortedAt = Date.now();
      controller.abort();
      await fake.waitForAborts(1);
      const upstream = fake.requests()[0];
      expect(upstream.abortedAt! - abortedAt).toBeLessThan(100);

      await waitFor(() => usage.records.length === 1, { what: 'the usage record' });
      expect(usage.records[0]).toMatchObject({
        model: 'claude-s',
        provider: 'claude',
        stream: true,
        status: 499,
        failed: true,
        errorClass: 'client_abort',
      });
      // Claude reports input tokens up front; the output so far is estimated from what was seen.
      expect(usage.records[0].tokens.input_tokens).toBeGreaterThan(0);
      expect(usage.records[0].tokens.output_tokens).toBeGreaterThan(0);
      await waitFor(async () => (await gauge(gw, 'openStreams')) === baseline.open);
    } finally {
      usage.stop();
    }
  });

  it('should abort a pending non-stream upstream call when the client leaves', async () => {
    const usage = captureUsage(gw);
    try {
      fake.slowFirstByte({ ms: 1000 });
      const controller = new AbortController();
      const pending = fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
        body: JSON.stringify({ model: 'gpt-solo', messages: [{ role: 'user', content: 'bye' }] }),
        signal: controller.signal,
      });
      await waitFor(() => fake.requests().length === 1);
      const abortedAt = Date.now();
      controller.abort();
      await expect(pending).rejects.toThrow();
      await fake.waitForAborts(1);
      expect(fake.requests()[0].abortedAt! - abortedAt).toBeLessThan(100);
      await waitFor(() => usage.records.length === 1);
      expect(usage.records[0]).toMatchObject({ stream: false, status: 499, failed: true });
    } finally {
      usage.stop();
    }
  });

  it.each([
    ['resets mid-stream', (f: FakeUpstream) => f.resetMidStream({ afterChunks: 2, times: 4 })],
    ['sends garbage SSE', (f: FakeUpstream) => f.garbageStream({ times: 4 })],
    ['never ends (idle timeout)', (f: FakeUpstream) => f.neverEnd({ times: 4 })],
  ])(
    'should end every client format with an error event when the upstream %s',
    async (_what, inject) => {
      const usage = captureUsage(gw);
      try {
        inject(fake);
        const results = await Promise.all(
          FORMATS.map(async (format) => ({
            format,
            res: await stream(format, 'gpt-solo', `broken ${format}`),
          })),
        );
        for (const { format, res } of results) {
          expect(res.status).toBe(200);
          expectStreamError(format, res.text);
        }
        await waitFor(() => usage.records.length === FORMATS.length);
        for (const rec of usage.records) {
          expect(rec).toMatchObject({ stream: true, failed: true });
          expect(rec.status).toBeGreaterThanOrEqual(500);
        }
      } finally {
        usage.stop();
      }
    },
  );
});

describe('proxy streaming: bootstrap retries and non-stream keep-alives', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(
      `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('bootstrap')}"
routing:
  strategy: fill-first
nonstream-keepalive-interval: 1
streaming:
  bootstrap-retries: 1
openai-compatibility:
  - name: fakeoai
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "b-key-1"
      - api-key: "b-key-2"
    models:
      - name: gpt-b
`,
      'gateway-bootstrap',
    );
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  beforeEach(async () => {
    fake.reset();
    fake.clearRequests();
    await clearRoutingState(gw);
  });

  it.each(FORMATS)(
    'should retry a stream that failed before its first event on the next key (%s client)',
    async (format) => {
      fake.resetMidStream({ afterChunks: 0, match: { apiKey: 'b-key-1' } });
      const r = streamRequest(format, 'gpt-b', 'bootstrap me');
      const res = await postJson(`${gw.url}${r.path}`, r.body, r.headers);
      expect(res.status).toBe(200);
      expect(streamedText(format, res.text)).toBe('echo: bootstrap me');
      expect(res.text).not.toMatch(/"error":\{|event: error|response\.failed/);
      expect(fake.requests().map((q) => q.apiKey)).toEqual(['b-key-1', 'b-key-2']);
    },
  );

  it('should keep a slow non-stream request alive with blank lines', async () => {
    fake.slowFirstByte({ ms: 2300 });
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'gpt-b', messages: [{ role: 'user', content: 'take your time' }] },
      { authorization: `Bearer ${CLIENT_KEY}` },
    );
    expect(res.status).toBe(200);
    expect(res.text.startsWith('\n\n')).toBe(true);
    expect(res.json).toMatchObject({
      choices: [{ message: { content: 'echo: take your time' } }],
    });
  });
});
