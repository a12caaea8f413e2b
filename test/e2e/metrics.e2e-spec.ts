import { Logger } from '@nestjs/common';
import { readFileSync, writeFileSync } from 'node:fs';
import { keyId } from '@app/common';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';
import { parsePrometheusText, type PromSample } from '@test/utils/prom-text';
import { clearRoutingState, postJson } from './proxy-e2e.helpers';

// Distinctive so that a leak anywhere in /metrics is unmistakable.
const CLIENT_KEY = 'sk-metrics-client-7Qx2ZL9wPp';
const UPSTREAM_KEYS = ['up-metrics-key-A1b2C3d4', 'up-metrics-key-E5f6G7h8'];
const CLAUDE_KEY = 'sk-ant-metrics-I9j0K1l2';

type Format = 'openai' | 'claude' | 'gemini' | 'responses';

function streamRequest(
  format: Format,
  text: string,
): { path: string; headers: Record<string, string>; body: unknown } {
  switch (format) {
    case 'openai':
      return {
        path: '/v1/chat/completions',
        headers: { authorization: `Bearer ${CLIENT_KEY}` },
        body: { model: 'gpt-m', stream: true, messages: [{ role: 'user', content: text }] },
      };
    case 'claude':
      return {
        path: '/v1/messages',
        headers: { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
        body: {
          model: 'claude-m',
          max_tokens: 50,
          stream: true,
          messages: [{ role: 'user', content: text }],
        },
      };
    case 'gemini':
      return {
        path: '/v1beta/models/gpt-m:streamGenerateContent?alt=sse',
        headers: { 'x-goog-api-key': CLIENT_KEY },
        body: { contents: [{ role: 'user', parts: [{ text }] }] },
      };
    case 'responses':
      return {
        path: '/v1/responses',
        headers: { authorization: `Bearer ${CLIENT_KEY}` },
        body: { model: 'claude-m', stream: true, input: text },
      };
  }
}

async function scrape(gw: TestGateway): Promise<{ text: string; samples: PromSample[] }> {
  const res = await fetch(`${gw.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parsePrometheusText(text).samples };
}

/** Sum of the samples of `name` whose labels include `labels`. */
function sum(samples: PromSample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

async function gauges(gw: TestGateway): Promise<{ open: number; inFlight: number }> {
  const { samples } = await scrape(gw);
  return {
    open: sum(samples, 'switchboard_proxy_open_streams'),
    inFlight: sum(samples, 'switchboard_proxy_in_flight_requests'),
  };
}

describe('Prometheus metrics (e2e)', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let yaml: string;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    yaml = `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('metrics')}"
metrics:
  client-key-label: short-id
routing:
  strategy: fill-first
openai-compatibility:
  - name: fakeoai
    base-url: "${fake.url}/v1"
    api-key-entries:
${UPSTREAM_KEYS.map((k) => `      - api-key: "${k}"`).join('\n')}
    models:
      - name: gpt-m
claude-api-key:
  - api-key: "${CLAUDE_KEY}"
    base-url: "${fake.url}"
    models:
      - name: claude-m
`;
    gw = await startGateway(yaml, 'gateway-metrics');
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  afterEach(async () => {
    fake.reset();
    await clearRoutingState(gw);
  });

  it('should bring the in-flight and open-stream gauges back to where they were after clients cancel', async () => {
    const before = await gauges(gw);
    fake.delayBetweenChunks(80, { times: Infinity });
    fake.slowFirstByte({ ms: 400, times: 2, match: { model: 'claude-m' } });
    const formats: Format[] = ['openai', 'claude', 'gemini', 'responses'];
    // Per format: one cancelled before the first byte, one mid-stream, one left to finish.
    const runs = formats.flatMap((format) =>
      (['before-first-byte', 'mid-stream', 'complete'] as const).map(async (when, i) => {
        const r = streamRequest(format, `story ${format} ${i}`);
        const controller = new AbortController();
        if (when === 'before-first-byte') setTimeout(() => controller.abort(), 30);
        try {
          const res = await fetch(`${gw.url}${r.path}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...r.headers,
            },
            body: JSON.stringify(r.body),
            signal: controller.signal,
          });
          const reader = res.body!.getReader();
          if (when === 'mid-stream') {
            await reader.read();
            controller.abort();
            return 'aborted';
          }
          for (;;) if ((await reader.read()).done) return 'complete';
        } catch (err) {
          if ((err as Error).name === 'AbortError') return 'aborted';
          throw err;
        }
      }),
    );
    // While the streams run the gauges must show them.
    await waitFor(async () => (await gauges(gw)).open > before.open, { what: 'open streams' });
    const outcomes = await Promise.all(runs);
    expect(outcomes.filter((o) => o === 'complete')).toHaveLength(formats.length);
    await waitFor(
      async () => {
        const now = await gauges(gw);
        return now.open === before.open && now.inFlight === before.inFlight;
      },
      { timeoutMs: 5000, what: 'gauges back at their baseline' },
    );
  });

  it('should count the cooldown a 429 puts a credential in, the failover and its state', async () => {
    fake.fail({ status: 429, retryAfterSeconds: 30, match: { apiKey: UPSTREAM_KEYS[0] } });
    const before = (await scrape(gw)).samples;
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'gpt-m', messages: [{ role: 'user', content: 'hi' }] },
      { authorization: `Bearer ${CLIENT_KEY}` },
    );
    expect(res.status).toBe(200);
    const after = (await scrape(gw)).samples;
    const delta = (name: string, labels: Record<string, string>) =>
      sum(after, name, labels) - sum(before, name, labels);
    const provider = 'openai-compatibility';
    expect(delta('switchboard_cooldowns_total', { provider, reason: 'rate_limit' })).toBe(1);
    expect(delta('switchboard_proxy_failovers_total', { provider })).toBe(1);
    expect(delta('switchboard_upstream_errors_total', { provider, status: '429' })).toBe(1);
    expect(sum(after, 'switchboard_credentials', { provider, state: 'cooling_down' })).toBe(1);
    expect(sum(after, 'switchboard_credentials', { provider, state: 'active' })).toBe(1);
    expect(sum(after, 'switchboard_credentials', { provider: 'claude', state: 'active' })).toBe(1);
  });

  it('should label client traffic by key id only and never expose a key', async () => {
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'gpt-m', messages: [{ role: 'user', content: 'hi' }] },
      { authorization: `Bearer ${CLIENT_KEY}` },
    );
    expect(res.status).toBe(200);
    const { text, samples } = await scrape(gw);
    const id = keyId(CLIENT_KEY);
    expect(
      sum(samples, 'switchboard_client_requests_total', { client_key: id, status_class: '2xx' }),
    ).toBeGreaterThanOrEqual(1);
    for (const secret of [CLIENT_KEY, CLAUDE_KEY, ...UPSTREAM_KEYS]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(-8));
    }
  });

  it('should count Redis commands and config reloads, good and bad', async () => {
    const before = (await scrape(gw)).samples;
    expect(sum(before, 'switchboard_redis_commands_total')).toBeGreaterThan(0);
    expect(sum(before, 'switchboard_redis_up')).toBe(1);
    const reloads = async (result: string) =>
      sum((await scrape(gw)).samples, 'switchboard_config_reloads_total', { result });
    const ok0 = await reloads('ok');
    const invalid0 = await reloads('invalid');

    // The rejected save is logged as an error; that is expected here.
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const original = readFileSync(gw.configPath, 'utf8');
    writeFileSync(gw.configPath, `${original}\ndebug: true\n`);
    await waitFor(async () => (await reloads('ok')) === ok0 + 1, { what: 'an ok reload' });
    writeFileSync(gw.configPath, `${original}\nport: "eighty"\n`);
    await waitFor(async () => (await reloads('invalid')) === invalid0 + 1, {
      what: 'an invalid reload',
    });
    writeFileSync(gw.configPath, original);
    await waitFor(async () => (await reloads('ok')) === ok0 + 2, { what: 'the file restored' });
    expect(await reloads('invalid')).toBe(invalid0 + 1);
    errors.mockRestore();
  });
  it('should hide /metrics while metrics.enabled is false, and bring it back', async () => {
    const original = readFileSync(gw.configPath, 'utf8');
    const status = async () => (await fetch(`${gw.url}/metrics`)).status;
    expect(await status()).toBe(200);
    writeFileSync(gw.configPath, original.replace('metrics:\n', 'metrics:\n  enabled: false\n'));
    await waitFor(async () => (await status()) === 404, { what: '/metrics hidden' });
    writeFileSync(gw.configPath, original);
    await waitFor(async () => (await status()) === 200, { what: '/metrics back' });
  });
});
