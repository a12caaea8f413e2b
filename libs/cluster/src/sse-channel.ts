import type { OutgoingHttpHeaders } from 'node:http';

/** The part of `http.ServerResponse` an SSE channel writes to (tests pass a fake). */
export interface SseSink {
  readonly writableLength: number;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  writeHead(status: number, headers: OutgoingHttpHeaders): unknown;
  write(chunk: string): boolean;
  end(): unknown;
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** Backpressure and keep-alive settings of an SSE channel. */
export interface SseOptions {
  /** Comment heartbeat interval (`: ping`). */
  heartbeatMs: number;
  /** Bytes queued in the socket beyond which events are dropped for this client. */
  highWaterBytes: number;
  /** A client that stays over the high-water mark this long is disconnected. */
  slowLimitMs: number;
  /** An event was dropped for this client. */
  onDrop?: () => void;
  /** The client was cut off for being too slow. */
  onSlowDisconnect?: () => void;
}

export const DEFAULT_SSE_OPTIONS: Readonly<SseOptions> = {
  heartbeatMs: 15_000,
  highWaterBytes: 256 * 1024,
  slowLimitMs: 30_000,
};

/** The first frame of the request stream: a named event a client can wait for. */
export const CONNECTED_EVENT = 'event: connected\ndata: {}\n\n';
/** The first frame of the log stream: a comment, so every `data:` frame is a log line. */
export const CONNECTED_COMMENT = ': connected\n\n';

/**
 * One server-sent-events client. The first frame says the stream is live (a `connected` event
 * or comment, as the route wants); a comment heartbeat keeps proxies from closing an idle stream. A slow client never makes memory grow:
 * while its socket buffer is over the high-water mark, events for it are dropped (counted), and
 * a client that stays there too long is disconnected.
 */
export class SseChannel {
  private readonly opts: SseOptions;
  private heartbeat: NodeJS.Timeout | undefined;
  private slowSince: number | undefined;
  private closed = false;
  private readonly onCloseHandlers: (() => void)[] = [];
  /** Events dropped for this client. */
  dropped = 0;
  /** Events sent. */
  sent = 0;

  constructor(
    private readonly sink: SseSink,
    options: Partial<SseOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SSE_OPTIONS, ...options };
    sink.once('close', () => this.finish());
  }

  /** True once the client left or the channel was closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Send the headers and the first frame, and start the heartbeat. */
  open(greeting: string = CONNECTED_EVENT): void {
    this.sink.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies would otherwise buffer the stream
      'x-accel-buffering': 'no',
    });
    this.sink.write(greeting);
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Send one frame of JSON data, named when `event` is given (unnamed frames are `message`
   * events to EventSource); false when it was dropped or the channel is closed.
   */
  send(data: unknown, event?: string): boolean {
    const name = event ? `event: ${event}\n` : '';
    return this.write(`${name}data: ${JSON.stringify(data)}\n\n`);
  }

  /** Run `fn` when the channel closes (client left, slow, or closed here). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.onCloseHandlers.push(fn);
  }

  /** End the stream cleanly. */
  close(): void {
    if (this.closed) return;
    if (!this.sink.writableEnded && !this.sink.destroyed) this.sink.end();
    this.finish();
  }

  private write(frame: string): boolean {
    if (this.closed || this.sink.writableEnded || this.sink.destroyed) return false;
    if (this.sink.writableLength > this.opts.highWaterBytes) {
      const now = Date.now();
      this.slowSince ??= now;
      if (now - this.slowSince > this.opts.slowLimitMs) {
        this.opts.onSlowDisconnect?.();
        this.sink.destroy();
        this.finish();
        return false;
      }
      this.dropped++;
      this.opts.onDrop?.();
      return false;
    }
    this.slowSince = undefined;
    this.sink.write(frame);
    this.sent++;
    return true;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const fn of this.onCloseHandlers.splice(0)) {
      try {
        fn();
      } catch {
        // a cleanup handler must not stop the others
      }
    }
  }
}
