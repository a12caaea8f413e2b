import type { ConfigService } from '@app/config';
import { parseModelSuffix } from '@app/llm';
import { MetricsService } from '@app/metrics';
import { MAX_MODEL_LABELS, ProxyMetrics, statusClass } from '@app/proxy/proxy.metrics';
import { ZERO_TOKENS, type UsageRecord } from '@app/usage';

const record = (over: Partial<UsageRecord>): UsageRecord => ({
  requestId: 'r',
  timestamp: '2026-01-01T00:00:00.000000000Z',
  api: 'sk-…abcd',
  clientKeyId: 'abcd1234',
  model: 'gpt-x',
  upstreamModel: 'gpt-x',
  provider: 'openai-compatibility',
  source: 'k',
  authIndex: '0123456789abcdef',
  credentialId: 'c',
  clientFormat: 'openai',
  route: '/v1/chat/completions',
  stream: false,
  status: 200,
  failed: false,
  latencyMs: 12,
  attempts: 1,
  tokens: { ...ZERO_TOKENS, input_tokens: 3, output_tokens: 2, total_tokens: 5 },
  ...over,
});

/** The default: no per-client-key series. */
const LABEL_OFF = {
  current: { metrics: { enabled: true, 'client-key-label': 'off' } },
} as ConfigService;

describe(ProxyMetrics.name, () => {
  it('should keep model labels bounded: no thinking suffixes, unrouted for unknown models', async () => {
    const metrics = new MetricsService();
    const sut = new ProxyMetrics(metrics, LABEL_OFF);
    sut.observe(record({ model: 'gpt-x(8192)' }));
    sut.observe(record({ model: 'gpt-x(high)' }));
    sut.observe(record({ model: 'made-up-1', provider: '', status: 503, failed: true }));
    const values = (await sut.requests.get()).values;
    const models = values.map((v) => v.labels.model).sort();
    expect(models).toEqual(['gpt-x', 'unrouted']);
    expect(values.find((v) => v.labels.model === 'gpt-x')?.value).toBe(2);
    expect(values.find((v) => v.labels.model === 'unrouted')?.labels.status_class).toBe('5xx');
  });

  it('should count tokens by kind', async () => {
    const sut = new ProxyMetrics(new MetricsService(), LABEL_OFF);
    sut.observe(record({}));
    const kinds = Object.fromEntries(
      (await sut.tokens.get()).values.map((v) => [v.labels.kind, v.value]),
    );
    expect(kinds).toEqual({ input: 3, output: 2 });
  });
});

describe(`${ProxyMetrics.name} per client key`, () => {
  const withLabel = (mode: 'off' | 'short-id') =>
    ({ current: { metrics: { enabled: true, 'client-key-label': mode } } }) as ConfigService;

  it('should not label by client key while client-key-label is off', async () => {
    const sut = new ProxyMetrics(new MetricsService(), withLabel('off'));
    sut.observe(record({}));
    expect((await sut.clientRequests.get()).values).toEqual([]);
    expect((await sut.clientTokens.get()).values).toEqual([]);
  });

  it('should count requests and tokens by the key id, never the key, when short-id is on', async () => {
    const metrics = new MetricsService();
    const sut = new ProxyMetrics(metrics, withLabel('short-id'));
    sut.observe(record({}));
    sut.observe(record({ status: 429, failed: true, tokens: { ...ZERO_TOKENS } }));
    sut.observe(record({ clientKeyId: '' })); // open proxy: no key, no series
    const requests = (await sut.clientRequests.get()).values.map((v) => [
      `${v.labels.client_key}/${v.labels.status_class}`,
      v.value,
    ]);
    expect(Object.fromEntries(requests)).toEqual({ 'abcd1234/2xx': 1, 'abcd1234/4xx': 1 });
    const tokens = (await sut.clientTokens.get()).values.map((v) => [v.labels.kind, v.value]);
    expect(Object.fromEntries(tokens)).toEqual({ input: 3, output: 2 });
    const text = await metrics.registry.metrics();
    expect(text).not.toContain('sk-…abcd');
  });
});

