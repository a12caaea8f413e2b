import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
import { maskKey } from '@app/common';
import { createGatewayApp } from '@app/gateway/app.factory';
import { RedisService } from '@app/storage';
import type { UsageSnapshot } from '@app/usage';
import { FakeUpstream, type RecordedRequest } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';

const KEY_A = 'sk-usage-alpha-1111';
const KEY_B = 'sk-usage-bravo-2222';
const ADMIN = 'usage-admin-key';
const TOTAL = 1000;
const CONCURRENCY = 20;
const UNKNOWN_MODEL = 'no-such-model';
const FAULTS = { 'gpt-fake': 60, 'claude-fake': 40 } as const;

function configFor(fakeUrl: string, prefix: string): string {
  return `# usage e2e
api-keys: ["${KEY_A}", "${KEY_B}"]
# statistics on
usage-statistics-enabled: true
disable-cooling: true
remote-management:
  secret-key: "${ADMIN}"
redis:
  key-prefix: "${prefix}"
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "up-openai-key"
    models:
      - name: gpt-fake
claude-api-key:
  - api-key: "up-claude-key"
    base-url: "${fakeUrl}"
    models:
      - name: claude-fake
gemini-api-key:
  - api-key: "up-gemini-key"
    base-url: "${fakeUrl}"
    models:
      - name: gemini-fake
`;
}

/** A second replica on the SAME config file (as replicas sharing one bind-mounted config.yaml). */
async function startReplicaOn(
  configPath: string,
  name: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const saved = {
    CONFIG_PATH: process.env.CONFIG_PATH,
    SB_PROCESS_NAME: process.env.SB_PROCESS_NAME,
  };
  process.env.CONFIG_PATH = configPath;
  process.env.SB_PROCESS_NAME = name;
  try {
    const app = await createGatewayApp({ logger: ['error'], accessLog: false });
    await app.listen(0, '127.0.0.1');
    await app.get(RedisService).waitReady(5000);
    const addr = app.getHttpServer().address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
  } finally {
    process.env.CONFIG_PATH = saved.CONFIG_PATH;
    process.env.SB_PROCESS_NAME = saved.SB_PROCESS_NAME;
  }
}

async function mgmt(base: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}/v0/management${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      'content-type': 'application/json',
      ...(init.headers ?? {}),
    },
  });
}

async function usageOf(
  base: string,
  query = '',
): Promise<{ usage: UsageSnapshot; failed_requests: number }> {
  const res = await mgmt(base, `/usage${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { usage: UsageSnapshot; failed_requests: number };
}

/** Run `count` jobs with at most `limit` in flight. */
async function pool(
  count: number,
  limit: number,
  job: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

async function settle(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch {
    // failures are part of the mix; the fake and the gateway account for them
  }
}

/** One request of the mix: key, replica, client format, stream or not, model. */
async function send(
  i: number,
  gw: [TestGateway, TestGateway],
): Promise<{ key: string; model: string; viaFake: boolean }> {
  const key = i % 2 === 0 ? KEY_A : KEY_B;
  const base = gw[(i >> 1) % 2].url;
  const text = `usage probe u=${i}`;
  const kind = i % 9;
  const openai = new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0 });
  const anthropic = new Anthropic({ apiKey: key, baseURL: base, maxRetries: 0 });
  switch (kind) {
    case 0:
      await settle(
        openai.chat.completions.create({
          model: 'gpt-fake',
          messages: [{ role: 'user', content: text }],
        }),
      );
      return { key, model: 'gpt-fake', viaFake: true };
    case 1: {
      const run = async () => {
        const s = await openai.chat.completions.create({
          model: 'claude-fake',
          messages: [{ role: 'user', content: text }],
          stream: true,
          stream_options: { include_usage: true },
        });
        for await (const _chunk of s) void _chunk;
      };
      await settle(run());
      return { key, model: 'claude-fake', viaFake: true };
    }
    case 2:
      await settle(
        anthropic.messages.create({
          model: 'claude-fake',
          max_tokens: 64,
          messages: [{ role: 'user', content: text }],
        }),
      );
      return { key, model: 'claude-fake', viaFake: true };
    case 3:
      await settle(
        anthropic.messages
          .stream({
            model: 'gemini-fake',
            max_tokens: 64,
            messages: [{ role: 'user', content: text }],
          })
          .finalMessage(),
      );
      return { key, model: 'gemini-fake', viaFake: true };
    case 4:
    case 5: {
      const stream = kind === 5;
      const url = `${base}/v1beta/models/gemini-fake:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text }] }] }),
      });
      await res.text();
      return { key, model: 'gemini-fake', viaFake: true };
    }
    case 6: {
      const run = async () => {
        const s = await openai.chat.completions.create({
          model: 'gpt-fake',
          messages: [{ role: 'user', content: text }],
          stream: true,
          stream_options: { include_usage: true },
        });
        for await (const _chunk of s) void _chunk;
      };
      await settle(run());
      return { key, model: 'gpt-fake', viaFake: true };
    }
    case 7:
      await settle(openai.responses.create({ model: 'claude-fake', input: text }));
      return { key, model: 'claude-fake', viaFake: true };
    default:
      // No credential serves it: a failure the gateway records without asking anyone.
      await settle(
        openai.chat.completions.create({
          model: UNKNOWN_MODEL,
          messages: [{ role: 'user', content: text }],
        }),
      );
      return { key, model: UNKNOWN_MODEL, viaFake: false };
  }
}

