import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { onAbort as onAbortOf, type AbortSource } from '@app/upstream';
import {
  RelayType,
  relayData,
  relayError,
  relayHead,
  type RelayMessage,
} from '@app/proxy/relay/relay.protocol';

/** A relayed answer, shaped like the parts of undici's response the proxy reads. */
export interface RelayResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: RelayBody;
}

/**
 * The proxy reads an upstream answer as undici's ResponseData: `statusCode`, `headers`, and a
 * body it iterates, reads with `text()` and destroys. A RelayResponse has exactly those members.
 */
export function asUndiciResponse(r: RelayResponse): Dispatcher.ResponseData {
  return r as unknown as Dispatcher.ResponseData;
}

/** A relay failure carrying undici's error codes, so the proxy classifies it like HTTP ones. */
export class RelayError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

/**
 * The body of a relayed answer: chunks are pushed as frames arrive (there is no way to slow a
 * browser over the relay, so no backpressure beyond the socket's). Reads like undici's body:
 * async iteration, `text()`, `destroy()`.
 */
export class RelayBody extends Readable {
  constructor(private readonly onDestroy: () => void) {
    super();
  }

  override _read(): void {
    // Frames are pushed when they arrive.
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.onDestroy();
    callback(err);
  }

  /** The whole body as text. */
  async text(): Promise<string> {
    const parts: string[] = [];
    for await (const chunk of this) parts.push(String(chunk));
    return parts.join('');
  }
}

const IDLE_MESSAGE = 'the relay stream went silent';

/** How an exchange ended, for whoever routes its frames. */
export type ExchangeEnd = 'done' | 'cancelled';

/** Options of one relayed call. */
export interface RelayExchangeOptions {
  /** Aborted when the client leaves. */
  signal?: AbortSource;
  /** Time allowed until the first frame (upstream-timeouts.header-seconds). */
  headersTimeoutMs: number;
  /** Silence allowed inside a streamed body (upstream-timeouts.idle-seconds). */
  idleTimeoutMs: number;
  /** Called once when the exchange is over; `cancelled` means the far side should stop. */
  onEnd: (how: ExchangeEnd) => void;
}

/**
 * One call over the relay, seen from the side that asked: frames in, an HTTP-like response out.
 * `http_response` gives a whole body; `stream_start` opens a body that `stream_chunk` frames
 * feed and `stream_end` closes; an `error` before the head becomes a failed response when it
 * names an HTTP status, a transport error otherwise, and after the head it breaks the body.
 */
export class RelayExchange {
  /** Settles with the response head (or the failure before it). */
  readonly response: Promise<RelayResponse>;
  private resolve!: (r: RelayResponse) => void;
  private reject!: (err: Error) => void;
  private body: RelayBody | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private readonly offAbort: (() => void) | undefined;

  constructor(private readonly opts: RelayExchangeOptions) {
    this.response = new Promise<RelayResponse>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // The caller awaits `response`; a rejection after it stopped listening must not go unhandled.
    this.response.catch(() => undefined);
    this.arm(opts.headersTimeoutMs, 'UND_ERR_HEADERS_TIMEOUT', 'no answer from the relay');
    const signal = opts.signal;
    if (signal) {
      const onAbort = (): void =>
        this.fail(new RelayError('client aborted', 'ABORT_ERR'), 'cancelled');
      if (signal.aborted) queueMicrotask(onAbort);
      else {
        this.offAbort = onAbortOf(signal, onAbort);
      }
    }
  }

  /** True once the exchange is over. */
  get done(): boolean {
    return this.ended;
  }

  /** Feed one frame addressed to this exchange. */
  deliver(msg: RelayMessage): void {
    if (this.ended) return;
    switch (msg.type) {
      case RelayType.HttpResponse: {
        const head = relayHead(msg.payload);
        const body = this.open(head.status, head.headers);
        const text = relayData(msg.payload, 'body');
        if (text) body.push(text);
        body.push(null);
        this.finish('done');
        return;
      }
      case RelayType.StreamStart: {
        const head = relayHead(msg.payload);
        this.open(head.status, head.headers);
        return;
      }
      case RelayType.StreamChunk: {
        // A chunk without a start opens a 200 stream (as CLIProxyAPI accepts).
        const body = this.body ?? this.open(200, {});
        const data = relayData(msg.payload, 'data');
        if (data) body.push(data);
        this.arm(this.opts.idleTimeoutMs, 'UND_ERR_BODY_TIMEOUT', IDLE_MESSAGE);
        return;
      }
      case RelayType.StreamEnd: {
        (this.body ?? this.open(200, {})).push(null);
        this.finish('done');
        return;
      }
      case RelayType.Error: {
        const e = relayError(msg.payload);
        if (!this.body && e.status !== undefined) {
          // An upstream HTTP error the app saw: relay it as that status, in Gemini's shape.
          const body = this.open(e.status, { 'content-type': 'application/json' });
          body.push(JSON.stringify({ error: { code: e.status, message: e.message } }));
          body.push(null);
          this.finish('done');
          return;
        }
        this.fail(new RelayError(e.message, 'RELAY_ERROR'), 'done');
        return;
      }
      default:
        return;
    }
  }

  /** End the exchange with a transport failure (connection gone, replica gone, timeout). */
  fail(err: Error, how: ExchangeEnd = 'cancelled'): void {
    if (this.ended) return;
    // Finish first: destroying the body reports back through its destroy hook.
    this.finish(how);
    if (this.body) this.body.destroy(err);
    else this.reject(err);
  }

  private open(status: number, headers: Record<string, string | string[]>): RelayBody {
    if (this.body) return this.body;
    const body = new RelayBody(() => {
      if (!this.ended) this.finish('cancelled');
    });
    this.body = body;
    this.resolve({ statusCode: status, headers, body });
    this.arm(this.opts.idleTimeoutMs, 'UND_ERR_BODY_TIMEOUT', IDLE_MESSAGE);
    return body;
  }

  private arm(ms: number, code: string, message: string): void {
    if (this.timer) clearTimeout(this.timer);
    if (ms <= 0) return;
    this.timer = setTimeout(() => this.fail(new RelayError(message, code)), ms);
    this.timer.unref();
  }

  private finish(how: ExchangeEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.offAbort?.();
    this.opts.onEnd(how);
  }
}
