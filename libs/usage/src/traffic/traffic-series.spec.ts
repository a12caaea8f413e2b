import { usageRecord } from '@test/utils/usage-record';
import {
  failureSpike,
  keyHashes,
  keyWindows,
  percentileBound,
  planRange,
  summarize,
  type LoadedHash,
} from '@app/usage/traffic/traffic-series';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  TrafficTally,
  latencyBucket,
} from '@app/usage/traffic/traffic-tally';

const rec = usageRecord;

/** What Redis would hold after applying a tally (hash names as planRange names them). */
function loaded(t: TrafficTally, names: { kind: 'm' | 'h' | 'hk'; n: number }[]): LoadedHash[] {
  return names.map((hash) => {
    const fields: Record<string, string> = {};
    for (const [f, v] of t.counts.get(`${hash.kind}:${hash.n}`) ?? []) fields[f] = String(v);
    return { hash, fields };
  });
}

const NOW = Date.UTC(2025, 4, 1, 10, 30, 15);

describe(TrafficTally.name, () => {
  it('should count requests, failures by status and class, tokens, latency and last use', () => {
    const sut = new TrafficTally();
    sut.add(rec(), NOW);
    sut.add(rec({ failed: true, status: 429, errorClass: 'rate_limit_error', latencyMs: 20 }), NOW);
    const plan = planRange('1h', NOW);
    const s = summarize(plan, loaded(sut, plan.seriesHashes), loaded(sut, plan.topHashes));
    expect(s.totals).toEqual({
      requests: 2,
      failures: 1,
      success_rate: 0.5,
      tokens: 20,
      avg_latency_ms: 160,
      p95_latency_ms_at_most: 500,
    });
    expect(s.requests[59]).toBe(2);
    expect(s.failures_by_status['429'][59]).toBe(1);
    expect(s.failures_by_class.rate_limit_error[59]).toBe(1);
    expect(s.keys).toEqual([{ key_id: 'aaaa1111', requests: 2, failures: 1, tokens: 20 }]);
    expect(s.models).toEqual([{ model: 'm1', requests: 2, failures: 1, tokens: 20 }]);
    expect(sut.lastUsed.get('k:aaaa1111')).toBe(NOW);
    expect(sut.lastUsed.get('c:ai1')).toBe(NOW);
  });

  it('should stop adding new fields when full, and merge a failed batch back', () => {
    const sut = new TrafficTally(3);
    expect(sut.add(rec(), NOW)).toBe(false);
    expect(sut.size).toBe(3);
    const other = new TrafficTally();
    other.add(rec(), NOW);
    const merged = new TrafficTally();
    merged.merge(other);
    merged.merge(other);
    expect(merged.counts.get(`m:${Math.floor(NOW / HOUR_MS)}`)?.get('30\x1fr')).toBe(2);
  });
});

describe(planRange.name, () => {
  it('should give each range its slots, ending with the current one', () => {
    expect(planRange('1h', NOW).slots).toHaveLength(60);
    expect(planRange('1h', NOW).slots[59]).toBe(Math.floor(NOW / MINUTE_MS) * MINUTE_MS);
    expect(planRange('1h', NOW).seriesHashes.map((h) => h.kind)).toEqual(['m', 'm']);
    expect(planRange('24h', NOW).slots).toHaveLength(24);
    expect(planRange('7d', NOW).seriesHashes).toHaveLength(8);
    expect(planRange('30d', NOW).slots).toHaveLength(720);
    expect(planRange('30d', NOW).topHashes.every((h) => h.kind === 'hk')).toBe(true);
  });

  it('should leave out counts outside the range', () => {
    const t = new TrafficTally();
    t.add(rec(), NOW - 2 * HOUR_MS);
    t.add(rec(), NOW);
    const plan = planRange('1h', NOW);
    const s = summarize(
      plan,
      loaded(t, [...plan.seriesHashes, { kind: 'm', n: Math.floor(NOW / HOUR_MS) - 2 }]),
      [],
    );
    expect(s.totals.requests).toBe(1);
  });
});

describe(keyWindows.name, () => {
  it('should sum a key over the hours of a window', () => {
    const t = new TrafficTally();
    t.add(rec(), NOW);
    t.add(rec({ failed: true, status: 500 }), NOW - 2 * DAY_MS);
    const hashes = loaded(t, keyHashes(NOW, 7));
    const end = Math.floor(NOW / HOUR_MS) * HOUR_MS + HOUR_MS;
    expect(keyWindows(hashes, end - DAY_MS, end).get('aaaa1111')).toEqual({
      requests: 1,
      failures: 0,
      tokens: 10,
      failure_rate: 0,
    });
    expect(keyWindows(hashes, end - 7 * DAY_MS, end).get('aaaa1111')).toMatchObject({
      requests: 2,
      failures: 1,
      failure_rate: 0.5,
    });
  });
});

describe(failureSpike.name, () => {
  const series = (base: [number, number], recent: [number, number]) => ({
    requests: [...Array(55).fill(base[0]), ...Array(5).fill(recent[0])],
    failures: [...Array(55).fill(base[1]), ...Array(5).fill(recent[1])],
  });

  it('should flag recent minutes failing far more than the hour before', () => {
    expect(failureSpike(series([10, 0], [10, 5]))).toMatchObject({ rate: 0.5, failures: 25 });
  });

  it('should not flag a steady failure rate, a few failures, or no traffic', () => {
    expect(failureSpike(series([10, 5], [10, 5]))).toBeUndefined();
    expect(failureSpike(series([10, 0], [1, 0]))).toBeUndefined();
    expect(failureSpike({ requests: [1, 1, 1, 1], failures: [1, 1, 1, 1] })).toBeUndefined();
    expect(failureSpike(series([0, 0], [0, 0]))).toBeUndefined();
  });
});

describe(percentileBound.name, () => {
  it('should give the bound of the bucket holding the percentile', () => {
    expect(percentileBound([0, 0, 0], 0.95)).toBeNull();
    expect(percentileBound([90, 5, 5], 0.95)).toBe(500);
    expect(latencyBucket(250)).toBe(0);
    expect(latencyBucket(251)).toBe(1);
    expect(latencyBucket(10 ** 7)).toBe(9);
  });
});
