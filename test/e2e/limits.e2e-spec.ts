import { keyId } from '@app/common';
import { MetricsService } from '@app/metrics';
import { LimitsRepository } from '@app/proxy';
import { RedisService } from '@app/storage';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';
import { captureUsage, delay, postJson, type RawResponse } from './proxy-e2e.helpers';

// The acceptance test (issue 10): rpm 60 with 3 replicas admits 60..63 requests while they are
// hammered for a "minute". The minute is shortened through the SB_LIMITS_WINDOW_MS test hook;
// scripts/limits-check.mjs runs the same check over a real minute against built processes.
const WINDOW_MS = 4000;

const HAMMERED = 'sk-limits-hammered-0001';
const CLAUDE_KEY = 'sk-limits-claude-0002';
const PICKY = 'sk-limits-models-0003';
const BUSY = 'sk-limits-concurrency-0004';
const TOKENS = 'sk-limits-tokens-0005';
const FREE = 'sk-limits-exempt-0006';

/** A chat request of `key` through replica `gw`. */
function chat(gw: TestGateway, key: string, model = 'gpt-lim'): Promise<RawResponse> {
  return postJson(
    `${gw.url}/v1/chat/completions`,
    { model, messages: [{ role: 'user', content: 'count me' }] },
    { authorization: `Bearer ${key}` },
  );
}

