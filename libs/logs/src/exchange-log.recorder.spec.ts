import type { ConfigService } from '@app/config';
import type { ProxyExchange } from '@app/logs/exchange.types';
import type { ErrorLogInput } from '@app/logs/error-log.format';
import { ExchangeLogRecorder, exchangeLogInput } from '@app/logs/exchange-log.recorder';
import type { ErrorLogRecorder } from '@app/logs/error-log.recorder';
import type { RequestDetailRecorder } from '@app/logs/request-detail.recorder';

const failedCall = {
  url: 'http://a.upstream/v1/chat/completions',
  headers: { authorization: 'Bearer sk-up-a' },
  body: '{"model":"a"}',
  streams: false,
};
const lastCall = { ...failedCall, url: 'http://b.upstream/v1/chat/completions' };

function exchange(over: Partial<ProxyExchange> = {}): ProxyExchange {
  return {
    requestId: 'req-7',
    startedAt: Date.UTC(2025, 0, 2, 3, 4, 5),
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: 'Bearer sk-client' },
    body: { model: 'm' },
    status: 200,
    failed: false,
    clientAborted: false,
    ...over,
  };
}

describe(exchangeLogInput.name, () => {
  it('should hand over references, not copies', () => {
    const x = exchange({ upstream: lastCall, upstreamBody: '{"id":1}', responseBody: '{"ok":1}' });
    const sut = exchangeLogInput(x);
    expect(sut.headers).toBe(x.headers);
    expect(sut.requestBody).toBe(x.body);
    expect(sut).toMatchObject({
      requestId: 'req-7',
      method: 'POST',
      path: '/v1/chat/completions',
      responseStatus: 200,
      responseBody: '{"ok":1}',
      upstreamResponseBody: '{"id":1}',
      upstreamRequest: { url: lastCall.url, body: lastCall.body },
      timestamp: new Date(x.startedAt),
      failed: false,
    });
  });

  it('should show the failed call in error logs and the last call in request logs', () => {
    const x = exchange({
      failed: true,
      upstream: lastCall,
      upstreamFailure: { request: failedCall, status: 429, body: 'slow down' },
    });
    expect(exchangeLogInput(x, true).upstreamRequest?.url).toBe(failedCall.url);
    expect(exchangeLogInput(x).upstreamRequest?.url).toBe(lastCall.url);
    expect(exchangeLogInput(x)).toMatchObject({ upstreamStatus: 429, upstreamBody: 'slow down' });
  });

  it('should fall back to the failed call when the last attempt made none', () => {
    const x = exchange({
      upstreamFailure: { request: failedCall, body: '', transportError: 'reset' },
    });
    const sut = exchangeLogInput(x);
    expect(sut.upstreamRequest?.url).toBe(failedCall.url);
    expect(sut.upstreamStatus).toBeUndefined();
    expect(sut.upstreamError).toBe('reset');
  });

  it('should pass scalar bodies as text and leave a missing body out', () => {
    expect(exchangeLogInput(exchange({ body: 42 })).requestBody).toBe('42');
    expect(exchangeLogInput(exchange({ body: undefined })).requestBody).toBeUndefined();
    expect(exchangeLogInput(exchange({ body: null })).requestBody).toBeUndefined();
  });
});

describe(ExchangeLogRecorder.name, () => {
  let requestLog: boolean;
  let errors: ErrorLogInput[];
  let details: ErrorLogInput[];
  let sut: ExchangeLogRecorder;

  beforeEach(() => {
    requestLog = false;
    errors = [];
    details = [];
    const config = {
      get current() {
        return { 'request-log': requestLog };
      },
    } as unknown as ConfigService;
    sut = new ExchangeLogRecorder(
      config,
      { record: (i: ErrorLogInput) => errors.push(i) } as unknown as ErrorLogRecorder,
      { record: (i: ErrorLogInput) => details.push(i) } as unknown as RequestDetailRecorder,
    );
  });

  it('should keep failures as error logs while request-log is off, and nothing else', () => {
    expect(sut.capturesBodies).toBe(false);
    sut.record(exchange());
    sut.record(exchange({ status: 503, failed: true }));
    expect(errors.map((e) => e.responseStatus)).toEqual([503]);
    expect(details).toEqual([]);
  });

  it('should keep every request in the request log, and no error log, while it is on', () => {
    requestLog = true;
    expect(sut.capturesBodies).toBe(true);
    sut.record(exchange());
    sut.record(exchange({ status: 500, failed: true }));
    expect(details.map((e) => e.responseStatus)).toEqual([200, 500]);
    expect(errors).toEqual([]);
  });
});
