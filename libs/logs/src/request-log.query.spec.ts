import { AppError, keyId } from '@app/common';
import type { UsageRecord } from '@app/usage';
import { decodeRequestLog, encodeRequestLog } from '@app/logs/request-log.entry';
import {
  DEFAULT_REQUEST_LIMIT,
  MAX_REQUEST_LIMIT,
  isEmptyRequestFilter,
  matchesRequestFilter,
  parseRequestFilter,
  parseRequestQuery,
} from '@app/logs/request-log.query';

const CLIENT_KEY = 'sk-client-0123456789abcdef';

function record(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: 'req-1',
    timestamp: '2025-03-04T05:06:07.123456789Z',
    api: 'sk-…cdef',
    clientKeyId: keyId(CLIENT_KEY),
    model: 'gpt-4o',
    upstreamModel: 'gpt-4o',
    provider: 'openai',
    source: 'o***@example.com',
    authIndex: 'a1b2',
    credentialId: 'cred-1',
    clientFormat: 'openai',
    route: '/v1/chat/completions',
    stream: true,
    status: 200,
    failed: false,
    latencyMs: 123.6,
    attempts: 1,
    tokens: {
      input_tokens: 10,
      output_tokens: 20,
      reasoning_tokens: 3,
      cached_tokens: 4,
      total_tokens: 30,
    },
    ...over,
  };
}

const entryOf = (over: Partial<UsageRecord> = {}) =>
  decodeRequestLog('1741064767123-0', ['j', encodeRequestLog(record(over), 'gateway-2')]);

describe('request log entries', () => {
  it('should keep every field through a stream round trip', () => {
    const got = entryOf({
      status: 502,
      failed: true,
      errorClass: 'upstream_error',
      url: '/v1/chat/completions?beta=true',
      remoteAddr: '10.1.2.3',
    });
    // the supervisor API's fields come first, in its order
    expect(Object.keys(got).slice(0, 8)).toEqual([
      'id',
      'timestamp',
      'method',
      'url',
      'subdomain',
      'status_code',
      'duration_ms',
      'remote_addr',
    ]);
    expect(got).toEqual({
      id: '1741064767123-0',
      timestamp: '2025-03-04T05:06:07.123456789Z',
      method: 'POST',
      url: '/v1/chat/completions?beta=true',
      subdomain: 'openai',
      status_code: 502,
      duration_ms: 124,
      remote_addr: '10.1.2.3',
      request_id: 'req-1',
      route: '/v1/chat/completions',
      model: 'gpt-4o',
      auth_index: 'a1b2',
      key: 'sk-…cdef',
      key_id: keyId(CLIENT_KEY),
      process: 'gateway-2',
      stream: true,
      failed: true,
      error_class: 'upstream_error',
      tokens: {
        input_tokens: 10,
        output_tokens: 20,
        reasoning_tokens: 3,
        cached_tokens: 4,
        total_tokens: 30,
      },
      source: 'o***@example.com',
      attempts: [],
      error_message: '',
    });
    expect(entryOf().error_class).toBeNull();
  });

  it('should keep the attempt chain of a failed request, secrets masked and messages capped', () => {
    const got = entryOf({
      status: 429,
      failed: true,
      errorClass: 'rate_limit_error',
      errorMessage: 'quota exceeded for key sk-live-0123456789abcdefghij',
      trail: [
        {
          kind: 'attempt',
          authIndex: 'a1',
          source: 'a@example.com',
          provider: 'claude',
          status: 429,
          message: 'x'.repeat(400),
          errorType: 'rate_limit_error',
          durationMs: 12.4,
        },
        { kind: 'wait', seconds: 2 },
        {
          kind: 'attempt',
          authIndex: 'b2',
          source: 'b@example.com',
          provider: 'claude',
          status: 0,
          message: 'connection reset',
          errorType: 'api_error',
          durationMs: 3,
        },
      ],
    });
    expect(got.attempts).toEqual([
      {
        auth_index: 'a1',
        source: 'a@example.com',
        provider: 'claude',
        status: 429,
        message: `${'x'.repeat(300)}…`,
        error_type: 'rate_limit_error',
        duration_ms: 12,
      },
      { wait_seconds: 2 },
      {
        auth_index: 'b2',
        source: 'b@example.com',
        provider: 'claude',
        status: 0,
        message: 'connection reset',
        error_type: 'api_error',
        duration_ms: 3,
      },
    ]);
    expect(got.error_message).toContain('quota exceeded for key');
    expect(got.error_message).not.toContain('0123456789abcdefghij');
  });

  it('should leave out the chain of a clean first-try success', () => {
    const trail = [
      {
        kind: 'attempt' as const,
        authIndex: 'a1',
        source: 'a',
        provider: 'claude',
        status: 200,
        durationMs: 5,
      },
    ];
    expect(entryOf({ trail }).attempts).toEqual([]);
    expect(entryOf({ trail: [...trail, ...trail] }).attempts).toHaveLength(2);
  });

  it('should show the route as the url of entries written before urls were recorded', () => {
    const old = JSON.stringify(JSON.parse(encodeRequestLog(record(), 'g')).slice(0, 21));
    const e = decodeRequestLog('1741064767123-0', ['j', old]);
    expect(e.url).toBe('/v1/chat/completions');
    expect(e.remote_addr).toBe('');
  });

  it('should never store the raw client key', () => {
    expect(encodeRequestLog(record(), 'g')).not.toContain(CLIENT_KEY);
  });
});

