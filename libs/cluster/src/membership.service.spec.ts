import { parseAck, parseCommand } from '@app/cluster/cluster-command';
import type { ClusterTokenService } from '@app/cluster/cluster-token.service';
import { MemberControl, RESTART_EXIT_CODE } from '@app/cluster/member-control';
import type { HealthReport, MemberRecord, ReportedStatus } from '@app/cluster/member.types';
import type { MembershipRepository } from '@app/cluster/membership.repository';
import { MembershipService } from '@app/cluster/membership.service';
import { Logger } from '@nestjs/common';
import type { RedisService } from '@app/storage';

class FakeControl extends MemberControl {
  readonly kind = 'worker' as const;
  paused = false;
  draining = false;
  healthImpl: () => Promise<HealthReport> = async () => ({
    status: 'healthy',
    checks: { queues: { ok: true, detail: 'processing' } },
  });
  async pause(): Promise<void> {
    this.paused = true;
  }
  async resume(): Promise<void> {
    this.paused = false;
  }
  health(): Promise<HealthReport> {
    return this.healthImpl();
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe(MembershipService.name, () => {
  beforeAll(() => Logger.overrideLogger(false));

  let saved: MemberRecord[];
  let departed: [string, ReportedStatus, boolean][];
  let handlers: Map<string, (m: string) => void>;
  let published: [string, string][];
  let exits: number[];
  let control: FakeControl;
  let sut: MembershipService;
  let redis: RedisService;

  beforeEach(async () => {
    saved = [];
    departed = [];
    handlers = new Map();
    published = [];
    exits = [];
    control = new FakeControl();
    const repo = {
      heartbeat: async () => undefined,
      save: async (rec: MemberRecord) => {
        saved.push(rec);
      },
      depart: async (name: string, status: ReportedStatus, _at: number, keep: boolean) => {
        departed.push([name, status, keep]);
      },
    } as unknown as MembershipRepository;
    redis = {
      isReady: true,
      receiversCounted: true,
      waitReady: async () => true,
      key: (...parts: string[]) => `sb:${parts.join(':')}`,
      subscribe: (channel: string, fn: (m: string) => void) => {
        handlers.set(channel, fn);
        return () => handlers.delete(channel);
      },
      publish: async (channel: string, message: string) => {
        published.push([channel, message]);
        return true;
      },
      command: {
        on: () => undefined,
        off: () => undefined,
        publish: async (channel: string, message: string) => {
          published.push([channel, message]);
          // the target answers the command at once
          const cmd = parseCommand(message);
          if (cmd && cmd.target === 'gateway-2' && channel.endsWith(':gateway-2')) {
            setImmediate(() =>
              handlers.get('cluster:ack:worker-1')?.(
                JSON.stringify({ id: cmd.id, from: cmd.target, ok: true, status: 'stopped' }),
              ),
            );
            return 1;
          }
          return 0;
        },
      },
    } as unknown as RedisService;
    const tokens = { hash: 'abc' } as unknown as ClusterTokenService;
    sut = new MembershipService(
      repo,
      redis,
      control,
      tokens,
      'worker-1',
      { heartbeatMs: 60_000, ttlMs: 1000, healthTimeoutMs: 50, exitDelayMs: 1 },
      (code) => exits.push(code),
    );
    await sut.onApplicationBootstrap();
  });

  afterEach(async () => {
    await sut.beforeApplicationShutdown();
  });

  it('should register at start with its health and listen on its channels', async () => {
    await tick();
    expect(saved[0]).toMatchObject({
      name: 'worker-1',
      kind: 'worker',
      status: 'running',
      health: 'healthy',
    });
    expect(saved[0].healthcheck?.checks.queues).toEqual({ ok: true, detail: 'processing' });
    expect([...handlers.keys()].sort()).toEqual([
      'cluster:ack:worker-1',
      'cluster:cmd',
      'cluster:cmd:worker-1',
    ]);
  });

  it('should pause on stop and resume on start, reporting the new status at once', async () => {
    const stop = await sut.apply('stop');
    expect(stop).toMatchObject({ ok: true, status: 'stopped' });
    expect(control.paused).toBe(true);
    expect(saved.at(-1)?.status).toBe('stopped');
    const start = await sut.apply('start');
    expect(start.status).toBe('running');
    expect(control.paused).toBe(false);
  });

  it('should answer a command from another member on the sender ack channel', async () => {
    handlers.get('cluster:cmd:worker-1')?.(
      JSON.stringify({ id: 'c1', action: 'stop', target: 'worker-1', from: 'gateway-2' }),
    );
    await tick(5);
    const ack = published.find(([ch]) => ch === 'cluster:ack:gateway-2');
    expect(parseAck(ack?.[1] ?? '')).toMatchObject({ id: 'c1', ok: true, status: 'stopped' });
  });

  it('should ignore commands for other members and malformed messages', async () => {
    handlers.get('cluster:cmd:worker-1')?.('not json');
    handlers.get('cluster:cmd')?.(
      JSON.stringify({ id: 'c', action: 'explode', target: '*', from: 'x' }),
    );
    await tick(5);
    expect(control.paused).toBe(false);
    expect(published).toEqual([]);
  });

  it('should exit with the restart code after a restart, and say it is starting again', async () => {
    const ack = await sut.apply('restart');
    expect(ack.status).toBe('stopping');
    await tick(10);
    expect(exits).toEqual([RESTART_EXIT_CODE]);
    await sut.beforeApplicationShutdown();
    expect(departed).toEqual([['worker-1', 'starting', true]]);
  });

  it('should exit 0 on a broadcast shutdown and leave as stopped', async () => {
    handlers.get('cluster:cmd')?.(
      JSON.stringify({ id: 's', action: 'shutdown', target: '*', from: 'gateway-1' }),
    );
    await tick(10);
    expect(exits).toEqual([0]);
    await sut.beforeApplicationShutdown();
    expect(departed).toEqual([['worker-1', 'stopped', false]]);
  });

  it('should report unhealthy when its checks hang', async () => {
    control.healthImpl = () => new Promise(() => undefined);
    await sut.beat();
    expect(saved.at(-1)).toMatchObject({ health: 'unhealthy' });
    expect(saved.at(-1)?.healthcheck?.checks.timeout?.ok).toBe(false);
  });

  it('should report stopping while draining', async () => {
    control.draining = true;
    await sut.beat();
    expect(saved.at(-1)?.status).toBe('stopping');
  });

  it('should send a command to another member and return its ack; undefined when nobody listens', async () => {
    expect(await sut.send('gateway-2', 'stop', 500)).toMatchObject({ ok: true, from: 'gateway-2' });
    // PUBLISH said nobody listens: no waiting for the (here very long) deadline.
    expect(await sut.send('ghost', 'stop', 600_000)).toBeUndefined();
  });

  it('should wait for the ack on a Redis Cluster, whose PUBLISH counts one node only', async () => {
    (redis as { receiversCounted: boolean }).receiversCounted = false;
    let settled = false;
    const sent = sut.send('ghost', 'stop', 300).finally(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    expect(await sent).toBeUndefined();
  });
});
