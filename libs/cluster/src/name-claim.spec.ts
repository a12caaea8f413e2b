import type { MemberRecord, MemberState } from '@app/cluster/member.types';
import type { MembershipRepository } from '@app/cluster/membership.repository';
import { NameTakenError, ensureNameFree, pidAlive, type NameClaim } from '@app/cluster/name-claim';

function repoWith(beats: (string | undefined)[], holder?: Partial<MemberRecord>) {
  let i = 0;
  const repo = {
    heartbeat: async () => beats[Math.min(i++, beats.length - 1)],
    get: async (): Promise<MemberState | undefined> =>
      holder ? { record: { ...(holder as MemberRecord) }, alive: true } : undefined,
  } as unknown as MembershipRepository;
  return repo;
}

const claim = (over: Partial<NameClaim> = {}): NameClaim => ({
  name: 'gateway-h-8317',
  instance: 'me',
  host: 'h',
  pid: 100,
  watchMs: 10,
  sleep: async () => undefined,
  pidAlive: () => true,
  ...over,
});

describe(ensureNameFree.name, () => {
  it('should let a member join under a name nobody holds', async () => {
    await expect(ensureNameFree(repoWith([undefined]), claim())).resolves.toBeUndefined();
  });

  it('should refuse a name whose holder keeps beating', async () => {
    const repo = repoWith(['other:1', 'other:2'], { host: 'h2', pid: 7 });
    await expect(ensureNameFree(repo, claim())).rejects.toThrow(NameTakenError);
    await expect(
      ensureNameFree(repoWith(['other:1', 'other:2'], { host: 'h2', pid: 7 }), claim()),
    ).rejects.toThrow(/already named "gateway-h-8317" \(pid 7 on h2\).*PORT/);
  });

  it('should take over the name of a holder that stopped beating', async () => {
    const repo = repoWith(['other:1', 'other:1'], { host: 'h2', pid: 7 });
    await expect(ensureNameFree(repo, claim())).resolves.toBeUndefined();
  });

  it('should take over at once when the holder was this host and its pid is gone or is ours', async () => {
    let slept = 0;
    const sleep = async () => {
      slept++;
    };
    const gone = repoWith(['other:1', 'other:2'], { host: 'h', pid: 55 });
    await ensureNameFree(gone, claim({ pidAlive: () => false, sleep }));
    const restartedInPlace = repoWith(['other:1', 'other:2'], { host: 'h', pid: 100 });
    await ensureNameFree(restartedInPlace, claim({ sleep }));
    expect(slept).toBe(0);
  });
});

describe(pidAlive.name, () => {
  it('should know this process and refuse nonsense pids', () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(0)).toBe(false);
    expect(pidAlive(2 ** 22 + 12345)).toBe(false);
  });
});
