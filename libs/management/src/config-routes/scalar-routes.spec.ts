import { AppError } from '@app/common';
import { parseConfig } from '@app/config';
import {
  readScalarValue,
  responseKeyOf,
  SCALAR_ROUTES,
  scalarValue,
  yamlPathOf,
  type ScalarRoute,
} from '@app/management/config-routes/scalar-routes';

function route(name: string): ScalarRoute {
  const r = SCALAR_ROUTES.find((x) => x.route === name);
  if (!r) throw new Error(`no scalar route ${name}`);
  return r;
}

function rejection(r: ScalarRoute, body: unknown): AppError {
  try {
    readScalarValue(r, body);
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

const JS_TYPE = { boolean: 'boolean', integer: 'number', string: 'string' } as const;

describe('SCALAR_ROUTES', () => {
  it('should name each key of config.yaml once, with the type the schema gives it', () => {
    const parsed = parseConfig('');
    if (!parsed.ok) throw new Error('the empty config must parse');
    for (const r of SCALAR_ROUTES) {
      expect([r.route, typeof scalarValue(parsed.config, r)]).toEqual([r.route, JS_TYPE[r.kind]]);
    }
    expect(new Set(SCALAR_ROUTES.map((r) => r.route)).size).toBe(SCALAR_ROUTES.length);
  });

  it('should cover the CLIProxyAPI scalar catalog', () => {
    expect(SCALAR_ROUTES.map((r) => r.route).sort()).toEqual(
      [
        'ampcode/force-model-mappings',
        'ampcode/restrict-management-to-localhost',
        'ampcode/upstream-api-key',
        'ampcode/upstream-url',
        'debug',
        'error-logs-max-files',
        'force-model-prefix',
        'logging-to-file',
        'logs-max-total-size-mb',
        'max-retry-interval',
        'proxy-url',
        'quota-exceeded/switch-preview-model',
        'quota-exceeded/switch-project',
        'request-log',
        'request-retry',
        'routing/strategy',
        'usage-statistics-enabled',
        'ws-auth',
      ].sort(),
    );
  });
});

describe(responseKeyOf.name, () => {
  it("should answer with the route's last segment, as CLIProxyAPI does", () => {
    expect(responseKeyOf(route('routing/strategy'))).toBe('strategy');
    expect(responseKeyOf(route('quota-exceeded/switch-project'))).toBe('switch-project');
    expect(responseKeyOf(route('debug'))).toBe('debug');
    expect(yamlPathOf(route('ampcode/upstream-url'))).toEqual(['ampcode', 'upstream-url']);
  });
});

describe(scalarValue.name, () => {
  it('should walk the YAML path and answer undefined past a missing key', () => {
    expect(scalarValue({ routing: { strategy: 'fill-first' } }, route('routing/strategy'))).toBe(
      'fill-first',
    );
    expect(scalarValue({}, route('routing/strategy'))).toBeUndefined();
  });
});

describe(readScalarValue.name, () => {
  it('should take a value of the route kind', () => {
    expect(readScalarValue(route('debug'), { value: true })).toBe(true);
    expect(readScalarValue(route('request-retry'), { value: 3 })).toBe(3);
    expect(readScalarValue(route('ampcode/upstream-api-key'), { value: ' sk-amp ' })).toBe(
      'sk-amp',
    );
  });

  it('should answer 400 naming the expected type', () => {
    const e = rejection(route('ws-auth'), { value: 'yes' });
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/value must be a boolean/);
    expect(rejection(route('request-retry'), { value: 1.5 }).message).toMatch(/an integer/);
  });

  it('should refuse integers below the minimum', () => {
    expect(rejection(route('error-logs-max-files'), { value: -1 }).message).toBe(
      'invalid body: value must be ≥ 0, got -1',
    );
    expect(readScalarValue(route('error-logs-max-files'), { value: 0 })).toBe(0);
  });

  it('should map strategy spellings and list the allowed values otherwise', () => {
    const r = route('routing/strategy');
    expect(readScalarValue(r, { value: ' Fill-First ' })).toBe('fill-first');
    expect(readScalarValue(r, { value: 'rr' })).toBe('round-robin');
    expect(readScalarValue(r, { value: 'ff' })).toBe('fill-first');
    const e = rejection(r, { value: 'random' });
    expect(e.status).toBe(400);
    expect(e.message).toBe(
      'invalid body: value must be one of round-robin, fill-first, got "random"',
    );
  });

  it('should take proxy URLs, direct, none and empty, and never echo a refused one', () => {
    const r = route('proxy-url');
    for (const v of ['socks5://u:p@127.0.0.1:1080', 'http://proxy:3128', 'direct', 'NONE', '']) {
      expect(readScalarValue(r, { value: v })).toBe(v);
    }
    const e = rejection(r, { value: 'ftp://user:secret@host' });
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/value must be a proxy URL/);
    expect(e.message).not.toContain('secret');
  });

  it('should take only http(s) URLs or empty for the Amp upstream', () => {
    const r = route('ampcode/upstream-url');
    expect(readScalarValue(r, { value: 'https://ampcode.com' })).toBe('https://ampcode.com');
    expect(readScalarValue(r, { value: '' })).toBe('');
    expect(rejection(r, { value: 'ampcode.com' }).status).toBe(400);
  });
});
