import {
  formatCount,
  formatLogLine,
  formatMs,
  formatPercent,
  formatRelative,
  formatUptime,
  maskSecret,
} from './format';

describe('format', () => {
  it('should print a log line with its local time, level and process before the text', () => {
    const at = new Date(2025, 0, 2, 15, 4, 5).toISOString();
    expect(
      formatLogLine({ timestamp: at, level: 'warn', process: 'gateway-a', line: '[Proxy] slow' }),
    ).toBe('2025-01-02 15:04:05 [warn] [gateway-a] [Proxy] slow');
  });

  it('should write counts with separators, compact above a million', () => {
    expect(formatCount(1234)).toBe('1,234');
    expect(formatCount(2_500_000)).toBe('2.5M');
  });

  it('should write percentages without noise at the ends', () => {
    expect(formatPercent(0.9731)).toBe('97.3%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(null)).toBe('–');
  });

  it('should write durations in the unit that reads best', () => {
    expect(formatMs(84.4)).toBe('84 ms');
    expect(formatMs(1400)).toBe('1.4 s');
    expect(formatMs(125_000)).toBe('2 min 5 s');
    expect(formatUptime(8130)).toBe('2h 15m');
    expect(formatUptime(3 * 86400 + 4 * 3600)).toBe('3d 4h');
  });

  it('should say how far a time is from now in either direction', () => {
    const now = Date.parse('2025-05-01T10:00:00Z');
    expect(formatRelative('2025-05-01T10:05:00Z', now)).toBe('in 5 min');
    expect(formatRelative('2025-05-01T07:00:00Z', now)).toBe('3 h ago');
    expect(formatRelative(now / 1000 + 30, now)).toBe('in 30 s');
    expect(formatRelative('not a time', now)).toBe('');
  });

  it('should mask secrets but keep what the server masked', () => {
    expect(maskSecret('sk-abcdefgh12345678')).toBe('sk-a…5678');
    expect(maskSecret('short')).toBe('••••');
    expect(maskSecret('sk-…1111')).toBe('sk-…1111');
  });
});