describe(parseRequestQuery.name, () => {
  it('should default the limit to 100 and cap it at 1000', () => {
    expect(parseRequestQuery({}).limit).toBe(DEFAULT_REQUEST_LIMIT);
    expect(parseRequestQuery({ limit: '5000' }).limit).toBe(MAX_REQUEST_LIMIT);
    expect(() => parseRequestQuery({ limit: 'all' })).toThrow(AppError);
    expect(() => parseRequestQuery({ min_status: 'x' })).toThrow(AppError);
  });

  it('should know an empty filter', () => {
    expect(isEmptyRequestFilter(parseRequestFilter({ limit: '3' }))).toBe(true);
    expect(isEmptyRequestFilter(parseRequestFilter({ model: 'm' }))).toBe(false);
  });
});

describe(matchesRequestFilter.name, () => {
  const ok = entryOf();
  const failed = entryOf({ status: 503, failed: true, provider: 'Claude', model: 'claude-x' });
  const f = (q: Record<string, string>) => parseRequestFilter(q);

  it('should filter by the provider the request was routed to (subdomain)', () => {
    expect(matchesRequestFilter(ok, f({ subdomain: 'OpenAI' }))).toBe(true);
    expect(matchesRequestFilter(failed, f({ subdomain: 'openai' }))).toBe(false);
    expect(matchesRequestFilter(failed, f({ subdomain: 'claude' }))).toBe(true);
  });

  it('should filter by status range, method and model', () => {
    expect(matchesRequestFilter(ok, f({ min_status: '500' }))).toBe(false);
    expect(matchesRequestFilter(failed, f({ min_status: '500' }))).toBe(true);
    expect(matchesRequestFilter(failed, f({ min_status: '400', max_status: '499' }))).toBe(false);
    expect(matchesRequestFilter(ok, f({ method: 'post' }))).toBe(true);
    expect(matchesRequestFilter(ok, f({ method: 'GET' }))).toBe(false);
    expect(matchesRequestFilter(ok, f({ model: 'gpt-4o' }))).toBe(true);
    expect(matchesRequestFilter(ok, f({ model: 'gpt-4' }))).toBe(false);
  });

  it('should match a key given raw, as its id, or masked as listed', () => {
    expect(matchesRequestFilter(ok, f({ key: CLIENT_KEY }))).toBe(true);
    expect(matchesRequestFilter(ok, f({ key: keyId(CLIENT_KEY) }))).toBe(true);
    expect(matchesRequestFilter(ok, f({ key: 'sk-…cdef' }))).toBe(true);
    expect(matchesRequestFilter(ok, f({ key: 'sk-other-key-000000000' }))).toBe(false);
  });
});
