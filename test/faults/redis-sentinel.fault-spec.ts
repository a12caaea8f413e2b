// Redis Sentinel failover under load (issue 23): one primary, one replica and three sentinels
// (Debian's redis-sentinel), two gateways and a worker configured with REDIS_SENTINELS. The
// primary is killed (SIGKILL) while clients keep calling both gateways: at least 99 % of the
// requests succeed, every process reaches the promoted replica within 10 s without a restart
// (request path, BullMQ and pub/sub), and the usage totals afterwards equal what the fake
// upstream served, give or take the requests in flight at the kill (printed).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { FakeUpstream } from '@test/fakes';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, tempConfigDir, uniquePrefix, waitFor } from '@test/utils/env';
import {
  load,
  metricValue,
  shoot,
  sleep,
  startGatewayChild,
  type GatewayChild,
  type Shot,
} from './fault-harness';

const KEY = 'sk-sentinel-client-0001';
const MODEL = 'gpt-sentinel';
const MASTER = 'sbprimary';
/** How long the sentinels wait before they call the primary down. */
const DOWN_AFTER_MS = 1000;
/** Every process must be back on the promoted replica within this. */
const RECONNECT_LIMIT_MS = 10_000;

function binary(names: string[]): string {
  const found = names.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      `this spec needs one of ${names.join(', ')} (apt-get install -y redis-server redis-sentinel)`,
    );
  return found;
}

/** redis-server and redis-sentinel processes of this spec, in one temp dir. */
class RedisSet {
  readonly dir = mkdtempSync(join(tmpdir(), 'sb-sentinel-'));
  private readonly procs = new Map<string, ChildProcess>();
  private readonly server = binary([
    process.env.SB_TEST_REDIS_BIN ?? '',
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
  ]);

  start(name: string, args: string[], sentinel = false): void {
    const bin = sentinel
      ? (['/usr/bin/redis-sentinel', '/usr/local/bin/redis-sentinel'].find((p) => existsSync(p)) ??
        this.server)
      : this.server;
    const argv = sentinel && bin === this.server ? [...args, '--sentinel'] : args;
    this.procs.set(name, spawn(bin, argv, { stdio: 'ignore' }));
  }

  async server_(name: string, port: number, extra: string[] = []): Promise<void> {
    const dir = join(this.dir, name);
    mkdirSync(dir);
    this.start(name, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      ...extra,
    ]);
    await waitFor(() => ping(port), { timeoutMs: 10_000, what: `${name} on ${port}` });
  }

  async sentinel(name: string, port: number, primaryPort: number): Promise<void> {
    const conf = join(this.dir, `${name}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${this.dir}`,
        `sentinel monitor ${MASTER} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${MASTER} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${MASTER} 10000`,
        `sentinel parallel-syncs ${MASTER} 1`,
        '',
      ].join('\n'),
    );
    this.start(name, [conf], true);
    await waitFor(() => ping(port), { timeoutMs: 10_000, what: `${name} on ${port}` });
  }

  kill(name: string): void {
    this.procs.get(name)?.kill('SIGKILL');
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.procs.values()].map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function ping(port: number): Promise<boolean> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/** What a sentinel says the primary is now (`host:port`). */
async function primaryOf(sentinelPort: number): Promise<string> {
  const c = new Redis({ port: sentinelPort, host: '127.0.0.1', commandTimeout: 2000 });
  c.on('error', () => undefined);
  try {
    const addr = (await c.call('SENTINEL', 'get-master-addr-by-name', MASTER)) as string[];
    return addr.join(':');
  } finally {
    c.disconnect();
  }
}

function yaml(prefix: string, fakeUrl: string): string {
  return `
api-keys: ["${KEY}"]
usage-statistics-enabled: true
redis:
  key-prefix: "${prefix}"
  command-timeout-ms: 500
  connect-timeout-ms: 1000
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "sentinel-up-1"
      - api-key: "sentinel-up-2"
    models:
      - name: ${MODEL}
`;
}

