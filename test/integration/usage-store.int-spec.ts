import type { ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import {
  type UsageRecord,
  RedisUsageRecorder,
  UsageMetrics,
  UsageRepository,
  UsageService,
  entryFromRecord,
  parseImportPayload,
  type UsageSnapshot,
} from '@app/usage';
import { RedisService } from '@app/storage';
import { uniquePrefix, testRedisSettings } from '@test/utils/env';

interface Retention {
  keep: number;
  ageDays: number;
}

/** One gateway's worth of usage plumbing on its own Redis connection. */
class Replica {
  readonly redis: RedisService;
  readonly repo: UsageRepository;
  readonly recorder: RedisUsageRecorder;
  readonly service: UsageService;

  constructor(prefix: string, name: string, retention: Retention) {
    const config = {
      get current() {
        return {
          'usage-statistics-enabled': true,
          usage: {
            'details-max-per-model': retention.keep,
            'details-max-age-days': retention.ageDays,
          },
        };
      },
    } as unknown as ConfigService;
    this.redis = new RedisService(
      testRedisSettings(prefix, { commandTimeoutMs: 2000, connectTimeoutMs: 2000 }),
      name,
    );
    this.redis.connect();
    this.repo = new UsageRepository(this.redis);
    this.recorder = new RedisUsageRecorder(
      config,
      this.repo,
      new UsageMetrics(new MetricsService()),
      name,
      {
        flushIntervalMs: 20,
        batchSize: 200,
      },
    );
    this.service = new UsageService(config, this.repo, this.recorder);
  }

  async start(): Promise<void> {
    await this.redis.waitReady(5000);
    this.recorder.onApplicationBootstrap();
  }

  async stop(): Promise<void> {
    await this.recorder.onApplicationShutdown();
    await this.redis.close();
  }
}

const KEYS = ['sk-…aaaa', 'sk-…bbbb', 'POST /v1/messages'];
const MODELS = ['gpt-fake', 'claude-fake', 'gemini-fake', 'odd model/name'];
const HOUR = 3_600_000;
const BASE = Date.UTC(2025, 4, 1, 22, 0, 0); // spans midnight UTC

let seq = 0;
function record(i: number, when: number): UsageRecord {
  seq++;
  const failed = i % 7 === 0;
  const input = (i * 13) % 50;
  const output = failed ? 0 : (i * 7) % 30;
  return {
    requestId: `req-${seq}`,
    timestamp: new Date(when).toISOString().replace('Z', `${String(seq % 1e6).padStart(6, '0')}Z`),
    api: KEYS[i % KEYS.length],
    clientKeyId: '',
    model: MODELS[i % MODELS.length],
    upstreamModel: 'x',
    provider: 'p',
    source: `src-${i % 2}`,
    authIndex: String(i % 3),
    credentialId: 'c',
    clientFormat: 'openai',
    route: '/v1/chat/completions',
    stream: i % 2 === 0,
    status: failed ? 500 : 200,
    failed,
    latencyMs: i % 100,
    attempts: 1,
    tokens: {
      input_tokens: input,
      output_tokens: output,
      reasoning_tokens: 0,
      cached_tokens: 0,
      total_tokens: input + output,
    },
  };
}

/** What a snapshot must say about `records`, computed independently. */
function expected(records: UsageRecord[]) {
  const e = {
    total: 0,
    failed: 0,
    tokens: 0,
    perApi: new Map<string, [number, number]>(),
    perModel: new Map<string, [number, number]>(),
    perDay: new Map<string, number>(),
  };
  for (const r of records) {
    const t = r.tokens.total_tokens;
    e.total++;
    if (r.failed) e.failed++;
    e.tokens += t;
    const a = e.perApi.get(r.api) ?? [0, 0];
    e.perApi.set(r.api, [a[0] + 1, a[1] + t]);
    const k = `${r.api}|${r.model}`;
    const m = e.perModel.get(k) ?? [0, 0];
    e.perModel.set(k, [m[0] + 1, m[1] + t]);
    const day = r.timestamp.slice(0, 10);
    e.perDay.set(day, (e.perDay.get(day) ?? 0) + 1);
  }
  return e;
}

function expectMatches(s: UsageSnapshot, records: UsageRecord[]): void {
  const e = expected(records);
  expect(s.total_requests).toBe(e.total);
  expect(s.failure_count).toBe(e.failed);
  expect(s.success_count).toBe(e.total - e.failed);
  expect(s.total_tokens).toBe(e.tokens);
  for (const [api, [req, tok]] of e.perApi) {
    expect([api, s.apis[api]?.total_requests, s.apis[api]?.total_tokens]).toEqual([api, req, tok]);
  }
  for (const [k, [req, tok]] of e.perModel) {
    const [api, model] = k.split('|');
    const m = s.apis[api]?.models[model];
    expect([k, m?.total_requests, m?.total_tokens]).toEqual([k, req, tok]);
  }
  expect(s.requests_by_day).toEqual(Object.fromEntries([...e.perDay].sort()));
  const hours = Object.values(s.requests_by_hour).reduce((a, b) => a + b, 0);
  expect(hours).toBe(e.total);
}

describe('usage store (real Redis)', () => {
  const retention: Retention = { keep: 1000, ageDays: 100_000 };

  describe('two recorders writing at once', () => {
    let a: Replica;
    let b: Replica;
    const all: UsageRecord[] = [];

    beforeAll(async () => {
      const prefix = uniquePrefix('usage-two');
      a = new Replica(prefix, 'usage-a', retention);
      b = new Replica(prefix, 'usage-b', retention);
      await Promise.all([a.start(), b.start()]);
      // Interleaved, from both sides, with flushes racing each other.
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 6000; i++) {
        const r = record(i, BASE + (i % 6) * HOUR + i);
        all.push(r);
        (i % 2 ? a : b).recorder.record(r);
        if (i % 500 === 0) writes.push(a.recorder.flush(), b.recorder.flush());
      }
      await Promise.all(writes);
      await Promise.all([a.recorder.flush(), b.recorder.flush()]);
    });

    afterAll(async () => {
      await Promise.all([a.stop(), b.stop()]);
    });

    it('should count every record exactly once', async () => {
      const s = await a.service.snapshot();
      expectMatches(s, all);
      expect(await b.service.snapshot()).toEqual(s);
    });

    it('should retain every detail with its CLIProxyAPI fields', async () => {
      const s = await a.service.snapshot();
      const details = Object.values(s.apis).flatMap((api) =>
        Object.values(api.models).flatMap((m) => m.details),
      );
      expect(details).toHaveLength(all.length);
      const byId = new Map(all.map((r) => [r.requestId, r]));
      for (const d of details.slice(0, 50)) {
        const r = byId.get(d.request_id!)!;
        expect(d).toEqual({
          timestamp: r.timestamp,
          latency_ms: r.latencyMs,
          source: r.source,
          auth_index: r.authIndex,
          request_id: r.requestId,
          tokens: r.tokens,
          failed: r.failed,
        });
      }
      const one = s.apis[KEYS[0]].models[MODELS[0]].details.map((d) => d.timestamp);
      expect(one).toEqual([...one].sort());
    });

    it('should narrow by key, model and time with exact counts', async () => {
      // Hour-aligned: aggregates are counted per whole hour, details per instant.
      const from = BASE + 3 * HOUR;
      const to = BASE + 5 * HOUR - 1;
      const s = await a.service.snapshot({
        api: KEYS[1],
        model: MODELS[2],
        fromMs: from,
        toMs: to,
      });
      const want = all.filter(
        (r) =>
          r.api === KEYS[1] &&
          r.model === MODELS[2] &&
          Date.parse(r.timestamp) >= from &&
          Date.parse(r.timestamp) <= to,
      );
      expect(want.length).toBeGreaterThan(0);
      expectMatches(s, want);
      expect(Object.keys(s.apis)).toEqual([KEYS[1]]);
      expect(s.apis[KEYS[1]].models[MODELS[2]].details).toHaveLength(want.length);
    });

    it('should give the same answer narrowed to everything as unfiltered', async () => {
      const whole = await a.service.snapshot();
      const wide = await a.service.snapshot({ fromMs: 0, toMs: Date.now() + HOUR });
      expect(wide).toEqual(whole);
    });
  });

  describe('retention', () => {
    it('should trim details by count and age and never touch the aggregates', async () => {
      const r: Retention = { keep: 5, ageDays: 1 };
      const sut = new Replica(uniquePrefix('usage-trim'), 'usage-trim', r);
      await sut.start();
      try {
        const now = Date.now();
        const recs: UsageRecord[] = [];
        for (let i = 0; i < 12; i++) recs.push(record(12, now - (12 - i) * 1000));
        // Two days old: counted, never shown as details.
        for (let i = 0; i < 3; i++) recs.push(record(12, now - 2 * 86_400_000 - i));
        for (const x of recs) sut.recorder.record(x);
        await sut.recorder.flush();

        const s = await sut.service.snapshot();
        const m = s.apis[KEYS[0]].models[MODELS[0]];
        expect(m.total_requests).toBe(15);
        expect(m.details.map((d) => d.request_id)).toEqual(
          recs.slice(7, 12).map((x) => x.requestId),
        );
        expect(s.total_requests).toBe(15);
        expect(s.total_tokens).toBe(recs.reduce((t, x) => t + x.tokens.total_tokens, 0));

        // A lower limit takes effect on the next read and on the next write.
        r.keep = 2;
        expect((await sut.service.snapshot()).apis[KEYS[0]].models[MODELS[0]].details).toHaveLength(
          2,
        );
        expect((await sut.service.snapshot()).apis[KEYS[0]].models[MODELS[0]].total_requests).toBe(
          15,
        );
      } finally {
        await sut.stop();
      }
    });
  });

  describe('replays and imports', () => {
    it('should not count a live batch twice when it is sent again', async () => {
      const sut = new Replica(uniquePrefix('usage-replay'), 'usage-replay', retention);
      await sut.start();
      try {
        const entries = [record(1, BASE), record(2, BASE)].map((x) => entryFromRecord(x));
        const opts = { boot: 'g1:abc', seq: 1, dedupe: false, keep: 10, minScore: 0 };
        expect(await sut.repo.apply(entries, opts)).toEqual({
          added: 2,
          skipped: 0,
          replayed: false,
        });
        expect(await sut.repo.apply(entries, opts)).toEqual({
          added: 0,
          skipped: 0,
          replayed: true,
        });
        expect((await sut.repo.apply(entries, { ...opts, seq: 2 })).added).toBe(2);
        expect((await sut.repo.apply(entries, { ...opts, boot: 'g2:def' })).added).toBe(2);
        expect((await sut.repo.readTotals()).requests).toBe('6');
      } finally {
        await sut.stop();
      }
    });

    it('should reproduce a snapshot in an empty store and add nothing on a second import', async () => {
      const source = new Replica(uniquePrefix('usage-src'), 'usage-src', retention);
      const target = new Replica(uniquePrefix('usage-dst'), 'usage-dst', retention);
      await Promise.all([source.start(), target.start()]);
      try {
        for (let i = 0; i < 700; i++) source.recorder.record(record(i, BASE + i * 60_000));
        await source.recorder.flush();
        const exported = JSON.parse(JSON.stringify(await source.service.exportUsage())) as unknown;

        const parsed = parseImportPayload(exported);
        if (!parsed.ok) throw new Error(parsed.error);
        const first = await target.service.importUsage(parsed.entries);
        expect(first).toEqual({
          added: 700,
          skipped: 0,
          total_requests: 700,
          failed_requests: 100,
        });
        expect(await target.service.snapshot()).toEqual(await source.service.snapshot());

        const second = await target.service.importUsage(parsed.entries);
        expect(second).toEqual({
          added: 0,
          skipped: 700,
          total_requests: 700,
          failed_requests: 100,
        });
        expect(await target.service.snapshot()).toEqual(await source.service.snapshot());

        // Importing a deployment's own export into itself adds nothing either.
        expect((await source.service.importUsage(parsed.entries)).added).toBe(0);
        expect((await source.service.snapshot()).total_requests).toBe(700);
      } finally {
        await Promise.all([source.stop(), target.stop()]);
      }
    });

    it('should keep import de-duplication for details trimmed after import', async () => {
      const small: Retention = { keep: 3, ageDays: 100_000 };
      const sut = new Replica(uniquePrefix('usage-imptrim'), 'usage-imptrim', small);
      await sut.start();
      try {
        const entries = Array.from({ length: 10 }, (_, i) =>
          entryFromRecord(record(0, BASE + i * 1000)),
        );
        expect((await sut.service.importUsage(entries)).added).toBe(10);
        const again = await sut.service.importUsage(entries);
        expect(again).toMatchObject({ added: 0, skipped: 10, total_requests: 10 });
        const s = await sut.service.snapshot();
        expect(s.apis[KEYS[0]].models[MODELS[0]].details).toHaveLength(3);
      } finally {
        await sut.stop();
      }
    });
  });
});
