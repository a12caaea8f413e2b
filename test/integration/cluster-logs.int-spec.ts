import { Logger } from '@nestjs/common';
import type { ConfigService } from '@app/config';
import {
  CappedStreamWriter,
  ErrorLogRecorder,
  ErrorLogRepository,
  LogsMetrics,
  ProcessLogRepository,
  ProcessLogStore,
  RequestLogRecorder,
  RequestLogRepository,
  StreamTailer,
  decodeRequestLog,
  encodeRequestLog,
  parseRequestQuery,
  type RequestLogEntry,
} from '@app/logs';
import { MetricsService } from '@app/metrics';
import type { UsageRecord } from '@app/usage';
import { RedisService } from '@app/storage';
import { uniquePrefix, waitFor, testRedisSettings } from '@test/utils/env';

function usage(i: number, over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: `req-${i}`,
    timestamp: new Date().toISOString(),
    api: 'sk-…abcd',
    clientKeyId: 'deadbeef',
    model: i % 2 ? 'gpt-4o' : 'claude-x',
    upstreamModel: 'm',
    provider: i % 2 ? 'openai' : 'claude',
    source: 's',
    authIndex: `a${i % 3}`,
    credentialId: 'c',
    clientFormat: 'openai',
    route: '/v1/chat/completions',
    stream: false,
    status: i % 10 === 0 ? 502 : 200,
    failed: i % 10 === 0,
    latencyMs: 12,
    attempts: 1,
    tokens: {
      input_tokens: 1,
      output_tokens: 2,
      reasoning_tokens: 0,
      cached_tokens: 0,
      total_tokens: 3,
    },
    ...over,
  };
}