describe(`${ProxyMetrics.name} model labels`, () => {
  it('should fold model names past the cap into other', async () => {
    const sut = new ProxyMetrics(new MetricsService(), LABEL_OFF);
    for (let i = 0; i < MAX_MODEL_LABELS + 10; i++) sut.observe(record({ model: `m-${i}` }));
    sut.observe(record({ model: 'm-0' }));
    const values = (await sut.requests.get()).values;
    expect(values).toHaveLength(MAX_MODEL_LABELS + 1);
    expect(values.find((v) => v.labels.model === 'other')?.value).toBe(10);
    expect(values.find((v) => v.labels.model === 'm-0')?.value).toBe(2);
  });
});

/** What `observe` did before label-bound series: one label object per metric update. */
function observeDirect(m: ProxyMetrics, rec: UsageRecord, models: Set<string>): void {
  const provider = rec.provider || 'none';
  let model = 'unrouted';
  if (rec.provider) {
    model = parseModelSuffix(rec.model).model;
    if (!models.has(model)) {
      if (models.size >= MAX_MODEL_LABELS) model = 'other';
      else models.add(model);
    }
  }
  const status_class = statusClass(rec.status);
  m.requests.inc({ route: rec.route, format: rec.clientFormat, provider, model, status_class });
  m.latency.observe({ route: rec.route, provider }, rec.latencyMs / 1000);
  const t = rec.tokens;
  if (t.total_tokens > 0) {
    m.tokens.inc({ provider, model, kind: 'input' }, t.input_tokens);
    m.tokens.inc({ provider, model, kind: 'output' }, t.output_tokens);
    if (t.reasoning_tokens)
      m.tokens.inc({ provider, model, kind: 'reasoning' }, t.reasoning_tokens);
    if (t.cached_tokens) m.tokens.inc({ provider, model, kind: 'cached' }, t.cached_tokens);
  }
  if (rec.clientKeyId) {
    m.clientRequests.inc({ client_key: rec.clientKeyId, status_class });
    if (t.total_tokens > 0) {
      m.clientTokens.inc({ client_key: rec.clientKeyId, kind: 'input' }, t.input_tokens);
      m.clientTokens.inc({ client_key: rec.clientKeyId, kind: 'output' }, t.output_tokens);
    }
  }
}

/** Our metrics only: the default process metrics differ between two registries. */
async function proxyText(metrics: MetricsService): Promise<string> {
  const names = (await metrics.registry.getMetricsAsJSON())
    .map((m) => m.name)
    .filter((n) => n.startsWith('switchboard_') && !n.startsWith('switchboard_http_'));
  const parts = await Promise.all(names.map((n) => metrics.registry.getSingleMetricAsString(n)));
  return parts.join('\n');
}

