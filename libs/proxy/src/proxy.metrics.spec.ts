import type { ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import { MAX_MODEL_LABELS, ProxyMetrics, statusClass } from '@app/proxy/proxy.metrics';
import { ZERO_TOKENS, type UsageRecord } from '@app/proxy/usage.types';

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

describe(ProxyMetrics.name, () => {
  it('should keep model labels bounded: no thinking suffixes, unrouted for unknown models', async () => {
    const metrics = new MetricsService();
    const sut = new ProxyMetrics(metrics);
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
    const sut = new ProxyMetrics(new MetricsService());
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
    const sut = new ProxyMetrics(new MetricsService());
    for (let i = 0; i < MAX_MODEL_LABELS + 10; i++) sut.observe(record({ model: `m-${i}` }));
    sut.observe(record({ model: 'm-0' }));
    const values = (await sut.requests.get()).values;
    expect(values).toHaveLength(MAX_MODEL_LABELS + 1);
    expect(values.find((v) => v.labels.model === 'other')?.value).toBe(10);
    expect(values.find((v) => v.labels.model === 'm-0')?.value).toBe(2);
  });
});

describe(statusClass.name, () => {
  it('should map statuses to classes and junk to other', () => {
    expect(statusClass(200)).toBe('2xx');
    expect(statusClass(499)).toBe('4xx');
    expect(statusClass(0)).toBe('other');
  });
});
