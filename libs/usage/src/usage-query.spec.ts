import { isUnfiltered, parseTimeParam, parseUsageQuery } from '@app/usage/usage-query';

function filter(q: Record<string, unknown>) {
  const r = parseUsageQuery(q);
  if (!r.ok) throw new Error(r.error);
  return r.filter;
}

function error(q: Record<string, unknown>): string {
  const r = parseUsageQuery(q);
  if (r.ok) throw new Error('expected a rejection');
  return r.error;
}

describe(parseTimeParam.name, () => {
  it('should read ISO times, dates, unix seconds and unix milliseconds', () => {
    const ms = Date.UTC(2025, 0, 2, 3, 4, 5);
    expect(parseTimeParam('2025-01-02T03:04:05Z')).toBe(ms);
    expect(parseTimeParam('2025-01-02T05:04:05+02:00')).toBe(ms);
    expect(parseTimeParam('2025-01-02')).toBe(Date.UTC(2025, 0, 2));
    expect(parseTimeParam(String(ms / 1000))).toBe(ms);
    expect(parseTimeParam('1735787045.5')).toBe(ms + 500);
    expect(parseTimeParam(String(ms))).toBe(ms);
  });

  it('should refuse anything else', () => {
    for (const bad of ['yesterday', '2025-13-01', '-5', '1e9', '2025-01-02T03:04']) {
      expect(parseTimeParam(bad)).toBeUndefined();
    }
  });
});

describe(parseUsageQuery.name, () => {
  it('should read a time range, a key and a model', () => {
    expect(
      filter({ from: '2025-01-01', to: '1735776000', api: 'sk-…1111', model: 'gpt-5' }),
    ).toEqual({
      fromMs: Date.UTC(2025, 0, 1),
      toMs: Date.UTC(2025, 0, 2),
      api: 'sk-…1111',
      model: 'gpt-5',
    });
  });

  it("should accept CLIProxyAPI's start and end as aliases", () => {
    expect(filter({ start: '2025-01-01T00:00:00Z', end: '2025-01-01T01:00:00Z' })).toEqual({
      fromMs: Date.UTC(2025, 0, 1),
      toMs: Date.UTC(2025, 0, 1, 1),
    });
  });

  it('should narrow nothing without parameters (blank times count as absent)', () => {
    const f = filter({ from: '', other: 'x' });
    expect(f).toEqual({});
    expect(isUnfiltered(f)).toBe(true);
    expect(isUnfiltered(filter({ model: 'm' }))).toBe(false);
  });

  it('should explain every invalid parameter', () => {
    expect(error({ from: 'last week' })).toMatch(
      /^from must be an ISO 8601 time .* got "last week"$/,
    );
    expect(error({ end: 'x' })).toMatch(/^end must be/);
    expect(error({ from: '2025-01-02', to: '2025-01-01' })).toBe('from must not be after to');
    expect(error({ from: '2025-01-01', start: '2025-01-01' })).toBe('give from or start, not both');
    expect(error({ api: ['a', 'b'] })).toBe('api must be given once');
    expect(error({ model: ' ' })).toBe('model must not be empty');
    expect(error({ model: 'm'.repeat(513) })).toBe('model is longer than 512 characters');
  });
});
