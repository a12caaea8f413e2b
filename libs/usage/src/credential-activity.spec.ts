import {
  ActivityTally,
  RECENT_BUCKET_COUNT,
  activityOf,
  addActivity,
  bucketLabel,
  bucketOf,
  countsFromHash,
  windowOf,
} from '@app/usage/credential-activity';

const TEN_MIN = 600_000;
/** 2025-07-01 12:00:00 local time: a bucket boundary in every whole-hour time zone. */
const NOON = new Date(2025, 6, 1, 12, 0, 0).getTime();

describe('credential activity buckets', () => {
  it('should align buckets to 10 minutes and list 20 of them, oldest first, ending now', () => {
    expect(bucketOf(NOON + TEN_MIN - 1)).toBe(bucketOf(NOON));
    expect(bucketOf(NOON + TEN_MIN)).toBe(bucketOf(NOON) + 1);
    const w = windowOf(NOON + 5 * 60_000);
    expect(w).toHaveLength(RECENT_BUCKET_COUNT);
    expect(w[19]).toBe(bucketOf(NOON));
    expect(w[0]).toBe(bucketOf(NOON) - 19);
  });

  it('should label a bucket with its local start and end time', () => {
    expect(bucketLabel(bucketOf(NOON))).toBe('12:00-12:10');
    expect(bucketLabel(bucketOf(NOON) - 1)).toBe('11:50-12:00');
  });

  it('should build CLIProxyAPI’s entry: totals and 20 buckets, zeros where nothing happened', () => {
    const now = NOON + 60_000;
    const sut = activityOf(
      { success: 40, failed: 2 },
      new Map([
        [bucketOf(now), { success: 3, failed: 1 }],
        [bucketOf(now) - 19, { success: 1, failed: 0 }],
        [bucketOf(now) - 20, { success: 99, failed: 99 }],
      ]),
      now,
    );
    expect(sut.success).toBe(40);
    expect(sut.failed).toBe(2);
    expect(sut.recent_requests).toHaveLength(20);
    expect(sut.recent_requests[19]).toEqual({ time: '12:00-12:10', success: 3, failed: 1 });
    expect(sut.recent_requests[0]).toEqual({ time: '08:50-09:00', success: 1, failed: 0 });
    expect(sut.recent_requests.slice(1, 19).every((b) => b.success + b.failed === 0)).toBe(true);
    expect(activityOf(undefined, undefined, now)).toMatchObject({ success: 0, failed: 0 });
  });

  it('should add two activities bucket by bucket', () => {
    const a = activityOf(
      { success: 1, failed: 0 },
      new Map([[bucketOf(NOON), { success: 1, failed: 0 }]]),
      NOON,
    );
    const b = activityOf(
      { success: 0, failed: 2 },
      new Map([[bucketOf(NOON), { success: 0, failed: 2 }]]),
      NOON,
    );
    const sut = addActivity(a, b);
    expect([sut.success, sut.failed]).toEqual([1, 2]);
    expect(sut.recent_requests[19]).toEqual({ time: '12:00-12:10', success: 1, failed: 2 });
  });

  it('should read counts back from hash fields and skip foreign ones', () => {
    expect(
      countsFromHash({ 'abc:s': '3', 'abc:f': '1', 'def:f': '2', junk: '1', 'x:q': '4' }),
    ).toEqual(
      new Map([
        ['abc', { success: 3, failed: 1 }],
        ['def', { success: 0, failed: 2 }],
      ]),
    );
  });
});

describe(ActivityTally.name, () => {
  it('should sum attempts per credential and bucket into increments', () => {
    const sut = new ActivityTally();
    expect(sut.empty).toBe(true);
    sut.add('a', true, NOON);
    sut.add('a', true, NOON + 1000);
    sut.add('a', false, NOON + TEN_MIN);
    sut.add('b', false, NOON);
    const b0 = bucketOf(NOON);
    expect(sut.increments()).toEqual([
      { hash: 'total', field: 'a:s', amount: 2 },
      { hash: 'total', field: 'a:f', amount: 1 },
      { hash: b0, field: 'a:s', amount: 2 },
      { hash: b0 + 1, field: 'a:f', amount: 1 },
      { hash: 'total', field: 'b:f', amount: 1 },
      { hash: b0, field: 'b:f', amount: 1 },
    ]);
    expect(sut.totalOf('a')).toEqual({ success: 2, failed: 1 });
    expect(sut.totalOf('zzz')).toEqual({ success: 0, failed: 0 });
    expect(sut.bucketsOf('b').get(b0)).toEqual({ success: 0, failed: 1 });
  });
});
