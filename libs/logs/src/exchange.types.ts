import type { UpstreamRequest } from '@app/upstream';

/** Request headers as Node hands them over (`IncomingHttpHeaders`). */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** The last upstream attempt that failed: what was sent and what came back. */
export interface FailedUpstreamAttempt {
  /** The call as it was sent (URL, headers, body). */
  request: UpstreamRequest;
  /** HTTP status the upstream answered with; undefined for a transport failure. */
  status?: number;
  /** The upstream's error body ('' when there was none). */
  body: string;
  /** Network-level failure (reset, timeout) when there is no HTTP status. */
  transportError?: string;
}

/**
 * One finished proxied request as the request and error logs see it. Every field is a
 * reference to what the proxy already holds (nothing is copied or serialised on the request
 * path); the recorder formats it later, so the proxy must not mutate it afterwards.
 */
export interface ProxyExchange {
  /** The gateway's request id (`x-request-id`). */
  requestId: string;
  /** When the request arrived (ms since epoch). */
  startedAt: number;
  method: string;
  /** Path and query as the client sent them (secrets masked when formatted). */
  url: string;
  headers: RequestHeaders;
  /** The parsed client body (undefined when it could not be parsed). */
  body: unknown;
  /** The last upstream call made, when one was made. */
  upstream?: UpstreamRequest;
  /** The last upstream call that failed, also when a later credential succeeded. */
  upstreamFailure?: FailedUpstreamAttempt;
  /** The upstream's successful answer (kept only while bodies are captured). */
  upstreamBody?: string;
  /** Status the client got (200 once a stream or keep-alive started; 0 when nothing went out). */
  status: number;
  responseHeaders?: Readonly<Record<string, string>>;
  /** What the client got: the JSON text, an object to serialise, or the captured stream. */
  responseBody?: string | Readonly<Record<string, unknown>>;
  /** The request failed (status ≥ 400, an upstream error, or a stream cut by the upstream). */
  failed: boolean;
  /** The client went away before the answer was complete. */
  clientAborted: boolean;
}

/**
 * Where finished exchanges go (the request-body log and the error logs, libs/logs). `record` is
 * called on the request path and must only queue: no formatting, no I/O, never a throw.
 */
export abstract class ExchangeRecorder {
  /**
   * True while every exchange is wanted with its bodies (`request-log: true`): the proxy then
   * also keeps successful upstream bodies and a copy of streamed output. Otherwise only failed
   * exchanges are recorded, from references the proxy holds anyway.
   */
  abstract get capturesBodies(): boolean;

  /** Queue one finished exchange. */
  abstract record(exchange: ProxyExchange): void;
}
