import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import { type UsageRecord, RedisUsageRecorder, UsageMetrics, UsageRepository } from '@app/usage';
import { RedisService } from '@app/storage';
import { freePort, uniquePrefix, waitFor } from '@test/utils/env';

// A Redis of our own (the shared test one must stay up): stopped and restarted on the same port
// and data dir, with AOF on, as a real deployment runs it.
class OwnRedis {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'sb-usage-redis-'));

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const bin =
      process.env.SB_TEST_REDIS_BIN ??
      ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
    if (!bin)
      throw new Error('this spec needs a redis-server binary (apt-get install -y redis-server)');
    this.child = spawn(
      bin,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(() => ping(this.port), {
      timeoutMs: 10_000,
      what: `redis-server on ${this.port}`,
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** Forget everything (while stopped): the next start is a server that never saw the data. */
  wipe(): void {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

function fakeConfig(): ConfigService {
  const current = {
    'usage-statistics-enabled': true,
    usage: { 'details-max-per-model': 1000, 'details-max-age-days': 30 },
  };
  return { current } as unknown as ConfigService;
}

let n = 0;
function record(): UsageRecord {
  n++;
  return {
    requestId: `r${n}`,
    timestamp: new Date().toISOString().replace('Z', '000000Z'),
    api: 'sk-…down',
    clientKeyId: '',
    model: 'gpt-fake',
    upstreamModel: 'gpt-fake',
    provider: 'openai-compatibility',
    source: 'fake',
    authIndex: '0',
    credentialId: 'c',
    clientFormat: 'openai',
    route: '/v1/chat/completions',
    stream: false,
    status: 200,
    failed: false,
    latencyMs: 5,
    attempts: 1,
    tokens: {
      input_tokens: 2,
      output_tokens: 1,
      reasoning_tokens: 0,
      cached_tokens: 0,
      total_tokens: 3,
    },
  };
}

async function metric(metrics: MetricsService, name: string): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describe('usage recorder against a Redis that goes away', () => {
  let server: OwnRedis;
  let redis: RedisService;
  let repo: UsageRepository;
  const prefix = uniquePrefix('usage-down');
  const recorders: RedisUsageRecorder[] = [];

  function makeRecorder(bufferMax: number): { sut: RedisUsageRecorder; metrics: MetricsService } {
    const metrics = new MetricsService();
    const sut = new RedisUsageRecorder(fakeConfig(), repo, new UsageMetrics(metrics), 'int-down', {
      flushIntervalMs: 50,
      batchSize: 100,
      bufferMax,
    });
    sut.onApplicationBootstrap();
    recorders.push(sut);
    return { sut, metrics };
  }

  const totalRequests = async () => Number((await repo.readTotals()).requests ?? 0);

  beforeAll(async () => {
    server = new OwnRedis(await freePort());
    await server.start();
    redis = new RedisService(
      { url: server.url, keyPrefix: prefix, commandTimeoutMs: 500, connectTimeoutMs: 500 },
      'usage-down',
    );
    redis.connect();
    expect(await redis.waitReady(5000)).toBe(true);
    repo = new UsageRepository(redis);
  });

  afterAll(async () => {
    for (const r of recorders) await r.onApplicationShutdown();
    await redis.close();
    await server.destroy();
  });

  it('should buffer while Redis is down and write everything once it is back', async () => {
    const { sut, metrics } = makeRecorder(10_000);
    for (let i = 0; i < 300; i++) sut.record(record());
    await waitFor(async () => (await totalRequests()) === 300, { what: '300 records in Redis' });

    await server.stop();
    await waitFor(() => !redis.isReady, { what: 'the connection to notice' });
    for (let i = 0; i < 500; i++) sut.record(record());
    await sut.flush();
    expect(sut.buffered).toBe(500);
    expect(await metric(metrics, 'switchboard_usage_records_buffered')).toBe(500);

    await server.start();
    // Written on reconnect, added to what survived the restart (AOF), counted once.
    await waitFor(async () => redis.isReady && (await totalRequests()) === 800, {
      timeoutMs: 10_000,
      what: '800 records after the restart',
    });
    expect(sut.buffered).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await totalRequests()).toBe(800);
    expect(await metric(metrics, 'switchboard_usage_records_dropped_total')).toBe(0);
  });

  it('should keep only the newest records beyond its cap, and count what it dropped', async () => {
    const before = await totalRequests();
    const { sut, metrics } = makeRecorder(100);
    await server.stop();
    await waitFor(() => !redis.isReady, { what: 'the connection to notice' });
    for (let i = 0; i < 150; i++) sut.record(record());
    expect(sut.buffered).toBe(100);
    expect(await metric(metrics, 'switchboard_usage_records_dropped_total')).toBe(50);
    const newest = n;

    await server.start();
    await waitFor(async () => redis.isReady && (await totalRequests()) === before + 100, {
      timeoutMs: 10_000,
      what: 'the 100 kept records',
    });
    const snapshotIds = (
      await repo.readDetails([{ api: 'sk-…down', model: 'gpt-fake' }], 0, Infinity, 1000)
    )
      .get('sk-…down\x1fgpt-fake')!
      .map((d) => d.request_id);
    expect(snapshotIds).toContain(`r${newest}`);
    expect(snapshotIds).not.toContain(`r${newest - 100}`);
    expect(snapshotIds).toContain(`r${newest - 99}`);
  });

  it('should lose nothing when Redis goes away in the middle of a stream of records', async () => {
    const before = await totalRequests();
    const { sut } = makeRecorder(10_000);
    const writer = (async () => {
      for (let i = 0; i < 400; i++) {
        sut.record(record());
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await new Promise((r) => setTimeout(r, 150));
    await server.stop();
    await new Promise((r) => setTimeout(r, 300));
    await server.start();
    await writer;
    await waitFor(async () => redis.isReady && (await totalRequests()) === before + 400, {
      timeoutMs: 10_000,
      what: 'all 400 records',
    });
  });

  it('should write its last batches again to a Redis that lost them (a failover), counting nothing twice', async () => {
    // Only this recorder writes from here on (the others would resend their own last batches).
    for (const r of recorders.splice(0)) await r.onApplicationShutdown();
    const { sut, metrics } = makeRecorder(10_000);
    for (let i = 0; i < 250; i++) sut.record(record());
    await sut.flush();
    await sut.flush();
    expect(sut.buffered).toBe(0);
    // The primary dies; the server that answers next never saw those batches, as a replica
    // promoted before replication caught up.
    await server.stop();
    await waitFor(() => !redis.isReady, { what: 'the connection to notice' });
    server.wipe();
    await server.start();
    await waitFor(async () => redis.isReady && (await totalRequests()) === 250, {
      timeoutMs: 10_000,
      what: 'the 250 records written again',
    });
    const resent = await metrics.registry.getSingleMetricAsString(
      'switchboard_usage_batches_resent_total',
    );
    expect(resent).toMatch(/result="applied"} [1-9]/);
    // A second reconnect to a Redis that has them replays them as no-ops.
    await server.stop();
    await waitFor(() => !redis.isReady, { what: 'the connection to notice' });
    await server.start();
    await waitFor(async () => redis.isReady, { what: 'the reconnect' });
    await waitFor(
      async () =>
        /result="replayed"} [1-9]/.test(
          await metrics.registry.getSingleMetricAsString('switchboard_usage_batches_resent_total'),
        ),
      { timeoutMs: 10_000, what: 'the batches to be replayed' },
    );
    expect(await totalRequests()).toBe(250);
  });
});
