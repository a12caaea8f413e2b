import { DEFAULT_RESTART_POLICY, RestartPolicy } from '@app/common/restart-policy';

describe(RestartPolicy.name, () => {
  it('should wait 1 s, then double, for crashes in a row', () => {
    const sut = new RestartPolicy();
    const delays: number[] = [];
    let now = 0;
    for (let i = 0; i < 4; i++) {
      const d = sut.crashed(now, now - 100);
      if (d.action !== 'restart') throw new Error('gave up early');
      delays.push(d.delayMs);
      now += d.delayMs + 100;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
  });

  it('should give up at the fifth crash within 2 minutes', () => {
    const sut = new RestartPolicy();
    const decisions = [0, 10_000, 20_000, 30_000, 40_000].map((t) => sut.crashed(t, t - 1000));
    expect(decisions.slice(0, 4).every((d) => d.action === 'restart')).toBe(true);
    expect(decisions[4]).toEqual({ action: 'give-up', crashes: 5 });
  });

  it('should cap the delay at 30 s when crashes are spread out', () => {
    const sut = new RestartPolicy();
    const delays: number[] = [];
    let now = 0;
    // One crash every 50 s: never 5 within 2 minutes, each run shorter than the window.
    for (let i = 0; i < 8; i++) {
      const d = sut.crashed(now, now - 50_000);
      if (d.action !== 'restart') throw new Error('gave up');
      delays.push(d.delayMs);
      now += 50_000;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('should start from 1 s again after a run as long as the window', () => {
    const sut = new RestartPolicy();
    sut.crashed(0, -1000);
    sut.crashed(5000, 2000);
    const later = 5000 + DEFAULT_RESTART_POLICY.windowMs + 10_000;
    expect(sut.crashed(later, later - DEFAULT_RESTART_POLICY.windowMs)).toEqual({
      action: 'restart',
      delayMs: 1000,
    });
  });
});
