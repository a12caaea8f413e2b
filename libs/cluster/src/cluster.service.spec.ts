import { AppError } from '@app/common';
import { ClusterService, refusalFor, type MemberAction } from '@app/cluster/cluster.service';
import type { ClusterAck } from '@app/cluster/cluster-command';
import type { MemberRecord, MemberState, ReportedStatus } from '@app/cluster/member.types';
import type { MembershipRepository } from '@app/cluster/membership.repository';
import type { MembershipService } from '@app/cluster/membership.service';

function state(name: string, status: ReportedStatus, alive = true): MemberState {
  const record: MemberRecord = {
    name,
    kind: 'gateway',
    pid: 1,
    host: 'h',
    version: 'v',
    started: Date.now() - 1000,
    restarts: 0,
    status,
    health: 'healthy',
    healthcheck: undefined,
    env: {},
    updated: Date.now(),
  };
  return { record, alive };
}

function codeOf(err: unknown): string | undefined {
  return AppError.is(err, 'cluster') ? err.code : undefined;
}

describe(refusalFor.name, () => {
  const cases: [MemberAction, ReportedStatus, boolean, string | undefined][] = [
    ['stop', 'running', true, undefined],
    ['stop', 'stopped', true, 'PROCESS_NOT_RUNNING'],
    ['stop', 'running', false, 'PROCESS_NOT_RUNNING'],
    ['start', 'stopped', true, undefined],
    ['start', 'running', true, 'PROCESS_ALREADY_RUNNING'],
    ['start', 'stopped', false, 'PROCESS_NOT_RUNNING'],
    ['start', 'stopping', true, 'PROCESS_NOT_RUNNING'],
    ['restart', 'running', true, undefined],
    ['restart', 'stopped', true, undefined],
    ['restart', 'running', false, 'PROCESS_NOT_RUNNING'],
    ['restart', 'stopping', true, 'PROCESS_NOT_RUNNING'],
  ];
  it.each(cases)(
    'should answer %s on a %s member (alive: %s) with %s',
    (action, status, alive, code) => {
      expect(refusalFor(action, state('g', status, alive))?.code).toBe(code);
    },
  );

  it('should tell how a crashed member comes back', () => {
    expect(refusalFor('start', state('g', 'running', false))?.message).toMatch(
      /crashed.*supervisor/,
    );
  });
});

describe(ClusterService.name, () => {
  let members: Map<string, MemberState>;
  let shuttingDown: boolean;
  let sent: [string, string][];
  let applied: string[];
  let ack: ClusterAck | undefined;
  let sut: ClusterService;

  beforeEach(() => {
    members = new Map([
      ['gateway-1', state('gateway-1', 'running')],
      ['gateway-2', state('gateway-2', 'running')],
    ]);
    shuttingDown = false;
    sent = [];
    applied = [];
    ack = { id: 'x', from: 'gateway-2', ok: true, status: 'stopped' };
    const repo = {
      get: async (name: string) => members.get(name),
      list: async () => [...members.values()],
      isShuttingDown: async () => shuttingDown,
      markShutdown: async () => {
        shuttingDown = true;
      },
    } as unknown as MembershipRepository;
    const membership = {
      name: 'gateway-1',
      apply: async (action: string) => {
        applied.push(action);
        return { id: 'y', from: 'gateway-1', ok: true, status: 'stopped' };
      },
      send: async (target: string, action: string) => {
        sent.push([target, action]);
        return ack;
      },
      broadcastShutdown: async () => {
        sent.push(['*', 'shutdown']);
      },
    } as unknown as MembershipService;
    sut = new ClusterService(repo, membership);
  });

  it('should apply a command for this replica directly and send others over pub/sub', async () => {
    await sut.command('gateway-1', 'stop', false);
    await sut.command('gateway-2', 'stop', false);
    expect(applied).toEqual(['stop']);
    expect(sent).toEqual([['gateway-2', 'stop']]);
  });

  it('should answer PROCESS_NOT_FOUND for an unknown member', async () => {
    const err: unknown = await sut.command('nope', 'stop', false).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('PROCESS_NOT_FOUND');
    expect((err as AppError).status).toBe(404);
    await expect(sut.process('nope')).rejects.toMatchObject({ code: 'PROCESS_NOT_FOUND' });
  });

  it('should answer PROCESS_UNREACHABLE when the member does not acknowledge', async () => {
    ack = undefined;
    await expect(sut.command('gateway-2', 'restart', false)).rejects.toMatchObject({
      code: 'PROCESS_UNREACHABLE',
      status: 504,
    });
  });

  it('should refuse commands while a shutdown is in progress or this replica drains', async () => {
    await expect(sut.command('gateway-2', 'stop', true)).rejects.toMatchObject({
      code: 'SHUTDOWN_IN_PROGRESS',
      status: 503,
    });
    await sut.shutdown(false);
    expect(sent).toEqual([['*', 'shutdown']]);
    await expect(sut.command('gateway-2', 'stop', false)).rejects.toMatchObject({
      code: 'SHUTDOWN_IN_PROGRESS',
    });
    await expect(sut.shutdown(false)).rejects.toMatchObject({ code: 'SHUTDOWN_IN_PROGRESS' });
  });

  it('should list members with their derived status', async () => {
    members.set('worker-1', state('worker-1', 'running', false));
    const list = await sut.processes();
    expect(list.map((p) => [p.name, p.status])).toEqual([
      ['gateway-1', 'running'],
      ['gateway-2', 'running'],
      ['worker-1', 'crashed'],
    ]);
  });
});
