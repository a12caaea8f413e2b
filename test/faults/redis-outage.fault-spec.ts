// Redis stopped under load (issue 10, "Faults"): traffic keeps succeeding, nothing waits longer
// than the Redis command timeout allows, /status says 503 meanwhile, and the usage recorded
// during the outage reaches Redis once it is back (what overflowed the buffer is counted).
import type { Redis } from 'ioredis';
import { FakeUpstream } from '@test/fakes';
import { tempConfigDir, uniquePrefix, waitFor } from '@test/utils/env';
import {
  load,
  metricValue,
  percentile,
  shoot,
  sleep,
  startGatewayChild,
  startOwnRedis,
  usageTotals,
  type GatewayChild,
  type OwnRedis,
  type Shot,
} from './fault-harness';

/** Outage length: 10 s here (FAULT_REDIS_OUTAGE_SECONDS to change; the soak uses 30). */
const OUTAGE_MS = Number(process.env.FAULT_REDIS_OUTAGE_SECONDS ?? 10) * 1000;
const COMMAND_TIMEOUT_MS = 500;
/**
 * The slowest a request may be while Redis is stopped. Only the requests in flight when Redis
 * stalls wait: up to about twice the command timeout, because with ioredis auto-pipelining a
 * command first waits for the pipeline already stuck on the stopped server. The first timeout
 * marks the connection suspect (RedisService.markSuspect), so later requests skip Redis and use
 * local fallbacks until a PING answers. See docs/testing.md, "Faults".
 */
const MAX_REQUEST_MS = 2 * COMMAND_TIMEOUT_MS + 500;
const KEY = 'sk-outage-client-0001';
const SMALL_BUFFER = 5;

function yaml(prefix: string, fakeUrl: string): string {
  return `
api-keys: ["${KEY}"]
usage-statistics-enabled: true
redis:
  key-prefix: "${prefix}"
  command-timeout-ms: ${COMMAND_TIMEOUT_MS}
limits:
  "*":
    rpm: 1000000
    concurrency: 1000
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "outage-up-1"
      - api-key: "outage-up-2"
    models:
      - name: gpt-outage
`;
}