async function rejected(gw: TestGateway, kind: string): Promise<number> {
  const metric = gw.app
    .get(MetricsService)
    .registry.getSingleMetric('switchboard_limits_rejected_total');
  const values = (await metric!.get()).values;
  return values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

describe('per-key limits across three replicas (e2e)', () => {
  let fake: FakeUpstream;
  let gws: TestGateway[];
  const savedWindow = process.env.SB_LIMITS_WINDOW_MS;
  const savedDeadline = process.env.SB_LIMITS_ADMIT_DEADLINE_MS;

  beforeAll(async () => {
    fake = await FakeUpstream.start({ maxRecords: 200 });
    const yaml = `
api-keys: ["${HAMMERED}", "${CLAUDE_KEY}", "${PICKY}", "${BUSY}", "${TOKENS}", "${FREE}"]
redis:
  key-prefix: "${uniquePrefix('limits-e2e')}"
  command-timeout-ms: 5000
limits:
  "*":
    rpm: 60
  "${PICKY}":
    models: ["gemini-*", "gpt-lim"]
  "${BUSY}":
    concurrency: 2
  "${keyId(TOKENS)}":
    tpm: 5
  "${FREE}": {}
openai-compatibility:
  - name: fakeoai
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "lim-upstream"
    models:
      - name: gpt-lim
      - name: gpt-other
`;
    process.env.SB_LIMITS_WINDOW_MS = String(WINDOW_MS);
    // These specs count exact admissions: on a loaded machine, wait for Redis rather than fail
    // open after the production deadline (250 ms), which would admit unchecked.
    process.env.SB_LIMITS_ADMIT_DEADLINE_MS = '5000';
    try {
      gws = [];
      for (let i = 1; i <= 3; i++) gws.push(await startGateway(yaml, `gateway-limits-${i}`));
    } finally {
      if (savedWindow === undefined) delete process.env.SB_LIMITS_WINDOW_MS;
      else process.env.SB_LIMITS_WINDOW_MS = savedWindow;
      if (savedDeadline === undefined) delete process.env.SB_LIMITS_ADMIT_DEADLINE_MS;
      else process.env.SB_LIMITS_ADMIT_DEADLINE_MS = savedDeadline;
    }
  });

  afterAll(async () => {
    for (const gw of gws ?? []) await gw.close();
    await fake?.close();
  });

  beforeEach(() => {
    fake.reset();
  });

  it('should admit between 60 and 63 requests per minute at rpm 60 over three replicas', async () => {
    const statuses = new Map<number, number>();
    let retryAfter = 0;
    let i = 0;
    const t0 = Date.now();
    // Stop a little before the window ends: every admitted request is then still inside it.
    const end = t0 + WINDOW_MS - 300;
    const worker = async () => {
      while (Date.now() < end) {
        const res = await chat(gws[i++ % 3], HAMMERED);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 429) retryAfter = Number(res.headers.get('retry-after'));
      }
    };
    await Promise.all(Array.from({ length: 24 }, worker));
    const admitted = statuses.get(200) ?? 0;
    const refused = statuses.get(429) ?? 0;
    expect(admitted).toBeGreaterThanOrEqual(60);
    expect(admitted).toBeLessThanOrEqual(63);
    // It was a real hammering, and nothing else came back.
    expect(refused).toBeGreaterThan(200);
    expect(admitted + refused).toBe([...statuses.values()].reduce((a, b) => a + b, 0));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
    const counted = await Promise.all(gws.map((gw) => rejected(gw, 'rpm')));
    expect(counted.reduce((a, b) => a + b, 0)).toBe(refused);
  }, 30000);

  it('should answer 429 with Retry-After in each client format and record it as usage', async () => {
    const usage = captureUsage(gws[1]);
    try {
      // All at once, so the window cannot slide under a slow machine.
      const warm = await Promise.all(
        Array.from({ length: 60 }, (_, n) => chat(gws[n % 3], CLAUDE_KEY)),
      );
      expect(warm.every((r) => r.status === 200)).toBe(true);
      const claude = await postJson(
        `${gws[1].url}/v1/messages`,
        { model: 'gpt-lim', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
        { 'x-api-key': CLAUDE_KEY, 'anthropic-version': '2023-06-01' },
      );
      expect(claude.status).toBe(429);
      expect(Number(claude.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(claude.json).toMatchObject({
        type: 'error',
        error: {
          type: 'rate_limit_error',
          code: 'rate_limit_exceeded',
          message: expect.stringContaining('60 requests per minute'),
        },
      });
      const gemini = await postJson(
        `${gws[1].url}/v1beta/models/gpt-lim:generateContent`,
        { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
        { 'x-goog-api-key': CLAUDE_KEY },
      );
      expect(gemini.status).toBe(429);
      expect(gemini.json).toMatchObject({
        error: {
          code: 429,
          status: 'RESOURCE_EXHAUSTED',
          details: expect.arrayContaining([
            expect.objectContaining({ reason: 'rate_limit_exceeded' }),
            expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.RetryInfo' }),
          ]),
        },
      });
      const openai = await chat(gws[1], CLAUDE_KEY);
      expect(openai.json).toMatchObject({
        error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' },
      });
      const refusals = usage.records.filter((r) => r.status === 429);
      expect(refusals).toHaveLength(3);
      for (const r of refusals) {
        expect(r).toMatchObject({
          failed: true,
          errorClass: 'rate_limit_exceeded',
          model: 'gpt-lim',
          clientKeyId: keyId(CLAUDE_KEY),
          attempts: 0,
        });
      }
    } finally {
      usage.stop();
    }
  });

  it('should refuse a model outside the key list with 403 in the client format', async () => {
    expect((await chat(gws[0], PICKY, 'gpt-lim')).status).toBe(200);
    const openai = await chat(gws[0], PICKY, 'gpt-other');
    expect(openai.status).toBe(403);
    expect(openai.json).toMatchObject({
      error: { type: 'permission_error', code: 'model_not_allowed' },
    });
    const gemini = await postJson(
      `${gws[2].url}/v1beta/models/gpt-other:generateContent`,
      { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
      { 'x-goog-api-key': PICKY },
    );
    expect(gemini.status).toBe(403);
    expect(gemini.json).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
    expect(fake.requests().filter((r) => r.model === 'gpt-other')).toHaveLength(0);
  });

  it('should hold at most `concurrency` requests in flight across replicas, and free the slots', async () => {
    fake.slowFirstByte({ ms: 600, times: 10 });
    const results = await Promise.all(
      [0, 1, 2, 0, 1].map(async (g, n) => {
        await delay(n * 20);
        return chat(gws[g], BUSY);
      }),
    );
    const codes = results.map((r) => r.status).sort();
    expect(codes).toEqual([200, 200, 429, 429, 429]);
    const busy = results.find((r) => r.status === 429)!;
    expect(busy.json).toMatchObject({
      error: { message: expect.stringContaining('2 requests at a time') },
    });
    const leases = gws[0].app.get(LimitsRepository).keysFor(keyId(BUSY)).leases;
    const redis = gws[0].app.get(RedisService);
    await waitFor(async () => (await redis.command.zcard(leases)) === 0, {
      what: 'every lease to be released',
    });
    expect((await chat(gws[2], BUSY)).status).toBe(200);
  });

  it('should refuse on tokens per minute once finished requests used them up', async () => {
    const first = await chat(gws[0], TOKENS);
    expect(first.status).toBe(200);
    // The tokens are added after the response, within about 100 ms.
    const refused = await waitFor(
      async () => {
        const r = await chat(gws[1], TOKENS);
        return r.status === 429 ? r : undefined;
      },
      { what: 'the tpm refusal', timeoutMs: 3000 },
    );
    expect(refused.json).toMatchObject({
      error: { message: expect.stringContaining('5 tokens per minute') },
    });
  });

  it('should let a key with an empty entry through whatever the default says', async () => {
    const results = await Promise.all(Array.from({ length: 70 }, (_, n) => chat(gws[n % 3], FREE)));
    expect(results.every((r) => r.status === 200)).toBe(true);
  }, 20000);
});
