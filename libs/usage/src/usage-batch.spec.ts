import type { UsageRecord } from '@app/usage/usage-record';
import { MAX_ZADD_MEMBERS, sumLiveBatch } from '@app/usage/usage-batch';
import { SEP, entryFromRecord, type UsageEntry } from '@app/usage/usage-entry';

/** Redis hashes as ordered maps: a new field goes last, as in a small (listpack) hash. */
type Hashes = Map<string, Map<string, number>>;

function hincrby(store: Hashes, key: string, field: string, by: number): void {
  let h = store.get(key);
  if (!h) {
    h = new Map();
    store.set(key, h);
  }
  h.set(field, (h.get(field) ?? 0) + by);
}

/** What the per-entry script does to the hashes, one entry after another. */
function perEntry(entries: readonly UsageEntry[]): Hashes {
  const store: Hashes = new Map();
  for (const e of entries) {
    const t = e.totalTokens;
    hincrby(store, 'totals', 'requests', 1);
    hincrby(store, 'totals', e.failed ? 'failure' : 'success', 1);
    hincrby(store, 'totals', 'tokens', t);
    hincrby(store, 'api', e.api + SEP + 'r', 1);
    hincrby(store, 'api', e.api + SEP + 't', t);
    const am = e.api + SEP + e.model + SEP;
    hincrby(store, 'model', am + 'r', 1);
    hincrby(store, 'model', am + 't', t);
    hincrby(store, 'day', e.day + SEP + 'r', 1);
    hincrby(store, 'day', e.day + SEP + 't', t);
    hincrby(store, 'hour', `${e.day}T${e.hour}${SEP}r`, 1);
    hincrby(store, 'hour', `${e.day}T${e.hour}${SEP}t`, t);
    const c = e.hour + SEP + am;
    hincrby(store, 'cell:' + e.day, c + 'r', 1);
    if (e.failed) hincrby(store, 'cell:' + e.day, c + 'f', 1);
    hincrby(store, 'cell:' + e.day, c + 't', t);
  }
  return store;
}

/** What the live script does with a summed batch. */
function summed(entries: readonly UsageEntry[]): Hashes {
  const store: Hashes = new Map();
  for (const h of sumLiveBatch(entries).hashes) {
    expect(h.fields).toHaveLength(h.amounts.length);
    h.fields.forEach((f, i) => hincrby(store, h.key, f, h.amounts[i]));
  }
  return store;
}

/** Hashes as nested entry lists, so field order is compared too. */
function ordered(store: Hashes): [string, [string, number][]][] {
  return [...store].map(([k, h]) => [k, [...h]]);
}

const HOUR = 3_600_000;
const MIDNIGHT = Date.UTC(2025, 4, 2);

function record(i: number, over: Partial<UsageRecord> = {}): UsageRecord {
  const failed = i % 5 === 3 || i % 11 === 0;
  const when = MIDNIGHT - HOUR + (i % 4) * (HOUR / 2) + i;
  const tokens = failed ? 0 : 10 + (i % 13);
  return {
    requestId: `req-${i}`,
    timestamp: `${new Date(when).toISOString().slice(0, -1)}${String(i).padStart(6, '0')}Z`,
    api: ['sk-…aaaa', 'sk-…bbbb', 'POST /v1/messages'][i % 3],
    clientKeyId: '',
    model: ['gpt-fake', 'claude-fake'][(i >> 2) % 2],
    upstreamModel: 'x',
    provider: 'p',
    source: 'src',
    authIndex: '0',
    credentialId: 'c',
    clientFormat: 'openai',
    route: '/v1/chat/completions',
    stream: false,
    status: failed ? 502 : 200,
    failed,
    latencyMs: 5,
    attempts: 1,
    tokens: {
      input_tokens: tokens,
      output_tokens: 0,
      reasoning_tokens: 0,
      cached_tokens: 0,
      total_tokens: tokens,
    },
    ...over,
  };
}

describe(sumLiveBatch.name, () => {
  it('should add up to the per-entry counters, fields created in the same order', () => {
    // Repeated pairs, four half-hour slots across midnight, failures first in some cells.
    const entries = Array.from({ length: 240 }, (_, i) => entryFromRecord(record(i)));
    const want = ordered(perEntry(entries));
    expect(ordered(summed(entries))).toEqual(want);
    // The batch really was summed: far fewer increments than 17 per entry.
    const increments = sumLiveBatch(entries).hashes.reduce((n, h) => n + h.fields.length, 0);
    expect(increments).toBeLessThan(entries.length);
  });

  it('should order totals by the first entry when the batch starts with a failure', () => {
    const entries = [0, 1, 2, 3].map((i) => entryFromRecord(record(i)));
    expect(entries[0].failed).toBe(true);
    expect(ordered(summed(entries))).toEqual(ordered(perEntry(entries)));
    expect([...(summed(entries).get('totals')?.keys() ?? [])]).toEqual([
      'requests',
      'failure',
      'tokens',
      'success',
    ]);
  });

  it('should count a repeated entry every time and keep zero-token fields', () => {
    const zero = { input_tokens: 0, output_tokens: 0, reasoning_tokens: 0, cached_tokens: 0 };
    const one = entryFromRecord(record(1, { tokens: { ...zero, total_tokens: 0 } }));
    const entries = [one, one, one];
    const batch = sumLiveBatch(entries);
    expect(batch.entries).toBe(3);
    expect(ordered(summed(entries))).toEqual(ordered(perEntry(entries)));
    expect(summed(entries).get('totals')?.get('tokens')).toBe(0);
    expect(batch.details).toEqual([
      {
        pair: one.pair,
        scored: [one.score, one.member, one.score, one.member, one.score, one.member],
      },
    ]);
  });

  it('should group details per pair with every score beside its member', () => {
    const entries = Array.from({ length: 40 }, (_, i) => entryFromRecord(record(i)));
    const { details } = sumLiveBatch(entries);
    expect(new Set(details.map((d) => d.pair)).size).toBe(details.length);
    const got = details.flatMap((d) => {
      const pairs: [string, number, string][] = [];
      for (let j = 0; j < d.scored.length; j += 2) {
        pairs.push([d.pair, d.scored[j] as number, d.scored[j + 1] as string]);
      }
      return pairs;
    });
    const want = entries.map((e): [string, number, string] => [e.pair, e.score, e.member]);
    const key = (x: [string, number, string]) => x.join(' ');
    expect(got.map(key).sort()).toEqual(want.map(key).sort());
  });

  it('should split a pair with more details than one ZADD takes', () => {
    const n = MAX_ZADD_MEMBERS * 2 + 5;
    const entries = Array.from({ length: n }, (_, i) =>
      entryFromRecord(record(i, { api: 'k', model: 'm' })),
    );
    const { details } = sumLiveBatch(entries);
    expect(details.map((d) => d.scored.length / 2)).toEqual([
      MAX_ZADD_MEMBERS,
      MAX_ZADD_MEMBERS,
      5,
    ]);
    expect(details.flatMap((d) => d.scored.filter((_, j) => j % 2 === 1))).toEqual(
      entries.map((e) => e.member),
    );
  });

  it('should write nothing for an empty batch', () => {
    expect(sumLiveBatch([])).toEqual({ entries: 0, hashes: [], details: [] });
  });
});
