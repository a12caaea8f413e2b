import { createHash } from 'node:crypto';
import type { UsageRecord } from '@app/usage/usage-record';
import {
  HASH_LEN,
  SEP,
  cleanLabel,
  decodeMember,
  dedupeHash,
  entryFromRecord,
  entryOf,
  normaliseTokens,
  pairId,
} from '@app/usage/usage-entry';
import type { UsageDetail } from '@app/usage/usage-snapshot.types';
import { parseInstant } from '@app/usage/usage-time';

function detail(over: Partial<UsageDetail> = {}): UsageDetail {
  return {
    timestamp: '2025-05-06T07:08:09.123456789Z',
    latency_ms: 120,
    source: 'dev@example.com',
    auth_index: '3',
    tokens: {
      input_tokens: 10,
      output_tokens: 5,
      reasoning_tokens: 2,
      cached_tokens: 1,
      total_tokens: 15,
    },
    failed: false,
    ...over,
  };
}

function record(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: 'req-1',
    timestamp: '2025-05-06T07:08:09.123456789Z',
    api: 'sk-…abcd',
    clientKeyId: 'k1',
    model: 'gpt-fake',
    upstreamModel: 'gpt-fake',
    provider: 'openai-compatibility',
    source: 'fakeoai',
    authIndex: '0',
    credentialId: 'c0',
    clientFormat: 'openai',
    route: '/v1/chat/completions',
    stream: false,
    status: 200,
    failed: false,
    latencyMs: 42.7,
    attempts: 1,
    tokens: {
      input_tokens: 7,
      output_tokens: 3,
      reasoning_tokens: 0,
      cached_tokens: 0,
      total_tokens: 10,
    },
    ...over,
  };
}

describe(dedupeHash.name, () => {
  const base = dedupeHash('k', 'm', detail());

  it('should ignore latency (CLIProxyAPI de-duplicates without it)', () => {
    expect(dedupeHash('k', 'm', detail({ latency_ms: 99999 }))).toBe(base);
  });

  it('should ignore the request id', () => {
    expect(dedupeHash('k', 'm', detail({ request_id: 'other' }))).toBe(base);
  });

  it('should change with every field of the key', () => {
    const t = detail().tokens;
    const variants = [
      dedupeHash('k2', 'm', detail()),
      dedupeHash('k', 'm2', detail()),
      dedupeHash('k', 'm', detail({ timestamp: '2025-05-06T07:08:09.123456788Z' })),
      dedupeHash('k', 'm', detail({ source: 'other' })),
      dedupeHash('k', 'm', detail({ auth_index: '4' })),
      dedupeHash('k', 'm', detail({ failed: true })),
      dedupeHash('k', 'm', detail({ tokens: { ...t, input_tokens: 11 } })),
      dedupeHash('k', 'm', detail({ tokens: { ...t, output_tokens: 6 } })),
      dedupeHash('k', 'm', detail({ tokens: { ...t, reasoning_tokens: 3 } })),
      dedupeHash('k', 'm', detail({ tokens: { ...t, cached_tokens: 2 } })),
      dedupeHash('k', 'm', detail({ tokens: { ...t, total_tokens: 16 } })),
    ];
    for (const v of variants) expect(v).not.toBe(base);
    expect(new Set(variants).size).toBe(variants.length);
  });

  it('should not confuse fields whose text runs together', () => {
    expect(dedupeHash('ab', 'c', detail())).not.toBe(dedupeHash('a', 'bc', detail()));
  });

  it('should be a fixed-length hex string', () => {
    expect(base).toMatch(new RegExp(`^[0-9a-f]{${HASH_LEN}}$`));
  });
});

/** The stored format, written the plain way: sha1 of the JSON array of the key's fields. */
function referenceHash(api: string, model: string, d: UsageDetail): string {
  const t = d.tokens;
  const key = JSON.stringify([
    api,
    model,
    d.timestamp,
    d.source,
    d.auth_index,
    d.failed,
    t.input_tokens,
    t.output_tokens,
    t.reasoning_tokens,
    t.cached_tokens,
    t.total_tokens,
  ]);
  return createHash('sha1').update(key).digest('hex').slice(0, HASH_LEN);
}

// Labels that JSON has to escape, or encode beyond ASCII.
const AWKWARD = [
  'plain',
  'quo"te',
  'back\\slash',
  'tab\there',
  'sk-…ünï',
  '😀 emoji',
  '\ud800',
  '',
];

describe(`${dedupeHash.name} format`, () => {
  it('should equal sha1 of the JSON key array for awkward labels and large counts', () => {
    for (const [i, text] of AWKWARD.entries()) {
      const d = detail({
        source: text,
        auth_index: AWKWARD[(i + 1) % AWKWARD.length],
        failed: i % 2 === 0,
        tokens: {
          input_tokens: i,
          output_tokens: 2 ** 40 + i,
          reasoning_tokens: 0,
          cached_tokens: 1e21,
          total_tokens: 7,
        },
      });
      const api = AWKWARD[(i + 2) % AWKWARD.length];
      const model = AWKWARD[(i + 3) % AWKWARD.length];
      expect([text, dedupeHash(api, model, d)]).toEqual([text, referenceHash(api, model, d)]);
    }
  });
});

