import type { UsageRecord } from '@app/usage/usage-record';
import { totalTokens, usageRecord } from '@test/utils/usage-record';
import { cleanLabel, SEP } from '@app/usage/usage-entry';
import {
  DIM,
  hashName,
  lastUsedField,
  latencyBucket,
  MINUTE_MS,
  TrafficTally,
} from '@app/usage/traffic/traffic-tally';

/** A record with the tally's own defaults (key k1, credential a1, 30 tokens, 120 ms). */
function record(over: Partial<UsageRecord>): UsageRecord {
  return usageRecord({
    clientKeyId: 'k1',
    authIndex: 'a1',
    model: 'gpt-x',
    latencyMs: 120,
    tokens: totalTokens(30),
    ...over,
  });
}

/** The counters one record adds, written out field by field (what the tally must sum to). */
function expected(recs: [UsageRecord, number][]): {
  counts: Map<string, Map<string, number>>;
  last: Map<string, number>;
} {
  const counts = new Map<string, Map<string, number>>();
  const last = new Map<string, number>();
  const inc = (hash: string, field: string, n: number) => {
    const f = counts.get(hash) ?? new Map<string, number>();
    counts.set(hash, f);
    f.set(field, (f.get(field) ?? 0) + n);
  };
  for (const [rec, at] of recs) {
    const hour = Math.floor(at / 3_600_000);
    const day = Math.floor(at / 86_400_000);
    const mm = String(Math.floor(at / MINUTE_MS) % 60);
    const hh = String(hour % 24);
    const m = hashName({ kind: 'm', n: hour });
    const h = hashName({ kind: 'h', n: day });
    const hk = hashName({ kind: 'hk', n: day });
    const latency = Math.max(0, Math.round(rec.latencyMs));
    const tokens = rec.tokens.total_tokens;
    for (const [hash, slot] of [
      [m, mm],
      [h, hh],
    ]) {
      inc(hash, `${slot}${SEP}${DIM.requests}`, 1);
      if (rec.failed) {
        inc(hash, `${slot}${SEP}${DIM.failures}`, 1);
        inc(hash, `${slot}${SEP}${DIM.status}${SEP}${rec.status}`, 1);
        inc(
          hash,
          `${slot}${SEP}${DIM.errorClass}${SEP}${cleanLabel(rec.errorClass || 'error')}`,
          1,
        );
      }
      if (tokens > 0) inc(hash, `${slot}${SEP}${DIM.tokens}`, tokens);
      inc(hash, `${slot}${SEP}${DIM.latency}`, latency);
      inc(hash, `${slot}${SEP}${DIM.bucket}${SEP}${latencyBucket(latency)}`, 1);
    }
    const model = rec.model ? cleanLabel(rec.model) : '(none)';
    for (const [hash, slot] of [
      [m, mm],
      [hk, hh],
    ]) {
      for (const [kind, name] of [
        [DIM.key, rec.clientKeyId],
        [DIM.model, model],
      ]) {
        if (!name) continue;
        const base = `${slot}${SEP}${kind}${SEP}${name}`;
        inc(hash, `${base}${SEP}${DIM.requests}`, 1);
        if (rec.failed) inc(hash, `${base}${SEP}${DIM.failures}`, 1);
        if (tokens > 0) inc(hash, `${base}${SEP}${DIM.tokens}`, tokens);
      }
    }
    for (const f of [
      rec.clientKeyId && lastUsedField('k', rec.clientKeyId),
      rec.authIndex && lastUsedField('c', rec.authIndex),
    ]) {
      if (f && (last.get(f) ?? 0) < at) last.set(f, at);
    }
  }
  return { counts, last };
}

function plain(m: ReadonlyMap<string, ReadonlyMap<string, number>>): Record<string, unknown> {
  return Object.fromEntries([...m].map(([k, v]) => [k, Object.fromEntries(v)]));
}

describe('TrafficTally', () => {
  const T0 = Date.UTC(2026, 11, 7, 23, 59, 30);

  it('should sum requests of the same kind into the counters single adds would give', () => {
    // A deterministic mix: two minutes across midnight, keys, models (one with a control
    // character), latency buckets, failures with and without a class, no tokens, no key.
    const recs: [UsageRecord, number][] = [];
    for (let i = 0; i < 400; i++) {
      const failed = i % 7 === 0;
      recs.push([
        record({
          clientKeyId: ['k1', 'k2', ''][i % 3],
          authIndex: ['a1', 'a2', ''][i % 3],
          model: ['gpt-x', 'claude\u0007y', ''][(i % 5) % 3],
          latencyMs: [12.4, 300, 2600, 130_000][i % 4],
          failed,
          status: failed ? [429, 502][i % 2] : 200,
          errorClass: failed && i % 2 ? 'rate_limit_error' : undefined,
          tokens: totalTokens(i % 6 === 0 ? 0 : i),
        }),
        T0 + i * 250,
      ]);
    }
    const tally = new TrafficTally();
    for (const [rec, at] of recs) expect(tally.add(rec, at)).toBe(true);
    const want = expected(recs);
    expect(plain(tally.counts)).toEqual(plain(want.counts));
    expect(Object.fromEntries(tally.lastUsed)).toEqual(Object.fromEntries(want.last));
    expect(tally.size).toBe([...want.counts.values()].reduce((n, f) => n + f.size, 0));
  });

  it('should spread its kinds as it goes once it holds many, with the same result', () => {
    const recs: [UsageRecord, number][] = [];
    // More distinct kinds (models) than the tally keeps unspread.
    for (let i = 0; i < 2500; i++) recs.push([record({ model: `m-${i % 1300}` }), T0 + i]);
    const tally = new TrafficTally();
    for (const [rec, at] of recs) tally.add(rec, at);
    expect(plain(tally.counts)).toEqual(plain(expected(recs).counts));
  });

  it('should be empty until something is added, and report dropped counters when full', () => {
    const tally = new TrafficTally(10);
    expect(tally.empty).toBe(true);
    tally.add(record({}), T0);
    expect(tally.empty).toBe(false);
    // The first record alone needs more than 10 fields.
    expect(tally.size).toBe(10);
    let dropped = false;
    for (let i = 0; i < 1000 && !dropped; i++) dropped = !tally.add(record({ model: `m${i}` }), T0);
    expect(dropped).toBe(true);
  });

  it('should merge another tally field by field', () => {
    const a = new TrafficTally();
    const b = new TrafficTally();
    a.add(record({}), T0);
    b.add(record({}), T0 + 1000);
    a.merge(b);
    const want = expected([
      [record({}), T0],
      [record({}), T0 + 1000],
    ]);
    expect(plain(a.counts)).toEqual(plain(want.counts));
    expect(a.lastUsed.get(lastUsedField('k', 'k1'))).toBe(T0 + 1000);
  });
});
