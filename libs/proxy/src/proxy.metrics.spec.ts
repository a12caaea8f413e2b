import { MetricsService } from '@app/metrics';
import { ProxyMetrics, statusClass } from '@app/proxy/proxy.metrics';
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

describe(statusClass.name, () => {
  it('should map statuses to classes and junk to other', () => {
    expect(statusClass(200)).toBe('2xx');
    expect(statusClass(499)).toBe('4xx');
    expect(statusClass(0)).toBe('other');
  });
});
