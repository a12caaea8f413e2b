import type { UsageRecord } from '@app/usage/usage-record';
import { RedisService } from '@app/storage';
import { MAX_ZADD_MEMBERS } from '@app/usage/usage-batch';
import { entryFromRecord, pairId, type UsageEntry } from '@app/usage/usage-entry';
import { UsageRepository, type ApplyOptions } from '@app/usage/usage.repository';
import { keysMatching } from '@test/utils/redis-keys';
import { uniquePrefix, testRedisSettings } from '@test/utils/env';

const HOUR = 3_600_000;
const MIDNIGHT = Date.UTC(2025, 6, 1);
const KEYS = ['sk-…aaaa', 'sk-…bbbb', 'POST /v1/messages'];
const MODELS = ['gpt-fake', 'claude-fake', 'odd model/name'];

function record(i: number, over: Partial<UsageRecord> = {}): UsageRecord {
  const failed = i % 7 === 2 || i % 13 === 0;
  // Three hours across midnight, many records per (api, model, hour).
  const when = MIDNIGHT - HOUR + (i % 3) * HOUR + i * 3;
  const tokens = failed ? 0 : (i * 17) % 90;
  return {
    requestId: `req-${i}`,
    timestamp: `${new Date(when).toISOString().slice(0, -1)}${String(i * 37).padStart(6, '0')}Z`,
    api: KEYS[i % KEYS.length],
    clientKeyId: '',
    model: MODELS[(i >> 1) % MODELS.length],
    upstreamModel: 'x',
    provider: 'p',
    source: `src-${i % 2}`,
    authIndex: String(i % 3),
    credentialId: 'c',
    clientFormat: 'openai',
    route: '/v1/chat/completions',
    stream: false,
    status: failed ? 502 : 200,
    failed,
    latencyMs: i % 100,
    attempts: 1,
    tokens: {
      input_tokens: tokens,
      output_tokens: 1,
      reasoning_tokens: 0,
      cached_tokens: 0,
      total_tokens: tokens + 1,
    },
    ...over,
  };
}

/** One store under its own prefix. */
class Store {
  readonly redis: RedisService;
  readonly repo: UsageRepository;

  constructor(readonly prefix: string) {
    this.redis = new RedisService(
      testRedisSettings(prefix, { commandTimeoutMs: 5000, connectTimeoutMs: 2000 }),
      'usage-repo',
    );
    this.repo = new UsageRepository(this.redis);
  }

  async start(): Promise<void> {
    this.redis.connect();
    await this.redis.waitReady(5000);
  }

  /**
   * Every usage key but the bookkeeping ones (`applied`, `seen`) with its raw content: hash
   * fields in Redis's own order (insertion order for small hashes), sorted-set members with
   * their scores in rank order.
   */
  async dump(): Promise<Record<string, string[]>> {
    const base = this.redis.key('{usage}', '');
    const keys = (await keysMatching(this.redis, `${base}*`))
      .map((k) => k.slice(base.length))
      .filter((k) => k !== 'applied' && k !== 'seen')
      .sort();
    const out: Record<string, string[]> = {};
    for (const k of keys) {
      out[k] = k.startsWith('det:')
        ? await this.redis.command.zrange(base + k, 0, -1, 'WITHSCORES')
        : ((await this.redis.command.call('HGETALL', base + k)) as string[]);
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.redis.close();
  }
}

const LIVE: ApplyOptions = { boot: 'g1:abc', seq: 1, dedupe: false, keep: 40, minScore: 0 };

describe(`${UsageRepository.name} live batches (real Redis)`, () => {
  const stores: Store[] = [];

  async function store(tag: string): Promise<Store> {
    const s = new Store(uniquePrefix(tag));
    stores.push(s);
    await s.start();
    return s;
  }

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.stop()));
  });

  it('should store exactly what the entry-by-entry script stores for the same batch', async () => {
    const entries = Array.from({ length: 400 }, (_, i) => entryFromRecord(record(i)));
    const [summed, perEntry] = await Promise.all([store('sum-a'), store('sum-b')]);

    expect(await summed.repo.apply(entries, LIVE)).toEqual({
      added: 400,
      skipped: 0,
      replayed: false,
    });
    // Every entry is distinct, so the import script (entry by entry) adds them all too.
    expect(await perEntry.repo.apply(entries, { ...LIVE, boot: undefined, dedupe: true })).toEqual({
      added: 400,
      skipped: 0,
      replayed: false,
    });

    const want = await perEntry.dump();
    expect(Object.keys(want)).toEqual(
      expect.arrayContaining(['totals', 'api', 'model', 'day', 'hour', 'cell:2025-07-01']),
    );
    expect(await summed.dump()).toEqual(want);
  });

  it('should add up to the same hashes and details as one batch per entry, repeats included', async () => {
    const distinct = Array.from({ length: 150 }, (_, i) => entryFromRecord(record(i)));
    // The same entry twice in one batch counts twice (live records are never skipped).
    const entries: UsageEntry[] = [...distinct, ...distinct.slice(0, 20)];
    const [batched, single] = await Promise.all([store('one-a'), store('one-b')]);

    await batched.repo.apply(entries.slice(0, 100), LIVE);
    await batched.repo.apply(entries.slice(100), { ...LIVE, seq: 2 });
    for (const [i, e] of entries.entries()) {
      await single.repo.apply([e], { ...LIVE, seq: i + 1 });
    }

    const want = await single.dump();
    expect(want.totals).toEqual(
      expect.arrayContaining(['requests', String(entries.length)]) as unknown,
    );
    expect(await batched.dump()).toEqual(want);
  });

  it('should not count a replayed batch again', async () => {
    const s = await store('replay');
    const entries = Array.from({ length: 30 }, (_, i) => entryFromRecord(record(i)));
    await s.repo.apply(entries, LIVE);
    const before = await s.dump();
    expect(await s.repo.apply(entries, LIVE)).toEqual({ added: 0, skipped: 0, replayed: true });
    expect(await s.dump()).toEqual(before);
  });

  it('should store every detail of a pair with more details than one ZADD takes', async () => {
    const s = await store('wide');
    const n = MAX_ZADD_MEMBERS * 2 + 7;
    const entries = Array.from({ length: n }, (_, i) =>
      entryFromRecord(record(i, { api: 'k', model: 'm', requestId: `r${i}` })),
    );
    await s.repo.apply(entries, { ...LIVE, keep: n + 100 });
    const det = await s.redis.command.zcard(s.redis.key('{usage}', `det:${pairId('k', 'm')}`));
    expect(det).toBe(n);
    expect((await s.repo.readTotals()).requests).toBe(String(n));
  });
});
