import OpenAI from 'openai';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';
import { CredentialService } from '@app/routing';
import { captureUsage, clearRoutingState, delay, postJson } from './proxy-e2e.helpers';

const CLIENT_KEY = 'sk-client-failover';
const AUTH = { authorization: `Bearer ${CLIENT_KEY}` };
const KEYS = ['up-key-a', 'up-key-b', 'up-key-c'];

/** Three keys for one OpenAI-compatible model (tried in order: fill-first); one key per other family. */
function config(fakeUrl: string, extra = ''): string {
  return `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('failover')}"
routing:
  strategy: fill-first
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
${KEYS.map((k) => `      - api-key: "${k}"`).join('\n')}
    models:
      - name: gpt-fake
claude-api-key:
  - api-key: "up-claude"
    base-url: "${fakeUrl}"
    models:
      - name: claude-fake
gemini-api-key:
  - api-key: "up-gemini"
    base-url: "${fakeUrl}"
    models:
      - name: gemini-fake
codex-api-key:
  - api-key: "up-codex"
    base-url: "${fakeUrl}/backend-api/codex"
    models:
      - name: codex-fake
${extra}`;
}

const chat = (model: string, text = 'hello') => ({
  model,
  messages: [{ role: 'user' as const, content: text }],
});

describe('proxy: failover, cooldowns and upstream errors', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let openai: OpenAI;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(config(fake.url), 'gateway-failover');
    openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
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

  const keysSeen = (): (string | undefined)[] => fake.requests().map((r) => r.apiKey);

  it('should fail over on a 429 and skip the cooling key on the next request', async () => {
    fake.fail({ status: 429, retryAfterSeconds: 60, match: { apiKey: 'up-key-a' } });
    const first = await openai.chat.completions.create(chat('gpt-fake', 'one'));
    expect(first.choices[0].message.content).toBe('echo: one');
    expect(keysSeen()).toEqual(['up-key-a', 'up-key-b']);

    fake.clearRequests();
    const second = await openai.chat.completions.create(chat('gpt-fake', 'two'));
    expect(second.choices[0].message.content).toBe('echo: two');
    expect(keysSeen()).toEqual(['up-key-b']);
  });

  it('should relay the upstream error when every key is refused with 401', async () => {
    fake.fail({ status: 401, times: 3 });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chat('gpt-fake'), AUTH);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({
      error: { message: expect.stringContaining('Incorrect API key provided') },
    });
    expect(keysSeen()).toEqual(KEYS);
  });

  it('should send an invalid request straight back without failover', async () => {
    fake.fail({
      status: 400,
      times: 3,
      body: {
        error: {
          message: 'max_tokens is too large',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chat('gpt-fake'), AUTH);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { message: 'max_tokens is too large' } });
    expect(fake.requests()).toHaveLength(1);
  });

  it('should send a 422 straight back too', async () => {
    fake.fail({ status: 422, times: 3 });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chat('gpt-fake'), AUTH);
    expect(res.status).toBe(422);
    expect(fake.requests()).toHaveLength(1);
  });

  it('should answer model_cooldown with Retry-After once every key is cooling down', async () => {
    fake.fail({ status: 429, retryAfterSeconds: 40, times: 3 });
    const first = await postJson(`${gw.url}/v1/chat/completions`, chat('gpt-fake'), AUTH);
    // The first request still reports what the upstream said.
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('40');
    expect(first.json).toMatchObject({ error: { message: expect.stringContaining('Rate limit') } });
    expect(fake.requests()).toHaveLength(3);

    fake.clearRequests();
    const second = await postJson(`${gw.url}/v1/chat/completions`, chat('gpt-fake'), AUTH);
    expect(second.status).toBe(429);
    const retryAfter = Number(second.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(35);
    expect(retryAfter).toBeLessThanOrEqual(40);
    expect(second.json).toEqual({
      error: {
        code: 'model_cooldown',
        message: 'All credentials for model gpt-fake are cooling down',
        reset_seconds: retryAfter,
        type: 'rate_limit_error',
      },
    });
    expect(fake.requests()).toHaveLength(0);

    // Claude and Gemini clients keep their envelopes, with the same code and reset time.
    const claude = await postJson(
      `${gw.url}/v1/messages`,
      { ...chat('gpt-fake'), max_tokens: 10 },
      { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
    );
    expect(claude.status).toBe(429);
    expect(claude.headers.get('retry-after')).toBe(String(retryAfter));
    expect(claude.json).toMatchObject({
      type: 'error',
      error: {
        type: 'rate_limit_error',
        code: 'model_cooldown',
        message: 'All credentials for model gpt-fake are cooling down',
        reset_seconds: retryAfter,
      },
    });
    const gemini = await postJson(
      `${gw.url}/v1beta/models/gpt-fake:generateContent`,
      { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
      { 'x-goog-api-key': CLIENT_KEY },
    );
    expect(gemini.status).toBe(429);
    expect(gemini.json).toMatchObject({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'All credentials for model gpt-fake are cooling down',
        reset_seconds: retryAfter,
        details: expect.arrayContaining([
          expect.objectContaining({ reason: 'model_cooldown' }),
          expect.objectContaining({ retryDelay: `${retryAfter}s` }),
        ]),
      },
    });
  });

  it('should bench a key for as long as Gemini RetryInfo or Codex resets_in_seconds says', async () => {
    fake.fail({ status: 429, retryAfterSeconds: 45, match: { apiKey: 'up-gemini' } });
    fake.fail({ status: 429, retryAfterSeconds: 75, match: { apiKey: 'up-codex' } });
    const gemini = await postJson(`${gw.url}/v1/chat/completions`, chat('gemini-fake'), AUTH);
    const codex = await postJson(`${gw.url}/v1/chat/completions`, chat('codex-fake'), AUTH);
    expect([gemini.status, codex.status]).toEqual([429, 429]);
    // The hints come from the bodies; the client gets them as Retry-After.
    expect(gemini.headers.get('retry-after')).toBe('45');
    expect(codex.headers.get('retry-after')).toBe('75');
    const left = (model: string): number => {
      const e = gw.app
        .get(CredentialService)
        .state.entries()
        .find((x) => x.model === model);
      return Math.round((e!.state.cooldownUntil - Date.now()) / 1000);
    };
    expect(left('gemini-fake')).toBeGreaterThan(40);
    expect(left('gemini-fake')).toBeLessThanOrEqual(45);
    expect(left('codex-fake')).toBeGreaterThan(70);
    expect(left('codex-fake')).toBeLessThanOrEqual(75);
  });

  it('should clear a cooldown after a success', async () => {
    fake.fail({ status: 429, retryAfterSeconds: 1, match: { apiKey: 'up-key-a' } });
    await openai.chat.completions.create(chat('gpt-fake'));
    const entries = () => gw.app.get(CredentialService).state.entries();
    expect(entries()).toHaveLength(1);
    expect(entries()[0].state.lastError?.status).toBe(429);
    // Once the cooldown ends the key serves again, and its success wipes the failure state.
    await delay(1100);
    fake.clearRequests();
    await openai.chat.completions.create(chat('gpt-fake'));
    expect(keysSeen()).toEqual(['up-key-a']);
    await waitFor(() => entries().length === 0, { what: 'the failure state to clear' });
  });

  it('should answer 400 model_not_found naming the model when no credential serves it', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chat('no-such-model'), AUTH);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: {
        message: 'unknown provider for model no-such-model',
        type: 'invalid_request_error',
        code: 'model_not_found',
        param: 'model',
      },
    });
    expect(fake.requests()).toHaveLength(0);
  });

  it('should render an upstream error in the client format with its status and Retry-After', async () => {
    fake.fail({ status: 429, retryAfterSeconds: 7, match: { apiKey: 'up-claude' } });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chat('claude-fake'), AUTH);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    // OpenAI shape, Claude's message.
    expect(res.json).toMatchObject({
      error: {
        type: 'rate_limit_error',
        message: expect.stringContaining('would exceed the rate limit'),
      },
    });
    expect((res.json as { type?: string }).type).toBeUndefined();
  });

  it('should record one usage record per request with the attempts it took', async () => {
    const usage = captureUsage(gw);
    try {
      fake.fail({ status: 503, match: { apiKey: 'up-key-a' } });
      await openai.chat.completions.create(chat('gpt-fake', 'counted'));
      await expect(openai.chat.completions.create(chat('nope'))).rejects.toMatchObject({
        status: 400,
      });
      expect(usage.records).toHaveLength(2);
      const [ok, none] = usage.records;
      expect(ok).toMatchObject({
        model: 'gpt-fake',
        provider: 'openai-compatibility',
        status: 200,
        failed: false,
        stream: false,
        attempts: 2,
        clientKeyId: expect.stringMatching(/^[0-9a-f]{8}$/),
      });
      expect(ok.tokens.input_tokens).toBeGreaterThan(0);
      expect(ok.tokens.output_tokens).toBeGreaterThan(0);
      expect(ok.tokens.total_tokens).toBe(ok.tokens.input_tokens + ok.tokens.output_tokens);
      expect(ok.authIndex).toMatch(/^[0-9a-f]{16}$/);
      expect(JSON.stringify(usage.records)).not.toContain(CLIENT_KEY);
      expect(none).toMatchObject({ model: 'nope', status: 400, failed: true, attempts: 0 });
    } finally {
      usage.stop();
    }
  });
});

