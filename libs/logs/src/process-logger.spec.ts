import type { ConfigService } from '@app/config';
import type { ProcessLogStore } from '@app/logs/process-log.store';
import { ProcessLogger } from '@app/logs/process-logger';
import {
  decodeProcessLog,
  encodeProcessLog,
  formatProcessLog,
  MAX_MESSAGE_CHARS,
} from '@app/logs/process-log.entry';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

describe(ProcessLogger.name, () => {
  let appended: [string, string, string][];
  let sut: ProcessLogger;
  let out: jest.SpyInstance;
  let err: jest.SpyInstance;
  let store: ProcessLogStore;
  const savedFormat = process.env.LOG_FORMAT;

  beforeEach(() => {
    appended = [];
    store = {
      append: (level: string, context: string, message: string) =>
        appended.push([level, context, message]),
    } as unknown as ProcessLogStore;
    process.env.LOG_FORMAT = 'pretty';
    sut = new ProcessLogger(store, 'gateway-1');
    out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    out.mockRestore();
    err.mockRestore();
    if (savedFormat === undefined) delete process.env.LOG_FORMAT;
    else process.env.LOG_FORMAT = savedFormat;
  });

  it('should print as Nest does and store the line with its level and context', () => {
    sut.log('listening on http://0.0.0.0:8317', 'Gateway');
    expect(String(out.mock.calls[0][0]).replace(ANSI, '')).toMatch(
      /LOG \[Gateway\] listening on http:\/\/0\.0\.0\.0:8317/,
    );
    expect(appended).toEqual([['info', 'Gateway', 'listening on http://0.0.0.0:8317']]);
  });

  it('should store errors with their stack, printed to stderr', () => {
    sut.error('request failed', 'Error: boom\n    at x', 'Proxy');
    expect(err).toHaveBeenCalled();
    expect(appended).toEqual([['error', 'Proxy', 'request failed\nError: boom\n    at x']]);
  });

  it('should neither print nor store levels that are off', () => {
    sut.debug('noisy detail', 'Proxy');
    sut.verbose('noisier', 'Proxy');
    expect(out).not.toHaveBeenCalled();
    expect(appended).toEqual([]);
  });

  it('should store objects as JSON', () => {
    sut.warn({ a: 1 }, 'Ctx');
    expect(appended).toEqual([['warn', 'Ctx', '{"a":1}']]);
  });

  it('should mask secrets in what it prints, not only in what it stores', () => {
    sut.error(
      'refresh failed: {"refresh_token":"1//0gAbCdEfGhIjKlMnOpQrStUvWx"}',
      'Error: Bearer sk-live-abcdefghijklmnopqrstu rejected\n    at x',
      'OAuth',
    );
    sut.warn({ apiKey: 'AIzaSyA1234567890abcdefghijklmnopqrstu' }, 'Ctx');
    const printed = [...err.mock.calls, ...out.mock.calls].map((c) => String(c[0])).join('');
    const stored = appended.map((a) => a[2]).join('\n');
    for (const text of [printed, stored]) {
      expect(text).not.toContain('1//0gAbCdEfGhIjKlMnOpQrStUvWx');
      expect(text).not.toContain('sk-live-abcdefghijklmnopqrstu');
      expect(text).not.toContain('AIzaSyA1234567890abcdefghijklmnopqrstu');
      expect(text).toContain('…');
    }
    expect(printed.replace(ANSI, '')).toContain('[OAuth] refresh failed');
  });

  it('should keep the fields of a structured message in JSON, each masked, and store its msg', () => {
    process.env.LOG_FORMAT = 'json';
    sut = new ProcessLogger(store, 'gateway-1');
    sut.warn(
      {
        msg: 'upstream refused key sk-live-abcdefghijklmnopqrstu',
        request_id: 'r-1',
        route: '/v1/chat/completions',
        model: 'gpt-x',
        status: 401,
      },
      'Proxy',
    );
    const line = JSON.parse(String(out.mock.calls[0][0]));
    expect(line).toMatchObject({
      level: 'warn',
      process: 'gateway-1',
      context: 'Proxy',
      request_id: 'r-1',
      route: '/v1/chat/completions',
      model: 'gpt-x',
      status: 401,
    });
    expect(line.msg).not.toContain('sk-live-abcdefghijklmnopqrstu');
    // The shared log keeps the message text alone (the fields are for JSON stdout).
    expect(appended[0][2]).toMatch(/^upstream refused key \S+$/);
    expect(appended[0][2]).not.toContain('sk-live-abcdefghijklmnopqrstu');
  });

  it("should follow config.yaml's debug flag when LOG_LEVEL is not set, reloads included", () => {
    const savedLevel = process.env.LOG_LEVEL;
    delete process.env.LOG_LEVEL;
    try {
      let listener: ((next: { debug: boolean }, prev: { debug: boolean }) => void) | undefined;
      const config = {
        current: { debug: true },
        onChange: (l: typeof listener) => {
          listener = l;
          return () => undefined;
        },
      } as unknown as ConfigService;
      sut = new ProcessLogger(store, 'gateway-1', config);
      sut.onModuleInit();
      sut.debug('detail', 'Proxy');
      expect(appended).toEqual([['debug', 'Proxy', 'detail']]);
      listener!({ debug: false }, { debug: true });
      sut.debug('hidden', 'Proxy');
      expect(appended).toHaveLength(1);
    } finally {
      if (savedLevel !== undefined) process.env.LOG_LEVEL = savedLevel;
    }
  });

  it('should print objects without secrets as Nest does', () => {
    sut.log({ port: 8317 }, 'Ctx');
    expect(String(out.mock.calls[0][0]).replace(ANSI, '')).toMatch(/Object\(1\) \{\s+port: 8317/);
  });
});

describe('process log entries', () => {
  it('should round-trip through stream fields and cut huge messages', () => {
    const fields = encodeProcessLog(
      1_700_000_000_000,
      'worker-1',
      'warn',
      'Jobs',
      'x'.repeat(MAX_MESSAGE_CHARS + 5),
    );
    const e = decodeProcessLog('1700000000001-3', ['j', fields]);
    expect(e).toMatchObject({
      id: '1700000000001-3',
      ts: 1_700_000_000_000,
      process: 'worker-1',
      level: 'warn',
      context: 'Jobs',
    });
    expect(e.message.length).toBeLessThan(MAX_MESSAGE_CHARS + 20);
    expect(e.message.endsWith('(cut)')).toBe(true);
  });

  it('should fall back to the stream id time and a known level, and survive garbage', () => {
    expect(decodeProcessLog('5-0', ['x', 'y'])).toMatchObject({
      ts: 5,
      message: '',
      level: 'info',
    });
    expect(decodeProcessLog('5-0', ['j', '{not json'])).toMatchObject({ ts: 5, message: '' });
    const e = decodeProcessLog('1700000000999-0', ['j', '[1, null, "g", "bogus", "", "hi"]']);
    expect(e.ts).toBe(1_700_000_000_999);
    expect(e.level).toBe('info');
    expect(formatProcessLog({ ...e, process: 'g', context: '' })).toMatch(
      /^\[[\d\- :]{19}\] \[info\] \[g\] hi$/,
    );
  });
});
