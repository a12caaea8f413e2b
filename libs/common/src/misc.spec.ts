import { keyId, maskKey, matchesAny, safeEqual } from '@app/common/secrets';
import { formatUptime } from '@app/common/uptime';

describe('common helpers', () => {
  it('should format uptime as hours, minutes and seconds, always all three', () => {
    expect(formatUptime(2 * 3600 + 15 * 60 + 30)).toBe('2h 15m 30s');
    expect(formatUptime(0)).toBe('0h 0m 0s');
    expect(formatUptime(5.9)).toBe('0h 0m 5s');
    expect(formatUptime(61)).toBe('0h 1m 1s');
    expect(formatUptime(26 * 3600 + 3 * 60)).toBe('26h 3m 0s');
    expect(formatUptime(-3)).toBe('0h 0m 0s');
  });

  it('should compare secrets exactly', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(matchesAny('k2', ['k1', 'k2'])).toBe(true);
    expect(matchesAny('k3', ['k1', 'k2'])).toBe(false);
    expect(matchesAny('k', [])).toBe(false);
  });

  it('should mask keys keeping at most the last four characters', () => {
    expect(maskKey('sk-1234567890abcdef')).toBe('sk-…cdef');
    expect(maskKey('short')).not.toContain('short');
    expect(keyId('a')).toMatch(/^[0-9a-f]{8}$/);
    expect(keyId('a')).toBe(keyId('a'));
  });
});