describe(`${ProxyMetrics.name} exposition`, () => {
  const shortId = { current: { metrics: { enabled: true, 'client-key-label': 'short-id' } } };
  const config = shortId as ConfigService;
  const tokens = (input: number, output: number, reasoning = 0, cached = 0) => ({
    input_tokens: input,
    output_tokens: output,
    reasoning_tokens: reasoning,
    cached_tokens: cached,
    total_tokens: input + output,
  });
  const records: UsageRecord[] = [
    record({}),
    record({ model: 'gpt-x(8192)', latencyMs: 2500, tokens: tokens(10, 5, 4, 2) }),
    record({
      model: 'claude-y',
      provider: 'claude',
      route: '/v1/messages',
      clientFormat: 'claude',
    }),
    record({ model: 'nope', provider: '', status: 404, failed: true, tokens: { ...ZERO_TOKENS } }),
    record({ status: 429, failed: true, clientKeyId: 'ffff0000', latencyMs: 0 }),
    record({ model: 'gpt-x(high)', status: 502, latencyMs: 400_000, tokens: tokens(0, 0) }),
    record({ clientKeyId: '', tokens: tokens(7, 0, 0, 7) }),
    record({
      model: 'claude-y',
      provider: 'claude',
      route: '/v1/messages',
      clientFormat: 'claude',
    }),
    record({ status: 199 }),
  ];

  it('should export exactly what direct label-object updates export, also after a reset', async () => {
    const [mine, theirs] = [new MetricsService(), new MetricsService()];
    const sut = new ProxyMetrics(mine, config);
    const direct = new ProxyMetrics(theirs, config);
    const models = new Set<string>();
    for (const r of records) {
      sut.observe(r);
      observeDirect(direct, r, models);
    }
    sut.observeTtfb('claude', 0.3);
    direct.upstreamTtfb.observe({ provider: 'claude' }, 0.3);
    sut.countUpstreamError('claude', 529);
    direct.upstreamErrors.inc({ provider: 'claude', status: '529' });
    sut.countFailover('openai-compatibility');
    direct.failovers.inc({ provider: 'openai-compatibility' });
    const got = await proxyText(mine);
    expect(got).toBe(await proxyText(theirs));
    expect(got).toContain(
      'switchboard_tokens_total{provider="openai-compatibility",model="gpt-x",kind="reasoning"} 4',
    );

    // Registry reset drops every series; handles must not keep counting into the old ones.
    mine.registry.resetMetrics();
    theirs.registry.resetMetrics();
    for (const r of records.slice(0, 3)) {
      sut.observe(r);
      observeDirect(direct, r, models);
    }
    sut.observeTtfb('claude', 0.01);
    direct.upstreamTtfb.observe({ provider: 'claude' }, 0.01);
    const after = await proxyText(mine);
    expect(after).toBe(await proxyText(theirs));
    expect(after).toContain(
      'switchboard_proxy_requests_total{route="/v1/chat/completions",format="openai",provider="openai-compatibility",model="gpt-x",status_class="2xx"} 2',
    );
  });

  it('should count observe, TTFB, upstream errors and failovers into the series callers read', async () => {
    const sut = new ProxyMetrics(new MetricsService(), LABEL_OFF);
    sut.observeTtfb('gemini', 0.2);
    sut.observeTtfb('gemini', 0.4);
    sut.countUpstreamError('gemini', 503);
    sut.countUpstreamError('gemini', 503);
    sut.countUpstreamError('gemini', 401);
    sut.countFailover('gemini');
    const ttfb = (await sut.upstreamTtfb.get()).values.find(
      (v) => v.metricName === 'switchboard_upstream_time_to_first_byte_seconds_sum',
    );
    expect(ttfb?.labels).toEqual({ provider: 'gemini' });
    expect(ttfb?.value).toBeCloseTo(0.6);
    const errors = (await sut.upstreamErrors.get()).values.map((v) => [v.labels.status, v.value]);
    expect(Object.fromEntries(errors)).toEqual({ '503': 2, '401': 1 });
    expect((await sut.failovers.get()).values).toEqual([
      { labels: { provider: 'gemini' }, value: 1 },
    ]);
  });

  it('should label every suffix variant by its served name, however many clients send', async () => {
    const sut = new ProxyMetrics(new MetricsService(), LABEL_OFF);
    for (let i = 0; i < 2500; i++) sut.observe(record({ model: `gpt-x(${i})` }));
    const values = (await sut.requests.get()).values;
    expect(values.map((v) => [v.labels.model, v.value])).toEqual([['gpt-x', 2500]]);
  });
});

describe(statusClass.name, () => {
  it('should map statuses to classes and junk to other', () => {
    expect(statusClass(200)).toBe('2xx');
    expect(statusClass(499)).toBe('4xx');
    expect(statusClass(0)).toBe('other');
  });

  it('should map the edges of every class', () => {
    expect([100, 199, 301, 599].map(statusClass)).toEqual(['1xx', '1xx', '3xx', '5xx']);
    expect([99, 600, NaN].map(statusClass)).toEqual(['other', 'other', 'other']);
  });
});
