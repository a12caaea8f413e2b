import type { ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import type { UsageRecord } from '@app/usage/usage-record';
import { RedisUsageRecorder, type UsageRecorderOptions } from '@app/usage/redis-usage.recorder';
import type { UsageEntry } from '@app/usage/usage-entry';
import { UsageMetrics } from '@app/usage/usage.metrics';
import type { ApplyOptions, ApplyResult, UsageRepository } from '@app/usage/usage.repository';

/** A repository double: records calls, can be made unreachable or failing. */
class FakeRepo {
  isReady = true;
  failNext = 0;
  rejectNext = false;
  calls: { entries: UsageEntry[]; opts: ApplyOptions }[] = [];
  /** Highest batch number applied per boot (the replay guard); cleared to lose writes. */
  applied = new Map<string, number>();
  private readyListeners: (() => void)[] = [];
  private reconnectListeners: (() => void)[] = [];

  apply(entries: readonly UsageEntry[], opts: ApplyOptions): Promise<ApplyResult> {
    this.calls.push({ entries: [...entries], opts });
    if (this.rejectNext) {
      this.rejectNext = false;
      const err = new Error('ERR Error running script');
      err.name = 'ReplyError';
      return Promise.reject(err);
    }
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('Command timed out'));
    }
    const last = this.applied.get(opts.boot ?? '') ?? 0;
    if (opts.seq !== undefined && opts.seq <= last) {
      return Promise.resolve({ added: 0, skipped: 0, replayed: true });
    }
    this.applied.set(opts.boot ?? '', opts.seq ?? 0);
    return Promise.resolve({ added: entries.length, skipped: 0, replayed: false });
  }

  onReady(fn: () => void): () => void {
    this.readyListeners.push(fn);
    return () => undefined;
  }

  onReconnect(fn: () => void): () => void {
    this.reconnectListeners.push(fn);
    return () => undefined;
  }

  /** A failover: the new primary has the guard (and batches) up to `survivedSeq` only. */
  failover(boot: string, survivedSeq: number): void {
    this.applied.set(boot, survivedSeq);
    for (const fn of this.reconnectListeners) fn();
  }

  emitReady(): void {
    this.isReady = true;
    for (const fn of this.readyListeners) fn();
  }

  readIndex() {
    return Promise.resolve({ model: {}, day: {} });
  }

  trimDetails() {
    return Promise.resolve();
  }
}

function record(i: number, over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: `req-${i}`,
    timestamp: '2025-01-01T00:00:00.000000000Z',
    api: 'key',
    clientKeyId: '',
    model: 'm',
    upstreamModel: 'm',
    provider: 'p',
    source: 's',
    authIndex: '0',
    credentialId: 'c',
    clientFormat: 'openai',
    route: '/v1/chat/completions',
    stream: false,
    status: 200,
    failed: false,
    latencyMs: 1,
    attempts: 1,
    tokens: {
      input_tokens: 1,
      output_tokens: 1,
      reasoning_tokens: 0,
      cached_tokens: 0,
      total_tokens: 2,
    },
    ...over,
  };
}

function requestIds(entries: UsageEntry[]): string[] {
  return entries.map((e) => (JSON.parse(e.member.slice(16)) as { request_id: string }).request_id);
}