describe('fault: Redis stopped under load', () => {
  let redis: OwnRedis;
  let client: Redis;
  let fake: FakeUpstream;
  let gw: GatewayChild;
  let small: GatewayChild;
  const prefix = uniquePrefix('outage');
  const smallPrefix = uniquePrefix('outage-small');
  const cfgs: { cleanup: () => void }[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    client = redis.client();
    fake = await FakeUpstream.start({ maxRecords: 100 });
    const cfg = tempConfigDir(yaml(prefix, fake.url));
    const smallCfg = tempConfigDir(yaml(smallPrefix, fake.url));
    cfgs.push(cfg, smallCfg);
    gw = await startGatewayChild(cfg.path, redis.url, 'gateway-outage');
    // Same traffic, a tiny usage buffer: the outage overflows it.
    small = await startGatewayChild(smallCfg.path, redis.url, 'gateway-outage-small', {
      USAGE_BUFFER_MAX: String(SMALL_BUFFER),
    });
  });

  afterAll(async () => {
    redis?.resume();
    await Promise.all([gw, small].map((g) => g?.app.stop('SIGKILL')));
    await fake?.close();
    await redis?.stop();
    for (const c of cfgs) c.cleanup();
  });

  it('should keep serving, answer /status 503, and deliver the buffered usage afterwards', async () => {
    const shots: { gw: 'main' | 'small'; phase: string; shot: Shot }[] = [];
    const statuses: { phase: string; status: number }[] = [];
    let phase = 'before';
    let stop = false;

    // Eight clients on the main gateway, two on the small-buffer one; half the requests stream.
    const traffic = Promise.all([
      load(
        8,
        () => stop,
        async (w, n) => {
          const shot = await shoot(gw.url, KEY, 'gpt-outage', (w + n) % 2 === 0);
          shots.push({ gw: 'main', phase, shot });
        },
      ),
      load(
        2,
        () => stop,
        async () => {
          const shot = await shoot(small.url, KEY, 'gpt-outage', false);
          shots.push({ gw: 'small', phase, shot });
          await sleep(20);
        },
      ),
      load(
        1,
        () => stop,
        async () => {
          const res = await fetch(`${gw.url}/status`);
          await res.arrayBuffer();
          statuses.push({ phase, status: res.status });
          await sleep(250);
        },
      ),
    ]);

    await sleep(2000);
    phase = 'outage';
    redis.pause();
    // Mid-outage: records are waiting in memory.
    await sleep(OUTAGE_MS / 2);
    const buffered = await metricValue(gw.url, 'switchboard_usage_records_buffered');
    await sleep(OUTAGE_MS / 2);
    redis.resume();
    phase = 'after';
    await sleep(3000);
    stop = true;
    await traffic;

    // 1. Traffic kept succeeding, before, during and after.
    const main = shots.filter((s) => s.gw === 'main');
    const ok = main.filter((s) => s.shot.status === 200 && s.shot.complete).length;
    const duringOutage = main.filter((s) => s.phase === 'outage');
    const slowest = Math.max(...main.map((s) => s.shot.ms));
    const summary = {
      requests: main.length,
      ok,
      duringOutage: duringOutage.length,
      p50: percentile(
        main.map((s) => s.shot.ms),
        50,
      ),
      p99: percentile(
        main.map((s) => s.shot.ms),
        99,
      ),
      slowest,
      buffered,
    };
    console.log(`redis outage ${OUTAGE_MS / 1000} s: ${JSON.stringify(summary)}`);
    expect(duringOutage.length).toBeGreaterThan(30);
    expect(ok / main.length).toBeGreaterThanOrEqual(0.999);
    // 2. Nothing hung on the stopped Redis.
    expect(slowest).toBeLessThanOrEqual(MAX_REQUEST_MS);
    // ...and only the first requests waited at all: the rest skipped the stalled Redis.
    expect(summary.p99).toBeLessThan(COMMAND_TIMEOUT_MS);

    // 3. /status: 200 before, 503 while Redis is stopped (after the first ping times out), 200 after.
    expect(statuses.filter((s) => s.phase === 'before').every((s) => s.status === 200)).toBe(true);
    const outageStatuses = statuses.filter((s) => s.phase === 'outage').slice(2);
    expect(outageStatuses.length).toBeGreaterThan(5);
    expect(outageStatuses.every((s) => s.status === 503)).toBe(true);
    await waitFor(async () => (await fetch(`${gw.url}/status`)).status === 200, {
      what: '/status 200 after Redis returned',
    });

    // 4. Usage: records of the outage were buffered, then every one of them reached Redis.
    expect(buffered).toBeGreaterThan(0);
    const answered = main.filter((s) => s.shot.status > 0).length;
    await waitFor(async () => (await usageTotals(client, prefix)).requests === answered, {
      timeoutMs: 10000,
      what: `usage totals to reach ${answered}`,
    });

    // 5. Limits failed open (counted), and never refused anything.
    expect(await metricValue(gw.url, 'switchboard_limits_fail_open_total')).toBeGreaterThan(0);
    expect(main.some((s) => s.shot.status === 429)).toBe(false);

    // 6. The small buffer overflowed: drops are counted and the rest arrived.
    const smallAnswered = shots.filter((s) => s.gw === 'small' && s.shot.status > 0).length;
    const dropped = await metricValue(small.url, 'switchboard_usage_records_dropped_total');
    expect(dropped).toBeGreaterThan(0);
    await waitFor(
      async () => (await usageTotals(client, smallPrefix)).requests === smallAnswered - dropped,
      { timeoutMs: 10000, what: 'the small gateway to flush what it kept' },
    );
  }, 90000);
});