describe(entryOf.name, () => {
  it('should store hash + JSON.stringify(detail), with or without a request id', () => {
    for (const [i, text] of AWKWARD.entries()) {
      // Built in UsageDetail's field order, as the import builds it.
      const d: UsageDetail = {
        timestamp: '2025-05-06T07:08:09.123456789Z',
        latency_ms: i * 1000,
        source: text,
        auth_index: AWKWARD[(i + 4) % AWKWARD.length],
        ...(i % 2 ? { request_id: AWKWARD[(i + 5) % AWKWARD.length] } : {}),
        tokens: { ...detail().tokens, output_tokens: 2 ** 40 + i },
        failed: i % 3 === 0,
      };
      const instant = parseInstant(d.timestamp);
      if (!instant) throw new Error('fixture timestamp must parse');
      const e = entryOf('k', text || 'unknown', instant, d);
      expect(e.member).toBe(referenceHash('k', text || 'unknown', d) + JSON.stringify(d));
      expect(e.hash).toBe(e.member.slice(0, HASH_LEN));
    }
  });
});

describe(pairId.name, () => {
  it('should be the first hash digits of api, separator, model, however often it is asked', () => {
    const want = createHash('sha1')
      .update(`sk-…abcd${SEP}gpt-fake`)
      .digest('hex')
      .slice(0, HASH_LEN);
    expect(pairId('sk-…abcd', 'gpt-fake')).toBe(want);
    expect(pairId('sk-…abcd', 'gpt-fake')).toBe(want);
    expect(pairId('sk-…abc', 'dgpt-fake')).not.toBe(want);
  });

  it('should keep answering the same ids after its memory has been cleared', () => {
    const first = pairId('api-0', 'model-0');
    for (let i = 0; i < 10_050; i++) pairId(`api-${i % 7}`, `model-${i}`);
    expect(pairId('api-0', 'model-0')).toBe(first);
  });
});

describe(normaliseTokens.name, () => {
  it('should fill a missing total from input, output and reasoning', () => {
    expect(
      normaliseTokens({ input_tokens: 4, output_tokens: 3, reasoning_tokens: 2 }).total_tokens,
    ).toBe(9);
  });

  it('should fall back to cached tokens when nothing else is known', () => {
    expect(normaliseTokens({ cached_tokens: 5 }).total_tokens).toBe(5);
  });

  it('should keep a given total and turn junk into zero', () => {
    expect(
      normaliseTokens({
        input_tokens: -3,
        output_tokens: 'x',
        reasoning_tokens: 2.9,
        cached_tokens: '4',
        total_tokens: 20,
      }),
    ).toEqual({
      input_tokens: 0,
      output_tokens: 0,
      reasoning_tokens: 2,
      cached_tokens: 4,
      total_tokens: 20,
    });
    expect(normaliseTokens(undefined).total_tokens).toBe(0);
  });
});

describe(cleanLabel.name, () => {
  it('should replace control characters so hash fields keep their layout', () => {
    expect(cleanLabel(`evil${SEP}model\n`)).toBe('evil?model?');
  });

  it('should name an empty label unknown and cap long ones', () => {
    expect(cleanLabel('  ')).toBe('unknown');
    expect(cleanLabel('m'.repeat(500))).toHaveLength(200);
  });
});

describe(entryFromRecord.name, () => {
  it('should place a record in its UTC day and hour with its totals', () => {
    const e = entryFromRecord(record({ failed: true }));
    expect(e).toMatchObject({
      api: 'sk-…abcd',
      model: 'gpt-fake',
      day: '2025-05-06',
      hour: '07',
      score: Date.UTC(2025, 4, 6, 7, 8, 9, 123),
      totalTokens: 10,
      failed: true,
      pair: pairId('sk-…abcd', 'gpt-fake'),
    });
  });

  it('should store the CLIProxyAPI detail shape in the member, behind the dedupe hash', () => {
    const e = entryFromRecord(record());
    expect(e.member.slice(0, HASH_LEN)).toBe(e.hash);
    expect(decodeMember(e.member)).toEqual({
      timestamp: '2025-05-06T07:08:09.123456789Z',
      latency_ms: 42,
      source: 'fakeoai',
      auth_index: '0',
      request_id: 'req-1',
      tokens: {
        input_tokens: 7,
        output_tokens: 3,
        reasoning_tokens: 0,
        cached_tokens: 0,
        total_tokens: 10,
      },
      failed: false,
    });
  });

  it('should use the current time when the record has an unreadable timestamp', () => {
    const now = Date.UTC(2025, 0, 1, 12);
    const e = entryFromRecord(record({ timestamp: 'garbage' }), now);
    expect(e.score).toBe(now);
    expect(decodeMember(e.member)?.timestamp).toBe('2025-01-01T12:00:00.000000000Z');
  });

  it('should store the detail JSON.stringify would write for the record', () => {
    const rec = record({ source: 'a"b', authIndex: '\\x', failed: true, latencyMs: 3.9 });
    const e = entryFromRecord(rec);
    const d: UsageDetail = {
      timestamp: rec.timestamp,
      latency_ms: 3,
      source: 'a"b',
      auth_index: '\\x',
      request_id: 'req-1',
      tokens: rec.tokens,
      failed: true,
    };
    expect(e.member).toBe(referenceHash('sk-…abcd', 'gpt-fake', d) + JSON.stringify(d));
    const noId = entryFromRecord(record({ requestId: '' }));
    expect(noId.member).not.toContain('request_id');
  });

  it('should give two records of the same request shape distinct members', () => {
    const a = entryFromRecord(record({ requestId: 'a' }));
    const b = entryFromRecord(record({ requestId: 'b' }));
    expect(a.hash).toBe(b.hash);
    expect(a.member).not.toBe(b.member);
  });
});

describe(decodeMember.name, () => {
  it('should ignore members that are not a stored detail', () => {
    expect(decodeMember('0123456789abcdef{not json')).toBeUndefined();
    expect(decodeMember('0123456789abcdef[1,2]')).toBeUndefined();
  });
});