interface Expected {
  total: number;
  failed: number;
  tokens: number;
  perKey: Map<string, { requests: number; tokens: number }>;
  perModel: Map<string, { requests: number; tokens: number }>;
}

/** What the snapshot must say, from what the fake upstream actually answered. */
function expectedFrom(
  sent: { key: string; model: string; viaFake: boolean }[],
  seen: RecordedRequest[],
): Expected {
  const byIndex = new Map<number, RecordedRequest>();
  for (const r of seen) {
    const m = /u=(\d+)/.exec(JSON.stringify(r.body ?? ''));
    if (m) byIndex.set(Number(m[1]), r);
  }
  const e: Expected = { total: 0, failed: 0, tokens: 0, perKey: new Map(), perModel: new Map() };
  sent.forEach((s, i) => {
    let failed = true;
    let tokens = 0;
    if (s.viaFake) {
      const r = byIndex.get(i);
      if (!r) throw new Error(`request ${i} never reached the fake upstream`);
      failed = (r.status ?? 0) >= 400;
      tokens = failed ? 0 : (r.answer?.usage.totalTokens ?? 0);
    }
    e.total++;
    if (failed) e.failed++;
    e.tokens += tokens;
    const api = maskKey(s.key);
    const k = e.perKey.get(api) ?? { requests: 0, tokens: 0 };
    e.perKey.set(api, { requests: k.requests + 1, tokens: k.tokens + tokens });
    const mk = `${api}|${s.model}`;
    const m = e.perModel.get(mk) ?? { requests: 0, tokens: 0 };
    e.perModel.set(mk, { requests: m.requests + 1, tokens: m.tokens + tokens });
  });
  return e;
}

