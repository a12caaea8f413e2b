import { summarizeUsage } from './usage';
import type { UsageDetail, UsageSnapshot } from './types';

function detail(timestamp: string, latency: number, failed = false): UsageDetail {
  return {
    timestamp,
    latency_ms: latency,
    source: 's',
    auth_index: '0',
    failed,
    tokens: {
      input_tokens: 1,
      output_tokens: 1,
      reasoning_tokens: 0,
      cached_tokens: 0,
      total_tokens: 2,
    },
  };
}

function snapshot(): UsageSnapshot {
  return {
    total_requests: 10,
    success_count: 8,
    failure_count: 2,
    total_tokens: 300,
    apis: {
      'sk-…1111': {
        total_requests: 6,
        total_tokens: 100,
        models: {
          'gpt-fake': {
            total_requests: 4,
            total_tokens: 60,
            details: [
              detail('2025-05-01T10:00:00Z', 100),
              detail('2025-05-01T11:00:00Z', 300, true),
            ],
          },
          'claude-fake': { total_requests: 2, total_tokens: 40, details: [] },
        },
      },
      'sk-…2222': {
        total_requests: 4,
        total_tokens: 200,
        models: {
          'claude-fake': {
            total_requests: 4,
            total_tokens: 200,
            details: [detail('2025-05-03T09:00:00Z', 200)],
          },
        },
      },
    },
    requests_by_day: { '2025-05-01': 6, '2025-05-03': 4 },
    requests_by_hour: { '10': 5, '11': 1, '09': 4 },
    tokens_by_day: { '2025-05-01': 100, '2025-05-03': 200 },
    tokens_by_hour: { '10': 80, '11': 20, '09': 200 },
  };
}

describe('summarizeUsage', () => {
  it('should compute totals and the success rate', () => {
    const s = summarizeUsage(snapshot());
    expect(s).toMatchObject({ requests: 10, success: 8, failures: 2, tokens: 300 });
    expect(s.successRate).toBeCloseTo(0.8);
  });

  it('should rank keys and sum each model across keys', () => {
    const s = summarizeUsage(snapshot());
    expect(s.topKeys.map((r) => r.name)).toEqual(['sk-…1111', 'sk-…2222']);
    expect(s.topModels).toEqual([
      { name: 'claude-fake', requests: 6, tokens: 240 },
      { name: 'gpt-fake', requests: 4, tokens: 60 },
    ]);
    expect(summarizeUsage(snapshot(), 1).topModels).toHaveLength(1);
  });

  it('should fill missing days with zeros and keep 24 hours', () => {
    const s = summarizeUsage(snapshot());
    expect(s.byDay.labels).toEqual(['2025-05-01', '2025-05-02', '2025-05-03']);
    expect(s.byDay.requests).toEqual([6, 0, 4]);
    expect(s.byHour.labels).toHaveLength(24);
    expect(s.byHour.requests[9]).toBe(4);
    expect(s.byHour.tokens[10]).toBe(80);
  });

  it('should derive latency and per-day quality from the details', () => {
    const s = summarizeUsage(snapshot());
    expect(s.avgLatencyMs).toBe(200);
    expect(s.p95LatencyMs).toBe(300);
    expect(s.quality.avgLatencyMs).toEqual([200, null, 200]);
    expect(s.quality.successRate).toEqual([0.5, null, 1]);
  });

  it('should answer nulls for an empty snapshot', () => {
    const s = summarizeUsage({
      total_requests: 0,
      success_count: 0,
      failure_count: 0,
      total_tokens: 0,
      apis: {},
      requests_by_day: {},
      requests_by_hour: {},
      tokens_by_day: {},
      tokens_by_hour: {},
    });
    expect(s.successRate).toBeNull();
    expect(s.avgLatencyMs).toBeNull();
    expect(s.byDay.labels).toEqual([]);
  });
});
