import { formatErrorLog } from '@app/logs';
import {
  isAccountId,
  isErrorLogName,
  summarizeErrorLog,
} from '@app/management/control/error-log-summary';

const BASE = {
  requestId: 'req-1',
  method: 'POST',
  path: '/v1/chat/completions',
  headers: { 'content-type': 'application/json' },
};

describe(summarizeErrorLog.name, () => {
  it('should take the client status under RESPONSE and the model of the request body', () => {
    const text = formatErrorLog({
      ...BASE,
      requestBody: { model: 'claude-sonnet-4', messages: [] },
      upstreamRequest: { url: 'https://up.example/v1/messages', body: { model: 'claude-up' } },
      upstreamStatus: 429,
      upstreamBody: '{"error":{"message":"Status: 999"}}',
      responseStatus: 503,
      responseBody: '{"error":{"model":"not-this-one"}}',
    });
    expect(summarizeErrorLog(text)).toEqual({ statusCode: 503, model: 'claude-sonnet-4' });
  });

  it('should read the model from a Gemini-style URL when the body has none', () => {
    const text = formatErrorLog({
      ...BASE,
      path: '/v1beta/models/gemini-2.5-pro:generateContent?key=secret',
      requestBody: { contents: [] },
      responseStatus: 400,
    });
    expect(summarizeErrorLog(text)).toEqual({ statusCode: 400, model: 'gemini-2.5-pro' });
  });

  it("should fall back to the upstream's HTTP Status line", () => {
    expect(summarizeErrorLog('=== API ERROR RESPONSE ===\nHTTP Status: 502\nboom\n')).toEqual({
      statusCode: 502,
    });
    expect(summarizeErrorLog('garbage')).toEqual({});
  });
});

describe(isErrorLogName.name, () => {
  it('should accept the names the error-log recorder writes', () => {
    expect(isErrorLogName('error-2025-01-02T15-04-05.123Z-req_1.log')).toBe(true);
  });

  it.each([
    'error-../x.log',
    'error-..log',
    '../error-x.log',
    'error-a/b.log',
    'error-a\\b.log',
    'error-a\u0000.log',
    '/etc/passwd',
    'error-x.txt',
    'request-x.log',
    `error-${'a'.repeat(300)}.log`,
    '',
  ])('should refuse %j', (name) => {
    expect(isErrorLogName(name)).toBe(false);
  });
});

describe(isAccountId.name, () => {
  it('should accept emails and ids and refuse traversal', () => {
    expect(isAccountId('dev@example.com')).toBe(true);
    expect(isAccountId('acct_123')).toBe(true);
    for (const id of ['', '..', 'a/b', 'a\\b', 'a\u0000', 'x'.repeat(257), 3]) {
      expect(isAccountId(id)).toBe(false);
    }
  });
});