describe('usage statistics across two replicas (e2e)', () => {
  let fake: FakeUpstream;
  let gw: [TestGateway, TestGateway];
  let expected: Expected;
  const prefix = uniquePrefix('usage-e2e');

  beforeAll(async () => {
    fake = await FakeUpstream.start({ maxRecords: 5000 });
    const yaml = configFor(fake.url, prefix);
    gw = [await startGateway(yaml, 'gateway-usage-1'), await startGateway(yaml, 'gateway-usage-2')];
    fake.fail({ status: 500, times: FAULTS['gpt-fake'], match: { model: 'gpt-fake' } });
    fake.fail({ status: 503, times: FAULTS['claude-fake'], match: { model: 'claude-fake' } });
    const sent = new Array<{ key: string; model: string; viaFake: boolean }>(TOTAL);
    await pool(TOTAL, CONCURRENCY, async (i) => {
      sent[i] = await send(i, gw);
    });
    expect(fake.pendingFaults()).toBe(0);
    expected = expectedFrom(sent, fake.requests());
  }, 120_000);

  afterAll(async () => {
    for (const g of gw ?? []) await g?.close();
    await fake?.close();
  });

  it('should count every request exactly once, on both replicas', async () => {
    const { usage, failed_requests } = await waitFor(
      async () => {
        const body = await usageOf(gw[0].url);
        return body.usage.total_requests >= TOTAL ? body : undefined;
      },
      { timeoutMs: 10_000, what: `${TOTAL} requests in /usage` },
    );
    expect(usage.total_requests).toBe(TOTAL);
    expect(usage.failure_count).toBe(expected.failed);
    expect(failed_requests).toBe(expected.failed);
    expect(usage.success_count).toBe(TOTAL - expected.failed);
    expect(usage.total_tokens).toBe(expected.tokens);
    // The fake answered real failures: the faults plus the unknown model.
    expect(expected.failed).toBeGreaterThanOrEqual(FAULTS['gpt-fake'] + FAULTS['claude-fake']);
    // Later flushes (nothing is still buffered) must not add to it.
    await new Promise((r) => setTimeout(r, 1200));
    expect((await usageOf(gw[1].url)).usage).toEqual((await usageOf(gw[0].url)).usage);
    expect((await usageOf(gw[1].url)).usage.total_requests).toBe(TOTAL);
  });

  it('should give exact per-key and per-model requests and tokens', async () => {
    const { usage } = await usageOf(gw[1].url);
    expect(Object.keys(usage.apis).sort()).toEqual([...expected.perKey.keys()].sort());
    for (const [api, want] of expected.perKey) {
      expect({
        api,
        requests: usage.apis[api].total_requests,
        tokens: usage.apis[api].total_tokens,
      }).toEqual({
        api,
        ...want,
      });
    }
    for (const [k, want] of expected.perModel) {
      const [api, model] = k.split('|');
      const m = usage.apis[api].models[model];
      expect({
        k,
        requests: m.total_requests,
        tokens: m.total_tokens,
        details: m.details.length,
      }).toEqual({
        k,
        ...want,
        details: want.requests,
      });
    }
    const byDay = Object.values(usage.requests_by_day).reduce((a, b) => a + b, 0);
    const byHour = Object.values(usage.requests_by_hour).reduce((a, b) => a + b, 0);
    expect([byDay, byHour]).toEqual([TOTAL, TOTAL]);
    expect(Object.values(usage.tokens_by_day).reduce((a, b) => a + b, 0)).toBe(expected.tokens);
  });

  it('should narrow the snapshot by key and model', async () => {
    const api = maskKey(KEY_B);
    const { usage } = await usageOf(
      gw[0].url,
      `?api=${encodeURIComponent(api)}&model=gemini-fake&from=2000-01-01`,
    );
    const want = expected.perModel.get(`${api}|gemini-fake`)!;
    expect(Object.keys(usage.apis)).toEqual([api]);
    expect(usage.total_requests).toBe(want.requests);
    expect(usage.total_tokens).toBe(want.tokens);
  });

  it('should answer 400 for a bad time range', async () => {
    const res = await mgmt(gw[0].url, '/usage?from=tomorrow');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^from must be an ISO 8601 time/,
    );
  });

  it('should expose the recorder metrics', async () => {
    const text = await (await fetch(`${gw[0].url}/metrics`)).text();
    expect(text).toMatch(/^switchboard_usage_records_buffered 0$/m);
    expect(text).toMatch(/^switchboard_usage_records_dropped_total 0$/m);
    expect(text).toMatch(/^switchboard_usage_flush_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^switchboard_usage_flush_errors_total 0$/m);
  });

  it('should reproduce the snapshot by export and import into an empty deployment, once', async () => {
    const source = (await usageOf(gw[0].url)).usage;
    const exportRes = await mgmt(gw[0].url, '/usage/export');
    expect(exportRes.status).toBe(200);
    const exported = (await exportRes.json()) as {
      version: number;
      exported_at: string;
      usage: UsageSnapshot;
    };
    expect(exported.version).toBe(1);
    expect(Date.parse(exported.exported_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(exported.usage).toEqual(source);

    const fresh = await startGateway(
      configFor(fake.url, uniquePrefix('usage-e2e-import')),
      'gateway-usage-import',
    );
    try {
      const empty = (await usageOf(fresh.url)).usage;
      expect(empty.total_requests).toBe(0);
      const body = JSON.stringify(exported);
      const first = await mgmt(fresh.url, '/usage/import', { method: 'POST', body });
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({
        added: TOTAL,
        skipped: 0,
        total_requests: TOTAL,
        failed_requests: expected.failed,
      });
      expect((await usageOf(fresh.url)).usage).toEqual(source);

      const second = await mgmt(fresh.url, '/usage/import', { method: 'POST', body });
      expect(await second.json()).toEqual({
        added: 0,
        skipped: TOTAL,
        total_requests: TOTAL,
        failed_requests: expected.failed,
      });
      expect((await usageOf(fresh.url)).usage).toEqual(source);

      const bad = await mgmt(fresh.url, '/usage/import', {
        method: 'POST',
        body: JSON.stringify({ version: 7, usage: {} }),
      });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: 'unsupported version 7: expected 0 or 1' });
    } finally {
      await fresh.close();
    }
  });

  it('should keep the statistics across a restart of both replicas', async () => {
    const before = (await usageOf(gw[0].url)).usage;
    const yaml = readFileSync(gw[0].configPath, 'utf8');
    await gw[0].close();
    await gw[1].close();
    gw = [
      await startGateway(yaml, 'gateway-usage-1b'),
      await startGateway(yaml, 'gateway-usage-2b'),
    ];
    expect((await usageOf(gw[1].url)).usage).toEqual(before);
  });
});

