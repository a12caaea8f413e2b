import { dayOf, hourOf, hourStartMs, instantFromMs, parseInstant } from '@app/usage/usage-time';

describe(parseInstant.name, () => {
  it('should keep all nine fraction digits of a UTC timestamp', () => {
    expect(parseInstant('2025-03-04T05:06:07.123456789Z')).toEqual({
      ms: Date.UTC(2025, 2, 4, 5, 6, 7, 123),
      iso: '2025-03-04T05:06:07.123456789Z',
    });
  });

  it('should convert an offset to UTC without losing the nanoseconds', () => {
    const i = parseInstant('2025-03-04T08:36:07.000000042+03:30');
    expect(i?.iso).toBe('2025-03-04T05:06:07.000000042Z');
    expect(i?.ms).toBe(Date.UTC(2025, 2, 4, 5, 6, 7, 0));
  });

  it('should give one canonical form for the same instant written differently', () => {
    const a = parseInstant('2025-01-01T00:00:00.5Z');
    const b = parseInstant('2024-12-31T19:00:00.500000000-05:00');
    expect(a?.iso).toBe('2025-01-01T00:00:00.500000000Z');
    expect(b?.iso).toBe(a?.iso);
  });

  it('should accept no fraction, a lower-case z and a space separator', () => {
    expect(parseInstant('2025-01-01 10:00:00z')?.iso).toBe('2025-01-01T10:00:00.000000000Z');
  });

  it('should reject dates that do not exist and text that is not RFC 3339', () => {
    for (const bad of [
      '2025-02-30T00:00:00Z',
      '2025-02-30T00:00:00.000000000Z',
      '2025-01-31T24:00:00.000000000Z',
      '2025-13-01T00:00:00Z',
      '2025-01-01T24:00:00Z',
      '2025-01-01T00:00:00',
      '2025-01-01T00:00:00.1234567891Z',
      '1969-12-31T23:59:59Z',
      'yesterday',
      '',
    ]) {
      expect(parseInstant(bad)).toBeUndefined();
    }
  });
});

describe(`${parseInstant.name} of successive live timestamps`, () => {
  it('should give the same instants as Date.parse for records within and across seconds', () => {
    const base = Date.UTC(2025, 11, 31, 23, 59, 59, 0);
    const times = [0, 1, 999, 1000, 1001, 2999, 500, 86_400_000, 3, 1000];
    for (const [i, offset] of times.entries()) {
      const ms = base + offset;
      const iso = `${new Date(ms).toISOString().slice(0, -1)}${String(i * 111_111).padStart(6, '0')}Z`;
      expect(parseInstant(iso)).toEqual({ ms, iso });
    }
  });

  it('should still reject an impossible time right after a valid one of the same day', () => {
    expect(parseInstant('2025-01-31T23:59:59.000000000Z')?.ms).toBe(
      Date.UTC(2025, 0, 31, 23, 59, 59),
    );
    expect(parseInstant('2025-01-31T23:59:60.000000000Z')).toBeUndefined();
    expect(parseInstant('2025-01-31T24:00:00.000000000Z')).toBeUndefined();
    expect(parseInstant('2025-01-31T23:59:59.0000000x0Z')).toBeUndefined();
  });
});

describe('usage time buckets', () => {
  it('should name the UTC day and hour of a canonical timestamp', () => {
    const iso = '2025-06-30T23:59:59.999999999Z';
    expect(dayOf(iso)).toBe('2025-06-30');
    expect(hourOf(iso)).toBe('23');
    expect(hourStartMs('2025-06-30', '23')).toBe(Date.UTC(2025, 5, 30, 23));
  });

  it('should pad milliseconds with zero nanoseconds', () => {
    expect(instantFromMs(Date.UTC(2025, 0, 2, 3, 4, 5, 6)).iso).toBe(
      '2025-01-02T03:04:05.006000000Z',
    );
  });
});
