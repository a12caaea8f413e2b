import {
  diffSchedulers,
  quotaOffsetMs,
  quotaSchedulerId,
} from '@app/worker/quota/quota-scheduler.service';

describe(diffSchedulers.name, () => {
  const every = 300_000;
  const wanted = new Map([
    [quotaSchedulerId('a'), { every, offset: quotaOffsetMs('a', every) }],
    [quotaSchedulerId('b'), { every, offset: quotaOffsetMs('b', every) }],
  ]);

  it('should add missing schedulers, update changed ones and remove gone accounts', () => {
    const sut = diffSchedulers(
      [
        { id: 'quota-a', every, offset: quotaOffsetMs('a', every) },
        { id: 'quota-b', every: 60_000, offset: quotaOffsetMs('b', every) },
        { id: 'quota-gone', every },
        { id: 'heartbeat:every', every: 15_000 },
      ],
      wanted,
    );
    expect(sut).toEqual({ upsert: ['quota-b'], remove: ['quota-gone'] });
  });

  it('should change nothing when everything matches', () => {
    const existing = [...wanted].map(([id, w]) => ({ id, ...w }));
    expect(diffSchedulers(existing, wanted)).toEqual({ upsert: [], remove: [] });
  });
});

describe(quotaOffsetMs.name, () => {
  it('should stay inside the interval and differ between accounts', () => {
    const offsets = ['a', 'b', 'c', 'd', 'e'].map((k) => quotaOffsetMs(k, 300_000));
    for (const o of offsets) expect(o).toBeGreaterThanOrEqual(0);
    for (const o of offsets) expect(o).toBeLessThan(300_000);
    expect(new Set(offsets).size).toBe(5);
  });
});