describe('fault: Redis Sentinel failover under load', () => {
  const set = new RedisSet();
  const prefix = uniquePrefix('sentinel');
  let fake: FakeUpstream;
  let gateways: GatewayChild[] = [];
  let worker: ChildApp | undefined;
  let workerUrl = '';
  let primaryPort = 0;
  let replicaPort = 0;
  let sentinelPorts: number[] = [];
  let cfg: { path: string; cleanup: () => void } | undefined;

  beforeAll(async () => {
    primaryPort = await freePort();
    replicaPort = await freePort();
    sentinelPorts = [await freePort(), await freePort(), await freePort()];
    await set.server_('primary', primaryPort);
    await set.server_('replica', replicaPort, ['--replicaof', '127.0.0.1', String(primaryPort)]);
    await waitFor(
      async () => {
        const c = new Redis({ port: replicaPort, host: '127.0.0.1' });
        try {
          return /master_link_status:up/.test(await c.info('replication'));
        } finally {
          c.disconnect();
        }
      },
      { timeoutMs: 10_000, what: 'the replica to sync' },
    );
    for (const [i, port] of sentinelPorts.entries()) {
      await set.sentinel(`sentinel-${i + 1}`, port, primaryPort);
    }
    // Every sentinel knows the replica and its peers before the primary may fail.
    await waitFor(
      async () => {
        const c = new Redis({ port: sentinelPorts[0], host: '127.0.0.1' });
        try {
          const master = (await c.call('SENTINEL', 'master', MASTER)) as string[];
          const field = (k: string) => Number(master[master.indexOf(k) + 1]);
          return field('num-slaves') === 1 && field('num-other-sentinels') === 2;
        } finally {
          c.disconnect();
        }
      },
      { timeoutMs: 20_000, what: 'the sentinels to discover the replica and each other' },
    );

    fake = await FakeUpstream.start({ maxRecords: 100_000 });
    cfg = tempConfigDir(yaml(prefix, fake.url));
    const env = {
      // The URL's host is not used with sentinels (the primary is asked of them).
      REDIS_SENTINELS: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_SENTINEL_NAME: MASTER,
      REDIS_CLUSTER_NODES: '',
    };
    const unused = 'redis://sentinel-managed.invalid:6379';
    gateways = await Promise.all([
      startGatewayChild(cfg.path, unused, 'gateway-sentinel-1', env),
      startGatewayChild(cfg.path, unused, 'gateway-sentinel-2', env),
    ]);
    const workerPort = await freePort();
    workerUrl = `http://127.0.0.1:${workerPort}`;
    worker = startNode(distEntry('apps/worker/src/main.js'), {
      CONFIG_PATH: cfg.path,
      REDIS_URL: unused,
      WORKER_PORT: String(workerPort),
      SB_PROCESS_NAME: 'worker-sentinel',
      ...env,
    });
    await waitFor(
      async () => {
        if (worker?.child.exitCode !== null) throw new Error(`worker exited:\n${worker?.output()}`);
        return (await fetch(`${workerUrl}/health`)).ok;
      },
      { timeoutMs: 30_000, what: 'the worker to be healthy' },
    );
    for (const gw of gateways) {
      await waitFor(async () => (await fetch(`${gw.url}/status`)).status === 200, {
        timeoutMs: 10_000,
        what: `${gw.url}/status 200 through the sentinels`,
      });
    }
  }, 90_000);

  async function workerHealth(): Promise<{ ok: boolean; queues: number }> {
    const res = await fetch(`${workerUrl}/health`);
    const body = (await res.json()) as { status?: string; queues?: Record<string, unknown> };
    return { ok: res.ok && body.status === 'ok', queues: Object.keys(body.queues ?? {}).length };
  }

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.app.stop('SIGKILL')));
    await worker?.stop('SIGKILL');
    await fake?.close();
    await set.stopAll();
    cfg?.cleanup();
  });

  it('should keep serving through the failover, follow the new primary, and count every request once', async () => {
    const shots: (Shot & { started: number })[] = [];
    let stop = false;
    let killedAt = 0;
    const traffic = load(
      4,
      () => stop,
      async (w, n) => {
        const started = Date.now();
        const gw = gateways[(w + n) % gateways.length];
        const shot = await shoot(gw.url, KEY, MODEL, n % 3 === 0, `sentinel ${w}-${n}`);
        shots.push({ ...shot, started });
        await sleep(10);
      },
    );

    await sleep(3000);
    const queues = (await workerHealth()).queues;
    expect(queues).toBeGreaterThan(0);
    const before = shots.length;
    killedAt = Date.now();
    set.kill('primary');

    // Each process reaches the promoted replica on its own: gateways say so on /status
    // (request path), the worker on /health (its BullMQ queues and workers).
    const back = await Promise.all([
      ...gateways.map((gw) =>
        waitFor(
          async () => (await fetch(`${gw.url}/status`)).status === 200 && Date.now() - killedAt,
          { timeoutMs: RECONNECT_LIMIT_MS + 5000, intervalMs: 100, what: `${gw.url} back` },
        ),
      ),
      waitFor(
        async () => {
          // Healthy (Redis answers, BullMQ workers run) and every queue's counts read again
          // through the BullMQ connection.
          const h = await workerHealth();
          return h.ok && h.queues === queues && Date.now() - killedAt;
        },
        { timeoutMs: RECONNECT_LIMIT_MS + 5000, intervalMs: 100, what: 'the worker back' },
      ),
    ]);
    await sleep(3000);
    stop = true;
    await traffic;
    const promoted = await primaryOf(sentinelPorts[1]);

    // Usage: every record written, to the new primary.
    await Promise.all(
      gateways.map((gw) =>
        waitFor(
          async () => (await metricValue(gw.url, 'switchboard_usage_records_buffered')) === 0,
          {
            timeoutMs: 10_000,
            what: 'the usage buffers to drain',
          },
        ),
      ),
    );
    await sleep(500);
    const newPrimary = new Redis({ port: replicaPort, host: '127.0.0.1' });
    const totals = await newPrimary.hgetall(`${prefix}{usage}:totals`);
    newPrimary.disconnect();
    const served = fake.requests().length;
    const usage = Number(totals.success ?? 0);
    const ok = shots.filter((s) => s.status === 200 && s.complete).length;
    const inFlight = shots.filter((s) => s.started < killedAt && s.at > killedAt).length;
    const resent = { applied: 0, replayed: 0 };
    for (const gw of gateways) {
      for (const result of ['applied', 'replayed'] as const) {
        resent[result] += await metricValue(gw.url, 'switchboard_usage_batches_resent_total', {
          result,
        });
      }
    }
    const summary = {
      requests: shots.length,
      beforeKill: before,
      ok,
      okRatio: Number((ok / shots.length).toFixed(4)),
      reconnectMs: back,
      promoted,
      upstreamServed: served,
      usageSuccess: usage,
      usageFailure: Number(totals.failure ?? 0),
      inFlightAtKill: inFlight,
      batchesResent: resent,
    };
    console.log(`sentinel failover: ${JSON.stringify(summary)}`);

    expect(promoted).toBe(`127.0.0.1:${replicaPort}`);
    expect(shots.length - before).toBeGreaterThan(50);
    expect(ok / shots.length).toBeGreaterThanOrEqual(0.99);
    for (const ms of back) expect(ms).toBeLessThanOrEqual(RECONNECT_LIMIT_MS);
    expect(Math.abs(usage - served)).toBeLessThanOrEqual(inFlight);
    // Nobody restarted: the same processes served before and after.
    for (const gw of gateways) expect(gw.app.child.exitCode).toBeNull();
    expect(worker?.child.exitCode).toBeNull();
  }, 120_000);
});