describe('shared logs (real Redis)', () => {
  const prefix = uniquePrefix('logs');
  let redis: RedisService;
  let metrics: LogsMetrics;
  const cfg = {
    'request-log-max-entries': 200,
    'error-logs-max-files': 3,
    'request-log': false,
  };
  const config = {
    get current() {
      return cfg;
    },
  } as unknown as ConfigService;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    redis = new RedisService(testRedisSettings(prefix), 'logs-test');
    redis.connect();
    await redis.waitReady(5000);
    metrics = new LogsMetrics(new MetricsService());
  });

  afterAll(async () => {
    await redis.close();
  });

  it('should cap the request log with XADD MAXLEN ~ request-log-max-entries', async () => {
    const repo = new RequestLogRepository(redis);
    const sut = new RequestLogRecorder(config, redis, repo, metrics, 'gateway-1');
    for (let i = 0; i < 2000; i++) sut.record(usage(i));
    await sut.flush();
    await waitFor(() => sut.pending === 0, { what: 'flushed' });
    const len = await redis.command.xlen(repo.key);
    // `~` trims whole macro nodes (100 entries each by default): at least the cap, at most a node more
    expect(len).toBeGreaterThanOrEqual(200);
    expect(len).toBeLessThanOrEqual(300);
    const page = await repo.query(parseRequestQuery({ limit: '5' }));
    expect(page.total_count).toBe(len);
    expect(page.requests.map((r) => r.request_id)).toEqual([
      'req-1999',
      'req-1998',
      'req-1997',
      'req-1996',
      'req-1995',
    ]);
    expect(page.requests[0]).toMatchObject({
      process: 'gateway-1',
      method: 'POST',
      url: '/v1/chat/completions',
    });
  });

  it('should list requests newest first by finish time, whatever order replicas wrote them in', async () => {
    const prefix2 = uniquePrefix('logs-order');
    const r2 = new RedisService(testRedisSettings(prefix2), 'logs-order-test');
    r2.connect();
    await r2.waitReady(5000);
    try {
      const repo = new RequestLogRepository(r2);
      const base = Date.now();
      const at = (ms: number) => new Date(base + ms).toISOString();
      // gateway-a's batch (t=0, t=20) lands after gateway-b's (t=10, t=30): stream order a0 a20
      // would otherwise come after b10 b30
      const write = async (id: string, ms: number, proc: string) =>
        r2.command.xadd(
          repo.key,
          '*',
          'j',
          encodeRequestLog(usage(0, { requestId: id, timestamp: at(ms) }), proc),
        );
      await write('b10', 10, 'gateway-b');
      await write('b30', 30, 'gateway-b');
      await write('a0', 0, 'gateway-a');
      await write('a20', 20, 'gateway-a');
      const page = await repo.query(parseRequestQuery({}));
      expect(page.requests.map((r) => r.request_id)).toEqual(['b30', 'a20', 'b10', 'a0']);
      expect(page).toMatchObject({ filtered_count: 4, total_count: 4 });
      const two = await repo.query(parseRequestQuery({ limit: '2' }));
      expect(two.requests.map((r) => r.request_id)).toEqual(['b30', 'a20']);
      expect(two).toMatchObject({ filtered_count: 2, total_count: 4 });
    } finally {
      await r2.command.del(new RequestLogRepository(r2).key);
      await r2.close();
    }
  });

  it('should never count fewer entries than the page lists, even while replicas write', async () => {
    const prefix3 = uniquePrefix('logs-race');
    const r3 = new RedisService(testRedisSettings(prefix3), 'logs-race-test');
    r3.connect();
    await r3.waitReady(5000);
    const repo = new RequestLogRepository(r3);
    const write = (id: string) =>
      r3.command.xadd(
        repo.key,
        '*',
        'j',
        encodeRequestLog(usage(0, { requestId: id, timestamp: new Date().toISOString() }), 'gw'),
      );
    const xrevrange = r3.command.xrevrange.bind(r3.command);
    try {
      await write('first');
      // Another replica's batch lands while this one reads the stream.
      let raced = false;
      (r3.command as { xrevrange: unknown }).xrevrange = async (...args: unknown[]) => {
        if (!raced) {
          raced = true;
          await write('during-1');
          await write('during-2');
        }
        return (xrevrange as (...a: unknown[]) => Promise<unknown>)(...args);
      };
      const page = await repo.query(parseRequestQuery({}));
      expect(page.requests).toHaveLength(3);
      expect(page.total_count).toBeGreaterThanOrEqual(page.requests.length);
    } finally {
      (r3.command as { xrevrange: unknown }).xrevrange = xrevrange;
      await r3.command.del(repo.key);
      await r3.close();
    }
  });

  it('should filter the request log server-side and count the matches', async () => {
    const repo = new RequestLogRepository(redis);
    const page = await repo.query(
      parseRequestQuery({ min_status: '500', subdomain: 'claude', limit: '3' }),
    );
    expect(page.requests).toHaveLength(3);
    expect(page.requests.every((r) => r.status_code === 502 && r.subdomain === 'claude')).toBe(
      true,
    );
    expect(page.filtered_count).toBe(3);
    expect(page.total_count).toBeGreaterThan(3);
  });

  it('should cap any stream writer at its MAXLEN', async () => {
    const key = redis.key('logs', 'cap-probe');
    const sut = new CappedStreamWriter(redis, {
      key,
      maxLen: () => 150,
      bufferMax: 10_000,
      batchSize: 300,
      flushDelayMs: 5,
    });
    for (let i = 0; i < 3000; i++) sut.push(String(i));
    await waitFor(async () => sut.pending === 0 && (await sut.flush(), true), { what: 'drained' });
    const len = await redis.command.xlen(key);
    expect(len).toBeGreaterThanOrEqual(150);
    expect(len).toBeLessThanOrEqual(250);
    expect(sut.written).toBe(3000);
  });

  it('should store process log lines masked, and read them back newest first, since a time, and cleared', async () => {
    const repo = new ProcessLogRepository(redis);
    const store = new ProcessLogStore(redis, repo, metrics, 'worker-1');
    store.append('info', 'Worker', 'heartbeat 1');
    store.append('warn', 'Auth', 'refresh failed for Bearer abcdefghijklmnopqrstuvwxyz');
    await store.flush();
    const seen: string[] = [];
    await repo.scanNewestFirst((e) => {
      seen.push(`${e.process}/${e.level}/${e.context}: ${e.message}`);
      return true;
    });
    expect(seen[1]).toBe('worker-1/info/Worker: heartbeat 1');
    expect(seen[0]).toMatch(/^worker-1\/warn\/Auth: refresh failed for Bearer \S+…wxyz$/);
    expect(seen.join('\n')).not.toContain('abcdefghijklmnopqrstuvwxyz');
    expect((await repo.since(0, 1)).map((e) => e.message)).toEqual([
      seen[0].split(': ').slice(1).join(': '),
    ]);
    expect(await repo.since(Date.now() + 60_000, 10)).toEqual([]);
    expect(await repo.clear()).toBe(2);
    expect(await repo.length()).toBe(0);
  });

  it('should keep at most error-logs-max-files error logs, deleting the evicted texts', async () => {
    const repo = new ErrorLogRepository(redis);
    const sut = new ErrorLogRecorder(config, redis, repo, metrics);
    for (let i = 0; i < 5; i++) {
      sut.record({
        requestId: `r${i}`,
        method: 'POST',
        path: '/v1/messages',
        headers: { 'x-api-key': 'sk-ant-secret-000000000000' },
        requestBody: '{}',
        upstreamStatus: 500,
        upstreamBody: 'boom',
        responseStatus: 500,
        responseBody: '{"type":"error"}',
        timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
      });
    }
    // a success is not logged
    sut.record({ requestId: 'ok', method: 'POST', path: '/x', headers: {}, responseStatus: 200 });
    await sut.settled();
    const files = await repo.list();
    expect(files.map((f) => f.name)).toEqual([
      'error-2025-01-01T00-00-04.000Z-r4.log',
      'error-2025-01-01T00-00-03.000Z-r3.log',
      'error-2025-01-01T00-00-02.000Z-r2.log',
    ]);
    expect(files[0].modified).toBe(Date.UTC(2025, 0, 1, 0, 0, 4) / 1000);
    const text = await repo.get(files[0].name);
    expect(files[0].size).toBe(Buffer.byteLength(text ?? ''));
    expect(text).toContain('=== API ERROR RESPONSE ===\nHTTP Status: 500\nboom');
    expect(text).not.toContain('sk-ant-secret-000000000000');
    expect(await repo.get('error-2025-01-01T00-00-00.000Z-r0.log')).toBeUndefined();
    expect(
      await redis.command.exists(
        redis.key('logs', '{errors}', 'error-2025-01-01T00-00-00.000Z-r0.log'),
      ),
    ).toBe(0);
    expect(await repo.get('../../etc/passwd')).toBeUndefined();
  });

  it('should deliver entries written by another replica to a live reader within 200 ms', async () => {
    const repo = new RequestLogRepository(redis);
    const otherRedis = new RedisService(testRedisSettings(prefix), 'other-replica');
    otherRedis.connect();
    await otherRedis.waitReady(5000);
    const other = new RequestLogRecorder(
      config,
      otherRedis,
      new RequestLogRepository(otherRedis),
      metrics,
      'gateway-2',
    );
    const sut = new StreamTailer<RequestLogEntry>(redis, repo.key, decodeRequestLog);
    const got: { entry: RequestLogEntry; at: number }[] = [];
    const off = await sut.subscribe((entry) => got.push({ entry, at: Date.now() }));
    try {
      const sentAt = Date.now();
      other.record(usage(7, { requestId: 'live-1', status: 503 }));
      await waitFor(() => got.length > 0, { timeoutMs: 2000, what: 'live entry' });
      expect(got[0].entry).toMatchObject({
        request_id: 'live-1',
        status_code: 503,
        process: 'gateway-2',
      });
      expect(got[0].at - sentAt).toBeLessThan(200);
    } finally {
      off();
      await other.beforeApplicationShutdown();
      await otherRedis.close();
    }
  });
});
