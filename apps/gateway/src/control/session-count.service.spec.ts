import type { MemberRecord, MemberState, MembershipRepository } from '@app/cluster';
import type { ProxyMetrics, RelayHub } from '@app/proxy';
import { SessionCountService } from '@app/gateway/control/session-count.service';

function member(
  name: string,
  kind: 'gateway' | 'worker',
  sessions: number,
  alive = true,
): MemberState {
  return { alive, record: { name, kind, sessions } as MemberRecord };
}

describe(SessionCountService.name, () => {
  let open: number;
  let members: MemberState[] | Error;
  let sut: SessionCountService;
  let written: [string, number][];

  beforeEach(() => {
    written = [];
    open = 2;
    members = [];
    const metrics = {
      openStreams: { get: async () => ({ values: [{ value: open }] }) },
    } as unknown as ProxyMetrics;
    const repo = {
      list: async () => {
        if (members instanceof Error) throw members;
        return members;
      },
      saveSessions: async (name: string, n: number) => {
        if (members instanceof Error) throw members;
        written.push([name, n]);
      },
    } as unknown as MembershipRepository;
    sut = new SessionCountService(metrics, repo, 'gw-self');
  });

  it("should add the other live gateways' reports to its own live count", async () => {
    members = [
      member('gw-self', 'gateway', 99),
      member('gw-2', 'gateway', 3),
      member('gw-3', 'gateway', 4, false),
      member('worker-1', 'worker', 7),
    ];
    expect(await sut.local()).toBe(2);
    expect(await sut.cluster()).toBe(5);
  });

  it('should publish its own count only when it changed, and retry after a failed write', async () => {
    await sut.publish();
    await sut.publish();
    open = 3;
    await sut.publish();
    expect(written).toEqual([
      ['gw-self', 2],
      ['gw-self', 3],
    ]);
    members = new Error('Connection is closed.');
    open = 4;
    await sut.publish();
    members = [];
    await sut.publish();
    expect(written.at(-1)).toEqual(['gw-self', 4]);
  });

  it('should fall back to its own count when Redis is unreachable', async () => {
    members = new Error('Connection is closed.');
    expect(await sut.cluster()).toBe(2);
  });
  it('should count WebSocket relay connections as sessions', async () => {
    const metrics = {
      openStreams: { get: async () => ({ values: [{ value: 2 }] }) },
    } as unknown as ProxyMetrics;
    const repo = { list: async () => [] } as unknown as MembershipRepository;
    const relay = { localCount: 3 } as unknown as RelayHub;
    expect(await new SessionCountService(metrics, repo, 'gw-self', relay).local()).toBe(5);
  });
});
