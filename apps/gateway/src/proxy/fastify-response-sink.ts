import type { FastifyReply } from 'fastify';
import type { JsonBody, ResponseSink } from '@app/proxy';
import { AbortEmitter } from '@app/upstream';

/**
 * The pipeline's response sink over a Fastify reply: answers once (JSON through Fastify, a
 * stream written to the socket after hijacking the reply), knows whether the status line already
 * went out, and aborts `signal` the moment the client disconnects so the upstream call is
 * cancelled at once.
 */
export class FastifyResponseSink implements ResponseSink {
  /** Aborted when the client goes away before the response is complete (an emitter: cheap). */
  readonly signal = new AbortEmitter();
  private opened = false;
  /** Something was written after the headers (they went out with it). */
  private wrote = false;
  private keepalive: NodeJS.Timeout | undefined;
  /** Status the client got (0 until something went out); read by the request and error logs. */
  status = 0;
  /** The JSON text last sent (a reference, for the logs). */
  sentBody: string | undefined;
  /** Headers set by this class: a stream's, or the extra ones of a JSON answer (Retry-After…). */
  sentHeaders: Readonly<Record<string, string>> | undefined;
  /**
   * When the answer was complete (ms since the epoch), taken just before its last bytes are
   * written: the request's finish time in usage and the request log. Taken after the write, a
   * client's next request could finish on another replica first and the log would list the two
   * out of order.
   */
  endedAt: number | undefined;
  /** Upstream headers forwarded with the answer (`passthrough-headers`), latest attempt's. */
  private forwarded: Readonly<Record<string, string>> | undefined;

  constructor(private readonly reply: FastifyReply) {
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) this.signal.abort();
    });
  }

  /** Forward these upstream headers with whatever answer goes out (replaces earlier ones). */
  passThrough(headers: Readonly<Record<string, string>> | undefined): void {
    this.forwarded = headers;
  }

  /** True once the client went away. */
  get gone(): boolean {
    return this.signal.aborted || this.reply.raw.destroyed;
  }

  /** True once a status line was sent (a stream, or a non-stream keep-alive committed 200). */
  get committed(): boolean {
    return this.opened || this.reply.sent || this.reply.raw.headersSent;
  }

  /**
   * CLIProxyAPI's `nonstream-keepalive-interval`: while a non-stream answer is pending, send a
   * blank line every `intervalMs` (JSON parsers skip leading whitespace) so idle timeouts in
   * between do not cut the request. The first one commits status 200.
   */
  startJsonKeepalive(intervalMs: number): void {
    if (intervalMs <= 0 || this.keepalive) return;
    this.keepalive = setInterval(() => {
      if (this.gone || this.reply.raw.writableEnded) return this.stopKeepalive();
      if (!this.opened) this.open(200, { 'content-type': 'application/json' });
      this.wrote = true;
      this.reply.raw.write('\n');
    }, intervalMs);
    this.keepalive.unref();
  }

  /** Stop non-stream keep-alives (before the answer is written). */
  stopKeepalive(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = undefined;
  }

  /**
   * Answer with a JSON body. Once a keep-alive committed the status, only the body can still
   * go out (as CLIProxyAPI does): the status stays 200.
   */
  sendJson(status: number, body: JsonBody, headers?: Readonly<Record<string, string>>): void {
    this.stopKeepalive();
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    if (this.opened) {
      this.endedAt ??= Date.now();
      if (!this.reply.raw.writableEnded) this.reply.raw.end(text);
      this.sentBody = text;
      return;
    }
    if (this.reply.sent || this.gone) return;
    this.status = status;
    this.sentBody = text;
    this.sentHeaders = headers;
    this.endedAt = Date.now();
    void this.reply
      .status(status)
      .headers(this.forwarded ? { ...this.forwarded, ...headers } : (headers ?? {}))
      .header('content-type', 'application/json')
      .send(text);
  }

  /** Send the headers of a stream (200, no caching, no proxy buffering). */
  openStream(contentType: string): void {
    this.stopKeepalive();
    this.open(200, {
      'content-type': contentType,
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
  }

  /** Write a chunk of an open response; false means "wait for drain". */
  write(chunk: string): boolean {
    this.wrote = true;
    return this.reply.raw.write(chunk);
  }

  /** Resolves when the socket can take more, or when it closed. */
  waitDrain(): Promise<void> {
    const raw = this.reply.raw;
    return new Promise<void>((resolve) => {
      if (raw.destroyed) return resolve();
      const done = (): void => {
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      raw.once('drain', done);
      raw.once('close', done);
    });
  }

  /** Finish an open response (idempotent). */
  end(): void {
    this.stopKeepalive();
    if (this.opened && !this.reply.raw.writableEnded) {
      this.endedAt ??= Date.now();
      this.reply.raw.end();
    }
  }

  private open(status: number, headers: Record<string, string>): void {
    if (this.opened) return;
    this.opened = true;
    this.status = status;
    this.sentHeaders = headers;
    // Fastify must stop managing the response once raw writes begin.
    this.reply.hijack();
    const raw = this.reply.raw;
    raw.writeHead(status, {
      ...this.forwarded,
      ...headers,
      'x-request-id': String(this.reply.request.id),
    });
    // The headers go out with the first chunk when it is written right away (one socket write
    // instead of two), and on their own at the end of this turn when it is not (a stream opened
    // before the upstream's first byte, so the client sees the status at once).
    queueMicrotask(() => {
      if (!this.wrote && !raw.writableEnded && !raw.destroyed) raw.flushHeaders();
    });
  }
}
