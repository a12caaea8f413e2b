import type { UsageRecord } from '@app/proxy/usage.types';
import {
  HASH_LEN,
  SEP,
  cleanLabel,
  decodeMember,
  dedupeHash,
  entryFromRecord,
  normaliseTokens,
  pairId,
} from '@app/usage/usage-entry';
import type { UsageDetail } from '@app/usage/usage-snapshot.types';

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
