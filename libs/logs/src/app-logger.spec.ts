import { Logger } from '@nestjs/common';
import {
  AppLogger,
  appLoggerOptions,
  colorsOf,
  logFieldsText,
  logFormatOf,
  type AppLoggerOptions,
} from '@app/logs/app-logger';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/;
const tty = { isTTY: true };
const pipe = { isTTY: false };

describe(AppLogger.name, () => {
  let out: jest.SpyInstance;
  let err: jest.SpyInstance;

  const make = (opts: Partial<AppLoggerOptions> = {}) =>
    new AppLogger({
      processName: 'gateway-1',
      format: 'json',
      logLevels: ['fatal', 'error', 'warn', 'log'],
      colors: false,
      ...opts,
    });
  const printed = (spy: jest.SpyInstance) => spy.mock.calls.map((c) => String(c[0])).join('');
  const jsonLines = (spy: jest.SpyInstance) =>
    printed(spy)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeEach(() => {
    out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    out.mockRestore();
    err.mockRestore();
  });

  describe('format and colours', () => {
    it('should write JSON when stdout is not a terminal and pretty lines on a terminal', () => {
      expect(logFormatOf({}, pipe)).toBe('json');
      expect(logFormatOf({}, tty)).toBe('pretty');
    });

    it('should let LOG_FORMAT override the terminal check', () => {
      expect(logFormatOf({ LOG_FORMAT: 'pretty' }, pipe)).toBe('pretty');
      expect(logFormatOf({ LOG_FORMAT: 'JSON' }, tty)).toBe('json');
      expect(logFormatOf({ LOG_FORMAT: 'xml' }, tty)).toBe('pretty');
    });

    it('should colour only pretty output to a terminal, NO_COLOR and FORCE_COLOR winning', () => {
      expect(colorsOf('pretty', {}, tty)).toBe(true);
      expect(colorsOf('pretty', {}, pipe)).toBe(false);
      expect(colorsOf('json', { FORCE_COLOR: '1' }, tty)).toBe(false);
      expect(colorsOf('pretty', { NO_COLOR: '1' }, tty)).toBe(false);
      expect(colorsOf('pretty', { FORCE_COLOR: '1' }, pipe)).toBe(true);
      expect(colorsOf('pretty', { FORCE_COLOR: '0' }, tty)).toBe(false);
    });

    it('should read the levels from LOG_LEVEL (info by default)', () => {
      expect(appLoggerOptions('w', {}, pipe).logLevels).not.toContain('debug');
      expect(appLoggerOptions('w', { LOG_LEVEL: 'debug' }, pipe).logLevels).toContain('debug');
      expect(appLoggerOptions('w', { LOG_LEVEL: 'warn' }, pipe).logLevels).not.toContain('log');
    });
  });

  describe('JSON lines', () => {
    it('should print one object per line with time, level, process, context and msg', () => {
      const sut = make();
      sut.log('ready on http://0.0.0.0:8317', 'Gateway');
      sut.warn('careful', 'Config');
      const [ready, careful] = jsonLines(out);
      expect(ready).toEqual({
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        level: 'info',
        process: 'gateway-1',
        context: 'Gateway',
        msg: 'ready on http://0.0.0.0:8317',
      });
      expect(careful).toMatchObject({ level: 'warn', context: 'Config', msg: 'careful' });
      expect(printed(out)).not.toMatch(ANSI);
    });

    it('should put the fields of a structured message on the line', () => {
      make().warn(
        {
          msg: 'upstream failed',
          request_id: 'r-1',
          route: '/v1/messages',
          model: 'm',
          status: 502,
        },
        'Proxy',
      );
      expect(jsonLines(out)[0]).toMatchObject({
        msg: 'upstream failed',
        request_id: 'r-1',
        route: '/v1/messages',
        model: 'm',
        status: 502,
        context: 'Proxy',
      });
    });

    it('should print errors on stderr with their stack as a field, not as extra lines', () => {
      make().error('boom', 'Error: boom\n    at x (y.js:1:2)', 'Proxy');
      expect(out).not.toHaveBeenCalled();
      const lines = printed(err).split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toMatchObject({
        level: 'error',
        msg: 'boom',
        stack: 'Error: boom\n    at x (y.js:1:2)',
      });
    });

    it('should turn other objects into text', () => {
      make().log({ port: 8317 }, 'Ctx');
      expect(jsonLines(out)[0].msg).toBe('{"port":8317}');
    });
  });

  describe('quiet start-up', () => {
    it("should print Nest's route and module lines only at debug level", () => {
      const sut = make();
      sut.log('Mapped {/status, GET} route', 'RouterExplorer');
      sut.log('StatusController {/}:', 'RoutesResolver');
      sut.log('ConfigModule dependencies initialized', 'InstanceLoader');
      sut.log('Starting Nest application...', 'NestFactory');
      expect(out).not.toHaveBeenCalled();
      const verbose = make({ logLevels: ['fatal', 'error', 'warn', 'log', 'debug'] });
      verbose.log('Mapped {/status, GET} route', 'RouterExplorer');
      expect(jsonLines(out)[0]).toMatchObject({ level: 'debug', context: 'RouterExplorer' });
    });

    it("should leave a failed start-up to the app's own message (no Nest stack trace)", () => {
      make().error(new Error('config.yaml: 1 problem'), undefined, 'ExceptionHandler');
      expect(err).not.toHaveBeenCalled();
      expect(out).not.toHaveBeenCalled();
    });

    it('should demote those lines when they come through Nest static Logger too', () => {
      const sut = make();
      Logger.overrideLogger(sut);
      try {
        new Logger('RoutesResolver').log('StatusController {/}:');
        new Logger('Gateway').log('ready');
      } finally {
        Logger.overrideLogger(false);
      }
      expect(jsonLines(out).map((l) => l.context)).toEqual(['Gateway']);
    });
  });

  describe('pretty lines', () => {
    it('should name the process, and show structured fields as key=value', () => {
      const sut = make({ format: 'pretty' });
      sut.log({ msg: 'request failed', request_id: 'r 1', status: 500 }, 'Proxy');
      const line = printed(out);
      expect(line).toMatch(
        /^\[gateway-1\] .* LOG \[Proxy\] request failed request_id="r 1" status=500\n$/,
      );
      expect(line).not.toMatch(ANSI);
    });

    it('should colour when told to', () => {
      make({ format: 'pretty', colors: true }).log('hello', 'Ctx');
      expect(printed(out)).toMatch(ANSI);
    });
  });

  it('should render fields for stored logs the same way', () => {
    expect(logFieldsText({ msg: 'm', a: 1, b: 'x y', c: undefined })).toBe('m a=1 b="x y"');
  });
});