describe('proxy: retry rounds (request-retry, max-retry-interval, max-retry-credentials)', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(
      config(fake.url, 'request-retry: 3\nmax-retry-interval: 3\nmax-retry-credentials: 1\n'),
      'gateway-rounds',
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

  it('should try one credential per round and move on in the next round', async () => {
    fake.fail({ status: 500, match: { apiKey: 'up-key-a' } });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chat('gpt-fake'), AUTH);
    expect(res.status).toBe(200);
    expect(fake.requests().map((r) => r.apiKey)).toEqual(['up-key-a', 'up-key-b']);
  });

  it('should wait for a cooldown shorter than max-retry-interval and retry', async () => {
    for (const key of KEYS) {
      fake.fail({ status: 429, retryAfterSeconds: 1, match: { apiKey: key } });
    }
    // One key per round: a, b, c all answer 429; in round 4 every key cools for ~1 s, which is
    // within max-retry-interval, so the gateway waits and key a serves.
    const t0 = Date.now();
    const res = await postJson(`${gw.url}/v1/chat/completions`, chat('gpt-fake'), AUTH);
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    const seen = fake.requests().map((r) => r.apiKey);
    expect(seen).toEqual(['up-key-a', 'up-key-b', 'up-key-c', 'up-key-a']);
  });

  it('should not start another round after an error outside 403/408/429/5xx', async () => {
    fake.fail({ status: 404, times: 3 });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chat('gpt-fake'), AUTH);
    expect(res.status).toBe(404);
    expect(fake.requests()).toHaveLength(1);
  });
});

describe('proxy: disable-cooling', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(config(fake.url, 'disable-cooling: true\n'), 'gateway-no-cooling');
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('should fail over but never bench a key', async () => {
    fake.fail({ status: 429, retryAfterSeconds: 60, match: { apiKey: 'up-key-a' } });
    expect((await postJson(`${gw.url}/v1/chat/completions`, chat('gpt-fake'), AUTH)).status).toBe(
      200,
    );
    fake.clearRequests();
    expect((await postJson(`${gw.url}/v1/chat/completions`, chat('gpt-fake'), AUTH)).status).toBe(
      200,
    );
    // Key a is first in line again at once.
    expect(fake.requests().map((r) => r.apiKey)).toEqual(['up-key-a']);
    const cooling = gw.app
      .get(CredentialService)
      .state.entries()
      .filter((e) => e.state.cooldownUntil > Date.now());
    expect(cooling).toEqual([]);
  });
});
