import { Logger } from '@nestjs/common';
import type { ClusterTokenService } from '@app/cluster/cluster-token.service';
import { MemberControl } from '@app/cluster/member-control';
import type { HealthReport, MemberRecord } from '@app/cluster/member.types';
import { recordFromHash, type MembershipRepository } from '@app/cluster/membership.repository';
import { MembershipService } from '@app/cluster/membership.service';
import type { RedisService } from '@app/storage';

class Control extends MemberControl {
  readonly kind = 'gateway' as const;
  readonly paused = false;
  readonly draining = false;
  async pause(): Promise<void> {}
  async resume(): Promise<void> {}
  async health(): Promise<HealthReport> {
    return { status: 'healthy', checks: {} };
  }
}

function membership(saved: MemberRecord[], sessions?: () => number | Promise<number>) {
  const repo = {
    save: async (rec: MemberRecord) => {
      saved.push(rec);
    },
  } as unknown as MembershipRepository;
  const redis = { isReady: true } as unknown as RedisService;
  const tokens = { hash: 'h' } as unknown as ClusterTokenService;
  return new MembershipService(
    repo,
    redis,
    new Control(),
    tokens,
    'gateway-1',
    undefined,
    () => undefined,
    sessions,
  );
}

describe(`${MembershipService.name} sessions`, () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('should report the open sessions its counter gives in every heartbeat', async () => {
    const saved: MemberRecord[] = [];
    let open = 3;
    const sut = membership(saved, async () => open);
    await sut.beat();
    open = 1;
    await sut.beat();
    expect(saved.map((r) => r.sessions)).toEqual([3, 1]);
  });

  it('should report 0 without a counter or when the counter fails', async () => {
    const saved: MemberRecord[] = [];
    await membership(saved).beat();
    await membership(saved, () => {
      throw new Error('metrics gone');
    }).beat();
    expect(saved.map((r) => r.sessions)).toEqual([0, 0]);
  });
});

describe(recordFromHash.name, () => {
  it('should read the session count of a heartbeat hash (0 when absent or garbage)', () => {
    const base = { name: 'g', kind: 'gateway' };
    expect(recordFromHash({ ...base, sessions: '4' })?.sessions).toBe(4);
    expect(recordFromHash(base)?.sessions).toBe(0);
    expect(recordFromHash({ ...base, sessions: '-2' })?.sessions).toBe(0);
    expect(recordFromHash({ ...base, sessions: 'x' })?.sessions).toBe(0);
  });
});
