import { AppError } from '@app/common';
import {
  DEFAULT_LOG_LINES,
  LogTail,
  MAX_LOG_LINES,
  compileUserRegex,
  matchesLogFilter,
  parseLogQuery,
} from '@app/logs/log-query';
import type { ProcessLogEntry } from '@app/logs/process-log.entry';

function entry(i: number, over: Partial<ProcessLogEntry> = {}): ProcessLogEntry {
  return {
    id: `${1_700_000_000_000 + i}-0`,
    ts: 1_700_000_000_000 + i,
    process: i % 2 ? 'worker-1' : 'gateway-1',
    level: 'info',
    context: 'Ctx',
    message: `line ${i}`,
    ...over,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return AppError.is(err, 'logs') ? err.code : 'other';
  }
  return undefined;
}

describe(parseLogQuery.name, () => {
  it('should default to 100 lines and cap lines at 10,000', () => {
    expect(parseLogQuery({}).lines).toBe(DEFAULT_LOG_LINES);
    expect(parseLogQuery({ lines: '250' }).lines).toBe(250);
    expect(parseLogQuery({ lines: '999999' }).lines).toBe(MAX_LOG_LINES);
  });

  it('should refuse lines and bytes that are not positive whole numbers', () => {
    expect(codeOf(() => parseLogQuery({ lines: 'abc' }))).toBe('INVALID_PARAMETER');
    expect(codeOf(() => parseLogQuery({ lines: '0' }))).toBe('INVALID_PARAMETER');
    expect(codeOf(() => parseLogQuery({ bytes: '-5' }))).toBe('INVALID_PARAMETER');
    expect(codeOf(() => parseLogQuery({ lines: '1.5' }))).toBe('INVALID_PARAMETER');
  });

  it('should treat pattern as a regex only when regex is true, and refuse an invalid one', () => {
    expect(parseLogQuery({ pattern: 'a.c' }).pattern).toBe('a.c');
    expect(parseLogQuery({ pattern: 'a.c', regex: 'false' }).regex).toBeUndefined();
    expect(parseLogQuery({ pattern: 'a.c', regex: 'true' }).regex?.test('abc')).toBe(true);
    expect(parseLogQuery({ pattern: 'a.c', regex: '1' }).pattern).toBeUndefined();
    expect(codeOf(() => parseLogQuery({ pattern: '(unclosed', regex: 'true' }))).toBe(
      'INVALID_PATTERN',
    );
    // look-around needs backtracking; RE2 has none
    expect(codeOf(() => parseLogQuery({ pattern: 'a(?=b)', regex: 'true' }))).toBe(
      'INVALID_PATTERN',
    );
    // as a substring, anything goes
    expect(codeOf(() => parseLogQuery({ pattern: '(unclosed' }))).toBeUndefined();
  });

  it('should refuse a regex parameter that is not a boolean', () => {
    expect(codeOf(() => parseLogQuery({ regex: '^boot' }))).toBe('INVALID_PARAMETER');
  });

  it('should refuse patterns over 256 characters', () => {
    expect(codeOf(() => parseLogQuery({ pattern: 'a'.repeat(257), regex: 'true' }))).toBe(
      'INVALID_PATTERN',
    );
    expect(codeOf(() => parseLogQuery({ pattern: 'a'.repeat(257) }))).toBe('INVALID_PATTERN');
    expect(codeOf(() => parseLogQuery({ pattern: 'a'.repeat(256), regex: 'true' }))).toBe(
      undefined,
    );
  });

  it('should read process as a comma-separated list of names', () => {
    expect([...(parseLogQuery({ process: 'gateway-a, worker-a,' }).processes ?? [])]).toEqual([
      'gateway-a',
      'worker-a',
    ]);
  });

  it('should treat empty parameters as absent', () => {
    const q = parseLogQuery({ process: '', pattern: '', regex: '' });
    expect(q.processes).toBeUndefined();
    expect(q.pattern).toBeUndefined();
    expect(q.regex).toBeUndefined();
  });
});

describe(compileUserRegex.name, () => {
  it('should match a catastrophic-backtracking pattern against a long line quickly', () => {
    const sut = compileUserRegex('(a+)+$');
    const line = 'a'.repeat(50_000) + '!';
    const t0 = performance.now();
    expect(sut.test(line)).toBe(false);
    expect(sut.test('aaaa')).toBe(true);
    // a backtracking engine takes longer than the age of the universe here
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe(matchesLogFilter.name, () => {
  it('should combine process, pattern and regex', () => {
    const e = entry(1, { process: 'worker-1', context: 'Worker', message: 'token refresh ok' });
    const only = (...names: string[]) => new Set(names);
    expect(matchesLogFilter(e, {})).toBe(true);
    expect(matchesLogFilter(e, { processes: only('worker-1'), pattern: 'refresh' })).toBe(true);
    expect(matchesLogFilter(e, { processes: only('gateway-1', 'worker-1') })).toBe(true);
    expect(matchesLogFilter(e, { processes: only('gateway-1') })).toBe(false);
    expect(matchesLogFilter(e, { pattern: '[Worker] token' })).toBe(true); // the line as written
    expect(matchesLogFilter(e, { pattern: 'heartbeat' })).toBe(false);
    expect(matchesLogFilter(e, { regex: compileUserRegex('token \\w+ ok$') })).toBe(true);
    expect(matchesLogFilter(e, { regex: compileUserRegex('^refresh') })).toBe(false);
  });
});

describe(LogTail.name, () => {
  const newestFirst = (n: number) => Array.from({ length: n }, (_, i) => entry(n - 1 - i));

  function run(sut: LogTail, entries: ProcessLogEntry[]): number {
    let offered = 0;
    for (const e of entries) {
      offered++;
      if (!sut.offer(e)) break;
    }
    return offered;
  }

  it('should return the last n matching lines, oldest first, and stop scanning', () => {
    const sut = new LogTail(parseLogQuery({ lines: '3', process: 'gateway-1' }));
    const offered = run(sut, newestFirst(100));
    expect(sut.lines().map((l) => l.message)).toEqual(['line 94', 'line 96', 'line 98']);
    expect(sut.truncated).toBe(true);
    expect(offered).toBe(6); // stopped as soon as it had 3
  });

  it('should stop at the byte limit when it comes before the line limit', () => {
    const one = new LogTail(parseLogQuery({ lines: '1' }));
    run(one, newestFirst(20));
    const lineBytes = one.bytes;
    const sut = new LogTail(parseLogQuery({ lines: '50', bytes: String(lineBytes * 2 + 1) }));
    run(sut, newestFirst(20));
    expect(sut.lines()).toHaveLength(2);
    expect(sut.bytes).toBeLessThanOrEqual(lineBytes * 2 + 1);
    expect(sut.truncated).toBe(true);
  });

  it('should report not truncated when the log ran out first', () => {
    const sut = new LogTail(parseLogQuery({ lines: '10' }));
    run(sut, newestFirst(4));
    expect(sut.lines()).toHaveLength(4);
    expect(sut.truncated).toBe(false);
    expect(sut.lines()[0].line).toBe('[Ctx] line 0');
  });

  it('should order the picked lines by the time they were logged', () => {
    const sut = new LogTail(parseLogQuery({ lines: '10' }));
    // stream order (newest write first) differs from log time: a batch arrived late
    run(sut, [entry(5), entry(3, { ts: 1_700_000_000_009 }), entry(7, { ts: 1_700_000_000_001 })]);
    expect(sut.lines().map((l) => l.message)).toEqual(['line 7', 'line 5', 'line 3']);
  });
});
