import type { AbortSource } from '@app/upstream';

/** A JSON body: already serialised text, or an object to serialise. */
export type JsonBody = string | Record<string, unknown>;

/**
 * The client side of one proxied request, as the pipeline answers it: once, with JSON or a
 * stream. The route layer adapts its HTTP response to it (apps/gateway/src/proxy); specs use one
 * in memory, so the pipeline runs without a server.
 */
export interface ResponseSink {
  /**
   * Aborted the moment the client goes away before the answer is complete; the upstream call
   * takes it as its signal, so it is cancelled at once.
   */
  readonly signal: AbortSource;
  /** True once the client went away. */
  readonly gone: boolean;
  /** True once a status line was sent (a stream, or a non-stream keep-alive committed 200). */
  readonly committed: boolean;
  /** Status the client got (0 until something went out); read by the request and error logs. */
  readonly status: number;
  /** The JSON text last sent (a reference, for the logs). */
  readonly sentBody: string | undefined;
  /** Headers the pipeline set: a stream's, or the extra ones of a JSON answer (Retry-After…). */
  readonly sentHeaders: Readonly<Record<string, string>> | undefined;
  /**
   * When the answer was complete (ms since the epoch), taken just before its last bytes are
   * written: the request's finish time in usage and the request log.
   */
  readonly endedAt: number | undefined;
  /** Forward these upstream headers with whatever answer goes out (replaces earlier ones). */
  passThrough(headers: Readonly<Record<string, string>> | undefined): void;
  /**
   * CLIProxyAPI's `nonstream-keepalive-interval`: while a non-stream answer is pending, a blank
   * line every `intervalMs` (JSON parsers skip leading whitespace); the first commits 200.
   */
  startJsonKeepalive(intervalMs: number): void;
  /** Stop non-stream keep-alives (before the answer is written). */
  stopKeepalive(): void;
  /**
   * Answer with a JSON body. Once a keep-alive committed the status, only the body can still go
   * out (as CLIProxyAPI does): the status stays 200.
   */
  sendJson(status: number, body: JsonBody, headers?: Readonly<Record<string, string>>): void;
  /** Send the headers of a stream (200, no caching, no proxy buffering). */
  openStream(contentType: string): void;
  /** Write a chunk of an open stream; false means "wait for drain". */
  write(chunk: string): boolean;
  /** Resolves when the client can take more, or when it went away. */
  waitDrain(): Promise<void>;
  /** Finish an open stream (idempotent). */
  end(): void;
}
