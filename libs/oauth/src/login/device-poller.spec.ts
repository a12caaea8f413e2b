import { DevicePoller, type DevicePollStep } from '@app/oauth/login/device-poller';
import { MemoryLoginSessionStore } from '@app/oauth/login/memory-login-session.store';
import type { LoginSession } from '@app/oauth/login/login-session.types';

function deviceSession(state: string): LoginSession {
  return {
    state,
    provider: 'kimi',
    createdAt: Date.now(),
    device: {
      deviceCode: 'dc',
      userCode: 'UC',
      verificationUri: 'http://v',
      intervalMs: 5,
      expiresAt: Date.now() + 60_000,
    },
  };
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe(DevicePoller.name, () => {
  let store: MemoryLoginSessionStore;
  let polls: string[];
  let steps: DevicePollStep[];
  let sut: DevicePoller;

  const pollOnce = async (state: string): Promise<DevicePollStep> => {
    polls.push(state);
    return steps.shift() ?? { done: false, intervalMs: 5 };
  };

  beforeEach(() => {
    store = new MemoryLoginSessionStore();
    polls = [];
    steps = [];
    sut = new DevicePoller(store, pollOnce, {
      owner: 'me',
      minLeaseMs: 1000,
      sweepMs: 10,
      defaultIntervalMs: 5,
    });
  });

  afterEach(() => sut.stop());

  it('should poll until the step says done, then release the lease', async () => {
    steps = [
      { done: false, intervalMs: 5 },
      { done: false, intervalMs: 5 },
      { done: true, intervalMs: 0 },
    ];
    sut.track('s1', 5);
    await until(() => sut.tracking === 0);
    expect(polls).toEqual(['s1', 's1', 's1']);
    expect(await store.leasePoll('s1', 'someone-else', 1000)).toBe(true);
  });

  it('should track a login only once however often it is asked', async () => {
    sut.track('s1', 5);
    sut.track('s1', 5);
    expect(sut.tracking).toBe(1);
  });

  it('should leave a login to the process holding its lease', async () => {
    await store.leasePoll('s1', 'other-process', 60_000);
    sut.track('s1', 5);
    await until(() => sut.tracking === 0);
    expect(polls).toEqual([]);
  });

  it('should keep polling after a failed poll', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const flaky = new DevicePoller(
      store,
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('provider down');
        return { done: true, intervalMs: 0 };
      },
      { owner: 'me', minLeaseMs: 1000, onError: (_s, e) => errors.push(e) },
    );
    flaky.track('s1', 5);
    await until(() => flaky.tracking === 0);
    expect(calls).toBe(2);
    expect(errors).toEqual([new Error('provider down')]);
  });

  it('should adopt pending device logins nobody polls', async () => {
    await store.create(deviceSession('orphan'), 60_000);
    await store.create(deviceSession('taken'), 60_000);
    await store.leasePoll('taken', 'other-process', 60_000);
    steps = [{ done: true, intervalMs: 0 }];
    sut.startSweeping();
    await until(() => polls.length > 0);
    expect(polls).toEqual(['orphan']);
  });

  it('should stop polling and hand its leases back on stop', async () => {
    sut.track('s1', 60_000); // first poll far away
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.leasePoll('s1', 'next-process', 1000)).toBe(false);
    await sut.stop();
    expect(sut.tracking).toBe(0);
    expect(await store.leasePoll('s1', 'next-process', 1000)).toBe(true);
    sut.track('s2', 5); // stopped: ignored
    expect(sut.tracking).toBe(0);
    expect(polls).toEqual([]);
  });
});
