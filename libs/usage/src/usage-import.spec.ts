import { decodeMember, dedupeHash } from '@app/usage/usage-entry';
import { parseImportPayload } from '@app/usage/usage-import';

const DETAIL = {
  timestamp: '2025-02-03T12:00:00.123456789+02:00',
  latency_ms: 800,
  source: 'dev@example.com',
  auth_index: '1',
  tokens: {
    input_tokens: 10,
    output_tokens: 4,
    reasoning_tokens: 0,
    cached_tokens: 0,
    total_tokens: 14,
  },
  failed: false,
};

const SNAPSHOT = {
  total_requests: 2,
  success_count: 1,
  failure_count: 1,
  total_tokens: 14,
  apis: {
    'sk-…1111': {
      total_requests: 2,
      total_tokens: 14,
      models: {
        'gpt-5': {
          total_requests: 2,
          total_tokens: 14,
          details: [DETAIL, { ...DETAIL, failed: true, tokens: {} }],
        },
      },
    },
  },
  requests_by_day: {},
  requests_by_hour: {},
  tokens_by_day: {},
  tokens_by_hour: {},
};

function ok(body: unknown) {
  const r = parseImportPayload(body);
  if (!r.ok) throw new Error(r.error);
  return r;
}

function error(body: unknown): string {
  const r = parseImportPayload(body);
  if (r.ok) throw new Error('expected a rejection');
  return r.error;
}

describe(parseImportPayload.name, () => {
  it('should read a version 1 export into one entry per detail', () => {
    const r = ok({ version: 1, exported_at: '2025-02-04T00:00:00Z', usage: SNAPSHOT });
    expect(r.version).toBe(1);
    expect(r.entries).toHaveLength(2);
    const [first, second] = r.entries;
    expect(first).toMatchObject({
      api: 'sk-…1111',
      model: 'gpt-5',
      day: '2025-02-03',
      hour: '10',
      totalTokens: 14,
    });
    expect(decodeMember(first.member)).toEqual({
      ...DETAIL,
      timestamp: '2025-02-03T10:00:00.123456789Z',
    });
    expect(second).toMatchObject({ failed: true, totalTokens: 0 });
  });

  it('should read version 0: no version, version 0, the GET /usage body, or a bare snapshot', () => {
    for (const body of [
      { usage: SNAPSHOT },
      { version: 0, usage: SNAPSHOT },
      { usage: SNAPSHOT, failed_requests: 1 },
      SNAPSHOT,
    ]) {
      const r = ok(body);
      expect(r.version).toBe(0);
      expect(r.entries.map((e) => e.hash)).toEqual(
        ok({ version: 1, usage: SNAPSHOT }).entries.map((e) => e.hash),
      );
    }
  });

  it('should key an imported detail exactly as the same detail recorded live', () => {
    const [e] = ok({ version: 1, usage: SNAPSHOT }).entries;
    const stored = decodeMember(e.member)!;
    expect(e.hash).toBe(dedupeHash('sk-…1111', 'gpt-5', stored));
  });

  it('should skip unnamed APIs and call an unnamed model unknown, as CLIProxyAPI does', () => {
    const r = ok({
      version: 1,
      usage: {
        apis: {
          ' ': { models: { m: { details: [DETAIL] } } },
          k: { models: { '': { details: [DETAIL] } } },
        },
      },
    });
    expect(r.entries.map((e) => [e.api, e.model])).toEqual([['k', 'unknown']]);
  });

  it('should read a body that arrived as text, and reject text that is not JSON', () => {
    expect(ok(JSON.stringify({ version: 1, usage: SNAPSHOT })).entries).toHaveLength(2);
    expect(error('{"version": 1,')).toMatch(/^invalid json: /);
  });

  it('should accept a snapshot without APIs or details', () => {
    expect(ok({ version: 1, usage: {} }).entries).toEqual([]);
    expect(ok({ version: 1, usage: { apis: { k: { models: { m: {} } } } } }).entries).toEqual([]);
  });

  it('should reject unsupported versions and bodies that are not exports', () => {
    expect(error({ version: 2, usage: SNAPSHOT })).toMatch(
      /unsupported version 2: expected 0 or 1/,
    );
    expect(error({ version: '1', usage: SNAPSHOT })).toMatch(/unsupported version "1"/);
    expect(error([SNAPSHOT])).toMatch(/expected a JSON object/);
    expect(error({ version: 1 })).toMatch(/usage is required/);
    expect(error({ version: 1, usage: [] })).toMatch(/usage: expected an object/);
  });

  it('should name the exact place of a bad detail', () => {
    const bad = {
      version: 1,
      usage: {
        apis: { k: { models: { m: { details: [DETAIL, { ...DETAIL, timestamp: 'soon' }] } } } },
      },
    };
    expect(error(bad)).toBe(
      'usage.apis["k"].models["m"].details[1].timestamp: expected an RFC 3339 time such as 2025-01-02T15:04:05.123456789Z, got "soon"',
    );
    expect(
      error({ version: 1, usage: { apis: { k: { models: { m: { details: {} } } } } } }),
    ).toMatch(/details: expected an array/);
    expect(
      error({
        version: 1,
        usage: { apis: { k: { models: { m: { details: [{ ...DETAIL, tokens: 5 }] } } } } },
      }),
    ).toMatch(/details\[0\]\.tokens: expected an object/);
  });
});
