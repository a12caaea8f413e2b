import { displayBuckets, regroup, timeZoneNote } from './time';

describe('timeZoneNote', () => {
  it('should name the zone and its offset', () => {
    expect(timeZoneNote(new Date(), 'Europe/Berlin')).toMatch(
      /^Europe\/Berlin, UTC[+-]\d{2}:\d{2}$/,
    );
  });
});

describe('displayBuckets', () => {
  it('should keep minute and hour slots, and group 30 days of hours into local days', () => {
    const hours = Array.from({ length: 72 }, (_, i) =>
      new Date(Date.UTC(2025, 4, 1) + i * 3_600_000).toISOString(),
    );
    const day = displayBuckets(hours.slice(0, 24), 3600, '24h');
    expect(day.labels).toHaveLength(24);
    expect(day.labels[0]).toMatch(/^\d{2}:00$/);
    const month = displayBuckets(hours, 3600, '30d');
    // 72 hours touch 3 or 4 local days, whatever the zone.
    expect(month.labels.length).toBeGreaterThanOrEqual(3);
    expect(month.labels.length).toBeLessThanOrEqual(4);
    const sums = regroup(new Array<number>(72).fill(1), month);
    expect(sums.reduce((a, b) => a + b, 0)).toBe(72);
  });
});
