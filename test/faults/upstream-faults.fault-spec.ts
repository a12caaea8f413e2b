// Upstream faults the existing e2e specs do not already cover (docs/testing.md, "Faults"):
// a 429 storm, 5xx answers and broken non-stream bodies, in every client format, with failover
// where the design says so. Streams cut, garbled or left hanging, and slow first bytes on
// streams, are covered by test/e2e/proxy-streaming.e2e-spec.ts; single 429s, 401s, 400/422 and
// cooldowns by test/e2e/proxy-failover.e2e-spec.ts.
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix } from '@test/utils/env';
import {
  captureUsage,
  clearRoutingState,
  postJson,
  type RawResponse,
} from '../e2e/proxy-e2e.helpers';

const CLIENT_KEY = 'sk-upstream-faults-client';

type ClientFormat = 'openai' | 'claude' | 'gemini' | 'responses';
const FORMATS: readonly ClientFormat[] = ['openai', 'claude', 'gemini', 'responses'];

/** A non-stream request of `format` for `model`. */
function ask(gw: TestGateway, format: ClientFormat, model: string): Promise<RawResponse> {
  const text = `fault ${format}`;
  switch (format) {
    case 'openai':
      return postJson(
        `${gw.url}/v1/chat/completions`,
        { model, messages: [{ role: 'user', content: text }] },
        { authorization: `Bearer ${CLIENT_KEY}` },
      );
    case 'claude':
      return postJson(
        `${gw.url}/v1/messages`,
        { model, max_tokens: 50, messages: [{ role: 'user', content: text }] },
        { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
      );
    case 'gemini':
      return postJson(
        `${gw.url}/v1beta/models/${model}:generateContent`,
        { contents: [{ role: 'user', parts: [{ text }] }] },
        { 'x-goog-api-key': CLIENT_KEY },
      );
    case 'responses':
      return postJson(
        `${gw.url}/v1/responses`,
        { model, input: text },
        { authorization: `Bearer ${CLIENT_KEY}` },
      );
  }
}

/** The error body of `format` carrying `status`; returns its message. */
function expectError(format: ClientFormat, res: RawResponse, status: number): string {
  expect(res.status).toBe(status);
  const body = res.json as Record<string, Record<string, unknown>>;
  switch (format) {
    case 'openai':
    case 'responses':
      expect(body.error).toMatchObject({ message: expect.any(String), type: expect.any(String) });
      return String(body.error.message);
    case 'claude':
      expect(body).toMatchObject({
        type: 'error',
        error: { type: expect.any(String), message: expect.any(String) },
      });
      return String(body.error.message);
    case 'gemini':
      expect(body.error).toMatchObject({
        code: status,
        message: expect.any(String),
        status: expect.any(String),
      });
      return String(body.error.message);
  }
}

/** The answer text of a successful non-stream response in `format`. */
function answerText(format: ClientFormat, res: RawResponse): string {
  const b = res.json as Record<string, unknown>;
  switch (format) {
    case 'openai':
      return (b.choices as { message: { content: string } }[])[0].message.content;
    case 'claude':
      return (b.content as { text: string }[])[0].text;
    case 'gemini':
      return (b.candidates as { content: { parts: { text: string }[] } }[])[0].content.parts[0]
        .text;
    case 'responses':
      return (b.output as { content?: { text?: string }[] }[])
        .flatMap((o) => o.content ?? [])
        .map((c) => c.text ?? '')
        .join('');
  }
}

describe('fault: upstream errors in every client format', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start({ maxRecords: 2000 });
    gw = await startGateway(
      `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('upstream-faults')}"
routing:
  strategy: fill-first
upstream-timeouts:
  header-seconds: 0.5
  idle-seconds: 0.8
openai-compatibility:
  - name: storm
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "storm-1"
      - api-key: "storm-2"
      - api-key: "storm-3"
    models:
      - name: storm-m
  - name: pair
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "pair-1"
      - api-key: "pair-2"
    models:
      - name: pair-m
  - name: solo
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "solo-1"
    models:
      - name: solo-m
`,
      'gateway-upstream-faults',
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

  it('should weather a 429 storm: every client gets 429 + Retry-After, and the upstream is spared', async () => {
    fake.fail({ status: 429, retryAfterSeconds: 30, times: Infinity });
    // Wave 1 meets the storm: each key is tried at most once per request, then benched.
    const wave1 = await Promise.all(
      Array.from({ length: 40 }, (_, i) => ask(gw, FORMATS[i % 4], 'storm-m')),
    );
    wave1.forEach((res, i) => {
      expectError(FORMATS[i % 4], res, 429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });
    const upstreamCalls = fake.requests().length;
    expect(upstreamCalls).toBeGreaterThanOrEqual(3);
    expect(upstreamCalls).toBeLessThanOrEqual(40 * 3);

    // Wave 2: every key is cooling down; the gateway answers alone.
    const wave2 = await Promise.all(
      Array.from({ length: 100 }, (_, i) => ask(gw, FORMATS[i % 4], 'storm-m')),
    );
    wave2.forEach((res, i) => {
      const message = expectError(FORMATS[i % 4], res, 429);
      expect(message).toContain('cooling down');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(20);
    });
    expect(fake.requests()).toHaveLength(upstreamCalls);
  });

  it.each([500, 502, 503])(
    'should relay a %i from the only key in each client format',
    async (status) => {
      fake.fail({ status, times: Infinity });
      for (const format of FORMATS) {
        // One at a time, each with a fresh key: a 5xx benches the key for a minute.
        await clearRoutingState(gw);
        expectError(format, await ask(gw, format, 'solo-m'), status);
      }
    },
  );

  it.each([500, 503])('should fail over from a %i to the next key', async (status) => {
    const usage = captureUsage(gw);
    try {
      for (const format of FORMATS) {
        await clearRoutingState(gw);
        fake.fail({ status, match: { apiKey: 'pair-1' } });
        const res = await ask(gw, format, 'pair-m');
        expect(res.status).toBe(200);
        expect(answerText(format, res)).toBe(`echo: fault ${format}`);
      }
      expect(usage.records.map((r) => [r.status, r.attempts])).toEqual(FORMATS.map(() => [200, 2]));
    } finally {
      usage.stop();
    }
  });

  it.each([
    [
      'a connection reset halfway through the body',
      (f: FakeUpstream, m: object) => f.resetMidStream({ afterChunks: 0, ...m }),
    ],
    ['an unparseable body', (f: FakeUpstream, m: object) => f.garbageStream(m)],
    ['a body that never ends', (f: FakeUpstream, m: object) => f.neverEnd(m)],
    [
      'a first byte later than header-seconds',
      (f: FakeUpstream, m: object) => f.slowFirstByte({ ms: 1500, ...m }),
    ],
  ])(
    'should fail over from %s, and answer 5xx in each format when no key is left',
    async (_what, inject) => {
      for (const format of FORMATS) {
        await clearRoutingState(gw);
        inject(fake, { match: { apiKey: 'pair-1' } });
        const ok = await ask(gw, format, 'pair-m');
        expect(ok.status).toBe(200);
        expect(answerText(format, ok)).toBe(`echo: fault ${format}`);
      }
      for (const format of FORMATS) {
        await clearRoutingState(gw);
        inject(fake, { match: { apiKey: 'solo-1' } });
        const res = await ask(gw, format, 'solo-m');
        expect(res.status).toBeGreaterThanOrEqual(502);
        expect(res.status).toBeLessThanOrEqual(504);
        expectError(format, res, res.status);
      }
    },
  );
});