describe(RedisUsageRecorder.name, () => {
  let repo: FakeRepo;
  let metrics: MetricsService;
  let enabled: boolean;
  let sut: RedisUsageRecorder;

  function make(opts: Partial<UsageRecorderOptions> = {}): RedisUsageRecorder {
    metrics = new MetricsService();
    const config = {
      get current() {
        return {
          'usage-statistics-enabled': enabled,
          usage: { 'details-max-per-model': 7, 'details-max-age-days': 2 },
        };
      },
    } as unknown as ConfigService;
    return new RedisUsageRecorder(
      config,
      repo as unknown as UsageRepository,
      new UsageMetrics(metrics),
      'gateway-test',
      { flushIntervalMs: 60_000, batchSize: 3, bufferMax: 5, ...opts },
    );
  }

  async function metric(name: string): Promise<number> {
    const m = await metrics.registry.getSingleMetricAsString(name);
    const line = m.split('\n').find((l) => l.startsWith(name + ' '));
    return Number(line?.split(' ')[1]);
  }

  beforeEach(() => {
    repo = new FakeRepo();
    enabled = true;
    sut = make();
  });

  afterEach(async () => {
    await sut.onApplicationShutdown();
  });

  it('should only buffer on record() and write in batches of the configured size', async () => {
    sut.record(record(1));
    sut.record(record(2));
    expect(repo.calls).toHaveLength(0);
    expect(sut.buffered).toBe(2);
    sut.record(record(3));
    sut.record(record(4));
    await sut.flush();
    expect(repo.calls.map((c) => requestIds(c.entries))).toEqual([
      ['req-1', 'req-2', 'req-3'],
      ['req-4'],
    ]);
    expect(sut.buffered).toBe(0);
  });

  it('should number live batches and pass the retention settings', async () => {
    const before = Date.now();
    for (let i = 0; i < 4; i++) sut.record(record(i));
    await sut.flush();
    const [a, b] = repo.calls.map((c) => c.opts);
    expect(a).toMatchObject({ seq: 1, dedupe: false, keep: 7 });
    expect(b.seq).toBe(2);
    expect(a.boot).toBe(b.boot);
    expect(a.boot).toMatch(/^gateway-test:[0-9a-f]{12}$/);
    expect(a.minScore).toBeGreaterThanOrEqual(before - 2 * 86_400_000);
  });

  it('should retry a failed batch unchanged, with the same sequence number', async () => {
    for (let i = 0; i < 3; i++) sut.record(record(i));
    repo.failNext = 1;
    await sut.flush();
    expect(sut.buffered).toBe(3);
    sut.record(record(9));
    await sut.flush();
    const [failed, retried, next] = repo.calls;
    expect(retried.opts.seq).toBe(failed.opts.seq);
    expect(retried.entries.map((e) => e.member)).toEqual(failed.entries.map((e) => e.member));
    expect(requestIds(next.entries)).toEqual(['req-9']);
    expect(next.opts.seq).toBe(failed.opts.seq! + 1);
    expect(await metric('switchboard_usage_flush_errors_total')).toBe(1);
  });

  it('should not try while Redis is down, and write as soon as it reconnects', async () => {
    sut.onApplicationBootstrap();
    repo.isReady = false;
    sut.record(record(1));
    await sut.flush();
    expect(repo.calls).toHaveLength(0);
    expect(await metric('switchboard_usage_records_buffered')).toBe(1);
    repo.emitReady();
    await sut.flush();
    expect(repo.calls).toHaveLength(1);
    expect(await metric('switchboard_usage_records_buffered')).toBe(0);
  });

  it('should write the batches of the last seconds again after a failover, oldest first, before new ones', async () => {
    sut = make({ bufferMax: 100 });
    sut.onApplicationBootstrap();
    for (let i = 1; i <= 9; i++) sut.record(record(i));
    await sut.flush(); // batches 1, 2, 3 confirmed by the old primary
    const boot = repo.calls[0].opts.boot!;
    // The promoted replica had received batch 1 only.
    repo.failover(boot, 1);
    sut.record(record(10));
    await sut.flush();
    const again = repo.calls.slice(3);
    expect(again.map((c) => c.opts.seq)).toEqual([1, 2, 3, 4]);
    expect(again.map((c) => requestIds(c.entries))).toEqual([
      ['req-1', 'req-2', 'req-3'],
      ['req-4', 'req-5', 'req-6'],
      ['req-7', 'req-8', 'req-9'],
      ['req-10'],
    ]);
    // Kept packed while confirmed: written again field for field as the first time.
    expect(again.slice(0, 3).map((c) => c.entries)).toEqual(
      repo.calls.slice(0, 3).map((c) => c.entries),
    );
    expect(repo.applied.get(boot)).toBe(4);
    const resent = await metrics.registry.getSingleMetricAsString(
      'switchboard_usage_batches_resent_total',
    );
    expect(resent).toContain('switchboard_usage_batches_resent_total{result="replayed"} 1');
    expect(resent).toContain('switchboard_usage_batches_resent_total{result="applied"} 2');
  });

  it('should write a batch whose reply was lost after the confirmed ones, and keep no batch older than the window', async () => {
    sut = make({ bufferMax: 100 });
    sut.onApplicationBootstrap();
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(1_000_000);
      for (let i = 1; i <= 3; i++) sut.record(record(i));
      await sut.flush(); // batch 1, long ago
      now.mockReturnValue(1_000_000 + 60_000);
      for (let i = 4; i <= 6; i++) sut.record(record(i));
      await sut.flush(); // batch 2, just now
      for (let i = 7; i <= 9; i++) sut.record(record(i));
      repo.failNext = 1;
      await sut.flush(); // batch 3 fails: the connection dropped
      const boot = repo.calls[0].opts.boot!;
      repo.failover(boot, 1);
      await sut.flush();
      expect(repo.calls.slice(3).map((c) => c.opts.seq)).toEqual([2, 3]);
    } finally {
      now.mockRestore();
    }
  });

  it('should drop the oldest records beyond the cap and count them', async () => {
    repo.isReady = false;
    for (let i = 1; i <= 8; i++) sut.record(record(i));
    expect(sut.buffered).toBe(5);
    expect(await metric('switchboard_usage_records_dropped_total')).toBe(3);
    repo.isReady = true;
    await sut.flush();
    expect(repo.calls.flatMap((c) => requestIds(c.entries))).toEqual([
      'req-4',
      'req-5',
      'req-6',
      'req-7',
      'req-8',
    ]);
  });

  it('should drop a batch Redis refuses to run instead of retrying it forever', async () => {
    for (let i = 0; i < 4; i++) sut.record(record(i));
    repo.rejectNext = true;
    await sut.flush();
    expect(repo.calls).toHaveLength(2);
    expect(requestIds(repo.calls[1].entries)).toEqual(['req-3']);
    expect(sut.buffered).toBe(0);
    expect(await metric('switchboard_usage_records_dropped_total')).toBe(3);
  });

  it('should record nothing while usage-statistics-enabled is false', async () => {
    enabled = false;
    sut.record(record(1));
    enabled = true;
    sut.record(record(2));
    await sut.flush();
    expect(repo.calls.flatMap((c) => requestIds(c.entries))).toEqual(['req-2']);
  });

  it('should write what is left on shutdown', async () => {
    sut = make({ batchSize: 500, bufferMax: 1000 });
    for (let i = 0; i < 20; i++) sut.record(record(i));
    await sut.onApplicationShutdown();
    expect(repo.calls.flatMap((c) => c.entries)).toHaveLength(20);
  });

  it('should give up on shutdown after its deadline when Redis stays down', async () => {
    sut = make({ shutdownFlushMs: 100 });
    repo.isReady = false;
    sut.record(record(1));
    const started = Date.now();
    await sut.onApplicationShutdown();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sut.buffered).toBe(1);
  });

  it('should flush by itself once a full batch is waiting', async () => {
    for (let i = 0; i < 2; i++) sut.record(record(i));
    await new Promise((r) => setImmediate(r));
    expect(repo.calls).toHaveLength(0);
    sut.record(record(2));
    await new Promise((r) => setImmediate(r));
    expect(repo.calls).toHaveLength(1);
  });
});
