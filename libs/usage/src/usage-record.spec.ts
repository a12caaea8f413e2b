import { nanoTimestamp } from '@app/usage/usage-record';

/** The plain formula: the Date's text with the six sub-millisecond digits spliced in. */
function reference(nowMs: number, nanos: number): string {
  const iso = new Date(nowMs).toISOString();
  return `${iso.slice(0, -1)}${String(nanos % 1_000_000).padStart(6, '0')}Z`;
}

describe(nanoTimestamp.name, () => {
  it('should write the milliseconds then the sub-millisecond digits of the clock', () => {
    const ms = Date.UTC(2025, 4, 6, 7, 8, 9, 123);
    expect(nanoTimestamp(ms, 987_456_789)).toBe('2025-05-06T07:08:09.123456789Z');
    expect(nanoTimestamp(ms, 7)).toBe('2025-05-06T07:08:09.123000007Z');
    expect(nanoTimestamp(ms + 877, 0)).toBe('2025-05-06T07:08:10.000000000Z');
  });

  it('should match the plain formula across seconds, days and years, in any order', () => {
    const base = Date.UTC(2024, 11, 31, 23, 59, 58, 990);
    const times: number[] = [];
    for (let i = 0; i < 3000; i += 7) times.push(base + i);
    // Going back to an earlier second must not reuse the later second's text.
    times.push(base, base + 2500, base + 10, Date.UTC(2030, 1, 28, 12), base + 1010);
    for (const [i, ms] of times.entries()) {
      const nanos = (i * 7_919_777) % 1_000_000_000;
      expect([ms, nanoTimestamp(ms, nanos)]).toEqual([ms, reference(ms, nanos)]);
    }
  });

  it('should keep the canonical length of thirty characters', () => {
    expect(nanoTimestamp()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
  });

  it('should still format clocks that Date.now() never gives (fractional, before 1970)', () => {
    expect(nanoTimestamp(1.5, 42)).toBe(reference(1.5, 42));
    expect(nanoTimestamp(-1, 42)).toBe('1969-12-31T23:59:59.999000042Z');
  });
});