describe('usage-statistics-enabled (e2e, two replicas on one config.yaml)', () => {
  let fake: FakeUpstream;
  let first: TestGateway;
  let second: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    first = await startGateway(
      configFor(fake.url, uniquePrefix('usage-toggle')),
      'gateway-toggle-1',
    );
    second = await startReplicaOn(first.configPath, 'gateway-toggle-2');
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
    await fake?.close();
  });

  const enabledOn = async (base: string) =>
    ((await (await mgmt(base, '/usage-statistics-enabled')).json()) as Record<string, boolean>)[
      'usage-statistics-enabled'
    ];

  const chat = (base: string) =>
    new OpenAI({ apiKey: KEY_A, baseURL: `${base}/v1`, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'toggle' }],
    });

  it('should persist the toggle, keep the comments, and apply it on the other replica', async () => {
    expect(await enabledOn(second.url)).toBe(true);
    await chat(second.url);
    await waitFor(async () => (await usageOf(first.url)).usage.total_requests === 1, {
      what: 'the first record',
    });

    const off = await mgmt(first.url, '/usage-statistics-enabled', {
      method: 'PUT',
      body: '{"value": false}',
    });
    expect(off.status).toBe(200);
    expect(await off.json()).toEqual({ status: 'ok' });
    const text = readFileSync(first.configPath, 'utf8');
    expect(text).toContain('# statistics on\nusage-statistics-enabled: false\n');
    expect(text).toContain('# usage e2e\n');

    await waitFor(async () => (await enabledOn(second.url)) === false, {
      timeoutMs: 3000,
      what: 'the other replica',
    });
    await chat(second.url);
    await new Promise((r) => setTimeout(r, 800));
    expect((await usageOf(first.url)).usage.total_requests).toBe(1);

    const on = await mgmt(second.url, '/usage-statistics-enabled', {
      method: 'PATCH',
      body: '{"value": true}',
    });
    expect(on.status).toBe(200);
    await waitFor(async () => (await enabledOn(first.url)) === true, {
      timeoutMs: 3000,
      what: 'the first replica',
    });
    await chat(first.url);
    await waitFor(async () => (await usageOf(second.url)).usage.total_requests === 2, {
      what: 'recording again',
    });
  });

  it('should answer 400 naming the expected type', async () => {
    for (const body of ['{"value": "false"}', '{"enabled": true}', '[]']) {
      const res = await mgmt(first.url, '/usage-statistics-enabled', { method: 'PUT', body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/value must be a boolean/);
    }
  });
});
