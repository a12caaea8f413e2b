import { Logger } from '@nestjs/common';
import {
  ClusterService,
  MemberControl,
  MembershipRepository,
  MembershipService,
  type ClusterTokenService,
  type HealthReport,
} from '@app/cluster';
import { RedisService } from '@app/storage';
import { uniquePrefix, waitFor, testRedisSettings } from '@test/utils/env';

class TestControl extends MemberControl {
  readonly kind = 'gateway' as const;
  paused = false;
  draining = false;
  async pause(): Promise<void> {
    this.paused = true;
  }
  async resume(): Promise<void> {
    this.paused = false;
  }
  async health(): Promise<HealthReport> {
    return { status: 'healthy', checks: { redis: { ok: true, detail: 'reachable' } } };
  }
}

const OPTIONS = {
  heartbeatMs: 100,
  ttlMs: 400,
  healthTimeoutMs: 200,
  exitDelayMs: 1,
  claimWatchMs: 250,
  claimReadyMs: 1000,
};

/** One member: its own Redis connections (as a separate process would have). */
async function member(prefix: string, name: string) {
  const redis = new RedisService(testRedisSettings(prefix), name);
  redis.connect();
  await redis.waitReady(5000);
  const control = new TestControl();
  const repo = new MembershipRepository(redis);
  const exits: number[] = [];
  const tokens = { hash: undefined } as unknown as ClusterTokenService;
  const membership = new MembershipService(repo, redis, control, tokens, name, OPTIONS, (c) =>
    exits.push(c),
  );
  try {
    await membership.onApplicationBootstrap();
  } catch (err) {
    await redis.close();
    throw err;
  }
  const cluster = new ClusterService(repo, membership);
  return { redis, control, repo, membership, cluster, exits };
}

describe('cluster membership (real Redis)', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('should list live members, show a member whose heartbeat lapsed as crashed, and one that left as stopped', async () => {
    const prefix = uniquePrefix('members');
    const a = await member(prefix, 'gateway-a');
    const b = await member(prefix, 'gateway-b');
    const c = await member(prefix, 'worker-c');
    try {
      await waitFor(async () => (await a.cluster.processes()).length === 3, { what: '3 members' });
      const list = await a.cluster.processes();
      expect(list.map((p) => [p.name, p.status, p.health])).toEqual([
        ['gateway-a', 'running', 'healthy'],
        ['gateway-b', 'running', 'healthy'],
        ['worker-c', 'running', 'healthy'],
      ]);
      expect(list[0].pid).toBe(process.pid);

      // b dies without a goodbye: its connection drops, heartbeats stop
      b.redis.command.disconnect();
      await b.membership.beforeApplicationShutdown().catch(() => undefined);
      // c leaves gracefully
      await c.membership.beforeApplicationShutdown();
      const t0 = Date.now();
      const after = await waitFor(
        async () => {
          const l = await a.cluster.processes();
          return l.find((p) => p.name === 'gateway-b')?.status === 'crashed' ? l : undefined;
        },
        { timeoutMs: 3000, what: 'gateway-b crashed' },
      );
      // it lapsed after about one TTL, not before
      expect(Date.now() - t0).toBeGreaterThanOrEqual(OPTIONS.ttlMs / 2);
      expect(after.find((p) => p.name === 'gateway-b')).toMatchObject({
        health: 'unknown',
        uptime_seconds: 0,
      });
      expect(after.find((p) => p.name === 'worker-c')?.status).toBe('stopped');
      expect(after.find((p) => p.name === 'gateway-a')?.status).toBe('running');
      // crashed members stay visible in detail
      const detail = await a.cluster.process('gateway-b');
      expect(detail.status).toBe('crashed');
      expect(detail.healthcheck.checks?.redis.ok).toBe(true);
      expect(detail.healthcheck).toMatchObject({
        enabled: true,
        last_output: 'OK',
        consecutive_failures: 0,
      });
      expect(detail.cmd).toContain(process.argv[1]);
    } finally {
      await a.membership.beforeApplicationShutdown();
      for (const m of [a, b, c]) await m.redis.close();
    }
  });

  it('should carry a stop and a start to another member over pub/sub and wait for its ack', async () => {
    const prefix = uniquePrefix('commands');
    const a = await member(prefix, 'gateway-a');
    const b = await member(prefix, 'gateway-b');
    try {
      await waitFor(async () => (await a.cluster.processes()).length === 2, { what: 'members' });
      // the subscriptions are asynchronous: wait until b listens on its channel
      await waitFor(
        async () =>
          (
            await a.redis.command.pubsub('NUMSUB', a.redis.key('ch', 'cluster:cmd:gateway-b'))
          )[1] === 1,
        { what: 'b subscribed' },
      );
      await a.cluster.command('gateway-b', 'stop', false);
      // acknowledged means done: b is paused when the call returns
      expect(b.control.paused).toBe(true);
      expect((await a.cluster.process('gateway-b')).status).toBe('stopped');
      await expect(a.cluster.command('gateway-b', 'stop', false)).rejects.toMatchObject({
        code: 'PROCESS_NOT_RUNNING',
      });
      await a.cluster.command('gateway-b', 'start', false);
      expect(b.control.paused).toBe(false);
      await expect(a.cluster.command('gateway-b', 'start', false)).rejects.toMatchObject({
        code: 'PROCESS_ALREADY_RUNNING',
      });
      // restart: b acknowledges, then leaves with the restart exit code
      await a.cluster.command('gateway-b', 'restart', false);
      await waitFor(() => b.exits.length > 0, { what: 'b exit' });
      expect(b.exits).toEqual([75]);
      // cluster shutdown reaches everyone, and further commands are refused
      await a.cluster.shutdown(false);
      await waitFor(() => a.exits.length > 0, { what: 'a exit' });
      expect(a.exits).toEqual([0]);
      await expect(a.cluster.command('gateway-b', 'stop', false)).rejects.toMatchObject({
        code: 'SHUTDOWN_IN_PROGRESS',
      });
    } finally {
      for (const m of [a, b]) {
        await m.membership.beforeApplicationShutdown();
        await m.redis.close();
      }
    }
  });

  it('should refuse to start a member under the name of a live one, and take over a dead one', async () => {
    const prefix = uniquePrefix('names');
    const a = await member(prefix, 'gateway-same');
    try {
      await waitFor(async () => (await a.cluster.processes()).length === 1, { what: 'a joined' });
      // the holder runs elsewhere (another host): its heartbeat keeps changing, so it is alive
      await a.redis.command.hset(a.redis.key('{cluster}', 'member', 'gateway-same'), 'host', 'h2');
      await expect(member(prefix, 'gateway-same')).rejects.toThrow(
        /already named "gateway-same".*SB_PROCESS_NAME/,
      );
      // the holder dies without a goodbye: its heartbeat stops changing, a newcomer takes over
      a.redis.command.disconnect();
      await a.membership.beforeApplicationShutdown().catch(() => undefined);
      const b = await member(prefix, 'gateway-same');
      try {
        await waitFor(async () => (await b.cluster.process('gateway-same')).status === 'running', {
          what: 'b registered',
        });
      } finally {
        await b.membership.beforeApplicationShutdown();
        await b.redis.close();
      }
    } finally {
      await a.redis.close();
    }
  });
});
