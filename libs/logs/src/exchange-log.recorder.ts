import { Injectable } from '@nestjs/common';
import { ConfigService } from '@app/config';
import type { ExchangeRecorder, ProxyExchange } from '@app/logs/exchange.types';
import type { ErrorLogInput, LogBody } from '@app/logs/error-log.format';
import { ErrorLogRecorder } from '@app/logs/error-log.recorder';
import { RequestDetailRecorder } from '@app/logs/request-detail.recorder';

/** A parsed client body as a loggable body (undefined when there was none). */
function logBodyOf(body: unknown): LogBody | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (typeof body === 'object') return body as Readonly<Record<string, unknown>>;
  // JSON scalars (a bare number or boolean body)
  return typeof body === 'number' || typeof body === 'boolean' ? String(body) : undefined;
}

/**
 * A proxied exchange as the log formatter takes it. Only references are copied: bodies are
 * serialised, capped and masked later, when the log is formatted off the request path.
 * The API REQUEST section shows the last call made, or with `showFailedCall` (error logs) the
 * call whose error is shown, which differs when a later credential succeeded.
 */
export function exchangeLogInput(x: ProxyExchange, showFailedCall = false): ErrorLogInput {
  const failure = x.upstreamFailure;
  const up = showFailedCall ? (failure?.request ?? x.upstream) : (x.upstream ?? failure?.request);
  return {
    requestId: x.requestId,
    method: x.method,
    path: x.url,
    headers: x.headers,
    requestBody: logBodyOf(x.body),
    upstreamRequest: up && { url: up.url, headers: up.headers, body: up.body },
    upstreamStatus: failure?.status,
    upstreamBody: failure?.body,
    upstreamError: failure?.transportError,
    upstreamResponseBody: x.upstreamBody,
    responseStatus: x.status,
    responseHeaders: x.responseHeaders,
    responseBody: x.responseBody,
    timestamp: new Date(x.startedAt),
    failed: x.failed,
  };
}

/**
 * The proxy's exchange port (ExchangeRecorder): with `request-log: true` every request goes to
 * the full request log; otherwise failed requests become error logs, as CLIProxyAPI does (it
 * writes error logs only while the request log is off).
 */
@Injectable()
export class ExchangeLogRecorder implements ExchangeRecorder {
  constructor(
    private readonly config: ConfigService,
    private readonly errors: ErrorLogRecorder,
    private readonly details: RequestDetailRecorder,
  ) {}

  get capturesBodies(): boolean {
    return this.config.current['request-log'];
  }

  record(x: ProxyExchange): void {
    if (this.config.current['request-log']) this.details.record(exchangeLogInput(x));
    else if (x.failed) this.errors.record(exchangeLogInput(x, true));
  }
}
