import {
  MAX_LOG_BODY_CHARS,
  bodyText,
  errorLogName,
  errorLogTime,
  formatErrorLog,
  requestLogName,
  type ErrorLogInput,
} from '@app/logs/error-log.format';
import { isFailedRequest } from '@app/logs/error-log.recorder';
import { ErrorLogRepository } from '@app/logs/error-log.repository';

const AT = new Date('2025-06-07T08:09:10.123Z');

function input(over: Partial<ErrorLogInput> = {}): ErrorLogInput {
  return {
    requestId: 'req-42',
    method: 'POST',
    path: '/v1/chat/completions',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk-client-secret-0123456789',
    },
    requestBody: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
    upstreamRequest: {
      url: 'https://api.example.com/v1/chat/completions',
      headers: { authorization: 'Bearer sk-upstream-secret-9876543210' },
      body: '{"model":"gpt-4o"}',
    },
    upstreamStatus: 429,
    upstreamBody: '{"error":{"message":"rate limited"}}',
    responseStatus: 429,
    responseBody: '{"error":{"message":"rate limited","type":"rate_limit_error"}}',
    timestamp: AT,
    version: '1.2.3',
    ...over,
  };
}

describe(formatErrorLog.name, () => {
  it("should lay out CLIProxyAPI's sections in order", () => {
    const text = formatErrorLog(input());
    const order = [
      '=== REQUEST INFO ===',
      '=== HEADERS ===',
      '=== REQUEST BODY ===',
      '=== API REQUEST ===',
      '=== API ERROR RESPONSE ===',
      '=== RESPONSE ===',
    ].map((h) => text.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toContain('Version: 1.2.3\nURL: /v1/chat/completions\nMethod: POST\n');
    expect(text).toContain(`Timestamp: ${AT.toISOString()}`);
    expect(text).toContain(
      '=== API ERROR RESPONSE ===\nHTTP Status: 429\n{"error":{"message":"rate limited"}}',
    );
    expect(text).toContain('=== RESPONSE ===\nStatus: 429\n');
    expect(text).toContain('"content":"hi"');
    // sections are separated by blank lines, as in CLIProxyAPI's files
    expect(text).toMatch(/\n\n=== HEADERS ===/);
  });

  it('should mask client and upstream credentials everywhere', () => {
    const text = formatErrorLog(
      input({
        path: '/v1beta/models/x:generateContent?key=AIzaSyA1234567890abcdefghijklmnopqrstu',
      }),
    );
    expect(text).not.toContain('sk-client-secret-0123456789');
    expect(text).not.toContain('sk-upstream-secret-9876543210');
    expect(text).not.toContain('AIzaSyA1234567890abcdefghijklmnopqrstu');
    expect(text).toContain('authorization: Bearer sk-…6789');
  });

  it('should leave out the upstream sections when no upstream call was made', () => {
    const text = formatErrorLog(
      input({ upstreamRequest: undefined, upstreamStatus: undefined, upstreamBody: undefined }),
    );
    expect(text).not.toContain('=== API REQUEST ===');
    expect(text).not.toContain('=== API ERROR RESPONSE ===');
  });

  it("should add the upstream's successful answer as API RESPONSE, before RESPONSE", () => {
    const text = formatErrorLog(
      input({
        upstreamStatus: undefined,
        upstreamBody: undefined,
        upstreamResponseBody: '{"id":"c1","choices":[]}',
        responseStatus: 200,
      }),
    );
    expect(text).not.toContain('=== API ERROR RESPONSE ===');
    expect(text).toContain('=== API RESPONSE ===\n{"id":"c1","choices":[]}\n\n\n=== RESPONSE ===');
  });

  it('should show a network failure as an API error with status 0', () => {
    const text = formatErrorLog(input({ upstreamStatus: undefined, upstreamError: 'ECONNRESET' }));
    expect(text).toContain('=== API ERROR RESPONSE ===\nHTTP Status: 0\nECONNRESET');
  });
});

describe(bodyText.name, () => {
  it('should decode bytes, serialise JSON and cut long bodies', () => {
    expect(bodyText(new TextEncoder().encode('{"a":1}'))).toBe('{"a":1}');
    expect(bodyText({ a: [1, 2] })).toBe('{"a":[1,2]}');
    const long = bodyText('x'.repeat(MAX_LOG_BODY_CHARS + 10));
    expect(long.length).toBeLessThan(MAX_LOG_BODY_CHARS + 100);
    expect(long).toContain('10 more characters cut');
  });
});

describe('error log names', () => {
  it('should be error-<ISO time>-<id>.log with a file-safe time, and give the time back', () => {
    const name = errorLogName('req/../42', AT);
    expect(name).toBe('error-2025-06-07T08-09-10.123Z-req____42.log');
    expect(ErrorLogRepository.isValidName(name)).toBe(true);
    expect(errorLogTime(name)).toBe(AT.getTime());
    expect(errorLogTime('main.log')).toBeUndefined();
    expect(requestLogName('req-42', AT)).toBe('request-2025-06-07T08-09-10.123Z-req-42.log');
  });

  it('should count only failures', () => {
    expect(isFailedRequest(input({ responseStatus: 200, upstreamStatus: undefined }))).toBe(false);
    expect(isFailedRequest(input({ responseStatus: 200, upstreamStatus: 500 }))).toBe(true);
    expect(isFailedRequest(input({ responseStatus: 400, upstreamStatus: undefined }))).toBe(true);
    expect(
      isFailedRequest(
        input({ responseStatus: 200, upstreamStatus: undefined, upstreamError: 'x' }),
      ),
    ).toBe(true);
    // the caller knows better: a stream cut after its 200, or a client that only went away
    expect(
      isFailedRequest(input({ responseStatus: 200, upstreamStatus: undefined, failed: true })),
    ).toBe(true);
    expect(isFailedRequest(input({ responseStatus: 499, failed: false }))).toBe(false);
  });
});
