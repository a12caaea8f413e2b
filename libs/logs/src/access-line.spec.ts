import { formatAccessLine, formatLatency, loggedTarget } from '@app/logs/access-line';
import { formatProcessLog } from '@app/logs/process-log.entry';

/**
 * The Management Center's log-line reading, reduced to what its filters use: the line after the
 * `[time] [level] [source]` brackets, split on `|`, a 3-digit segment as the status, the first
 * segment with a duration as the latency, an address, and `METHOD path`.
 */
function asTheUiReadsIt(line: string) {
  const rest = line.replace(/^\[[^\]]+\]\s*\[(?:info|warn|error)\s*\]\s*\[[^\]]+\]\s*/, '');
  const segments = rest
    .split('|')
    .map((s) => s.trim())
    .filter(Boolean);
  const method = segments
    .map((s) => /\b(GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD)\b\s+(\S+)/.exec(s))
    .find(Boolean);
  return {
    status: segments.find((s) => /^\d{3}$/.test(s)),
    latency: segments.find((s) => /\b\d+(?:\.\d+)?\s*(?:µs|us|ms|s|m)\b/i.test(s)),
    ip: segments.find((s) => /\b(?:\d{1,3}\.){3}\d{1,3}\b/.test(s)),
    method: method?.[1],
    path: method?.[2],
    requestId: segments.map((s) => /\brequest_id=(\S+)/.exec(s)?.[1]).find(Boolean),
  };
}

describe(formatAccessLine.name, () => {
  it('should write CLIProxyAPI’s layout, which the Management Center’s filters read', () => {
    const sut = formatAccessLine({
      status: 201,
      latencyMs: 23559.4,
      ip: '10.0.0.7',
      method: 'POST',
      url: '/v1/chat/completions',
      requestId: 'req-42',
    });
    expect(sut).toBe(
      '201 |       23.559s |        10.0.0.7 | POST    "/v1/chat/completions" | request_id=req-42',
    );
    const stored = formatProcessLog({
      id: '1-0',
      ts: Date.UTC(2025, 0, 2, 3, 4, 5),
      process: 'gateway-1',
      level: 'info',
      context: '',
      message: sut,
    });
    expect(asTheUiReadsIt(stored)).toEqual({
      status: '201',
      latency: '23.559s',
      ip: '10.0.0.7',
      method: 'POST',
      path: '"/v1/chat/completions"',
      requestId: 'req-42',
    });
  });

  it('should hide secret query values and keep the separator out of the target', () => {
    const sut = formatAccessLine({
      status: 400,
      latencyMs: 3,
      ip: '::1',
      method: 'GET',
      url: '/v1beta/models?key=AIza-secret&alt=sse&x=a|b"c',
    });
    expect(sut).toBe(
      '400 |           3ms |             ::1 | GET     "/v1beta/models?key=***&alt=sse&x=a%7Cb%22c"',
    );
    expect(sut).not.toContain('AIza-secret');
  });
});

describe(formatLatency.name, () => {
  it('should print durations as Go does after cutting to the millisecond', () => {
    expect(formatLatency(0.4)).toBe('0ms');
    expect(formatLatency(999.9)).toBe('999ms');
    expect(formatLatency(1500)).toBe('1.5s');
    expect(formatLatency(2000)).toBe('2s');
    expect(formatLatency(65_432)).toBe('1m5s');
    expect(formatLatency(3_725_000)).toBe('1h2m5s');
  });
});

describe(loggedTarget.name, () => {
  it('should cut very long targets', () => {
    expect(loggedTarget(`/x?${'a'.repeat(5000)}`)).toHaveLength(2049);
  });

  it('should escape control characters', () => {
    expect(loggedTarget('/a\u0000b')).toBe('/a%00b');
  });
});
