import { detailOf, viewOf, type MemberRecord } from '@app/cluster/member.types';
import { recordFromHash } from '@app/cluster/membership.repository';

const NOW = 1_750_000_000_000;

function record(over: Partial<MemberRecord> = {}): MemberRecord {
  return {
    name: 'gateway-1',
    kind: 'gateway',
    pid: 4242,
    host: 'h1',
    version: '0.1.0',
    started: NOW - 90_500,
    restarts: 2,
    status: 'running',
    health: 'healthy',
    healthcheck: { status: 'healthy', checks: {}, checked_at: 'x' },
    env: { PORT: '8317' },
    updated: NOW - 1000,
    ...over,
  };
}

describe(viewOf.name, () => {
  it('should show a live member as it reports itself, with its uptime', () => {
    expect(viewOf({ record: record(), alive: true }, NOW)).toEqual({
      name: 'gateway-1',
      kind: 'gateway',
      status: 'running',
      pid: 4242,
      uptime_seconds: 90,
      restarts: 2,
      health: 'healthy',
    });
  });

  it('should show a member whose heartbeat lapsed without a goodbye as crashed', () => {
    for (const status of ['running', 'starting', 'stopping'] as const) {
      const v = viewOf({ record: record({ status }), alive: false }, NOW);
      expect(v.status).toBe('crashed');
      expect(v.health).toBe('unknown');
      expect(v.uptime_seconds).toBe(0);
    }
  });

  it('should keep a member that left cleanly as stopped', () => {
    expect(viewOf({ record: record({ status: 'stopped' }), alive: false }, NOW).status).toBe(
      'stopped',
    );
    // paused by the cluster API but alive: stopped, health still reported
    const paused = viewOf({ record: record({ status: 'stopped' }), alive: true }, NOW);
    expect(paused).toMatchObject({ status: 'stopped', health: 'healthy' });
  });

  it("should add the detail fields, the supervisor API's first", () => {
    const d = detailOf({ record: record({ cmd: 'node main.js' }), alive: true }, NOW);
    expect(Object.keys(d).slice(0, 9)).toEqual([
      'name',
      'kind',
      'status',
      'pid',
      'uptime_seconds',
      'restarts',
      'health',
      'healthcheck',
      'cmd',
    ]);
    expect(d.started_at).toBe(new Date(NOW - 90_500).toISOString());
    expect(d.env).toEqual({ PORT: '8317' });
    expect(d.cmd).toBe('node main.js');
    expect(d.healthcheck).toEqual({
      enabled: true,
      last_check: 'x',
      last_output: 'OK',
      consecutive_failures: 0,
      status: 'healthy',
      checks: {},
      checked_at: 'x',
    });
  });

  it('should name the failing checks and count the failures in a row', () => {
    const d = detailOf(
      {
        record: record({
          health: 'unhealthy',
          failures: 3,
          healthcheck: {
            status: 'unhealthy',
            checks: { redis: { ok: false, detail: 'timeout' }, queues: { ok: true, detail: '' } },
            checked_at: 'y',
          },
        }),
        alive: true,
      },
      NOW,
    );
    expect(d.healthcheck).toMatchObject({
      last_output: 'redis: timeout',
      consecutive_failures: 3,
      last_check: 'y',
    });
    const none = detailOf({ record: record({ healthcheck: undefined }), alive: true }, NOW);
    expect(none.healthcheck).toEqual({
      enabled: true,
      last_check: null,
      last_output: '',
      consecutive_failures: 0,
    });
  });
});

describe(recordFromHash.name, () => {
  it('should parse a stored hash and refuse foreign ones', () => {
    const r = recordFromHash({
      name: 'worker-1',
      kind: 'worker',
      pid: '7',
      started: '5',
      restarts: '1',
      status: 'stopping',
      health: 'healthy',
      healthcheck: '{"status":"healthy","checks":{},"checked_at":"t"}',
      env: 'not json',
      updated: '9',
    });
    expect(r).toMatchObject({
      name: 'worker-1',
      kind: 'worker',
      pid: 7,
      status: 'stopping',
      env: {},
    });
    expect(r?.healthcheck?.status).toBe('healthy');
    expect(recordFromHash({ name: 'x', kind: 'toaster' })).toBeUndefined();
    expect(recordFromHash({})).toBeUndefined();
  });
});
