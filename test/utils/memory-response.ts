// The proxy pipeline's response sink in memory: what a client would have received, read back by
// specs without a server.
import type { JsonBody, ResponseSink } from '@app/proxy';
import { AbortEmitter } from '@app/upstream';

export class MemoryResponse implements ResponseSink {
  readonly signal = new AbortEmitter();
  status = 0;
  sentBody: string | undefined;
  sentHeaders: Readonly<Record<string, string>> | undefined;
  endedAt: number | undefined;
  /** Every header the client got (forwarded upstream headers included). */
  headers: Record<string, string> = {};
  /** Everything written, in order (keep-alives included). */
  body = '';
  /** The writes of a stream, one entry per write. */
  readonly writes: string[] = [];
  /** The answer is complete (a JSON body sent, or a stream ended). */
  ended = false;
  private opened = false;
  private forwarded: Readonly<Record<string, string>> | undefined;
  private keepalive: NodeJS.Timeout | undefined;

  /** The client goes away. */
  leave(): void {
    this.signal.abort();
  }

  get gone(): boolean {
    return this.signal.aborted;
  }

  get committed(): boolean {
    return this.opened || this.ended;
  }

  passThrough(headers: Readonly<Record<string, string>> | undefined): void {
    this.forwarded = headers;
  }

  startJsonKeepalive(intervalMs: number): void {
    if (intervalMs <= 0 || this.keepalive) return;
    this.keepalive = setInterval(() => {
      if (this.gone || this.ended) return this.stopKeepalive();
      this.open(200, { 'content-type': 'application/json' });
      this.body += '\n';
    }, intervalMs);
    this.keepalive.unref();
  }

  stopKeepalive(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = undefined;
  }

  sendJson(status: number, body: JsonBody, headers?: Readonly<Record<string, string>>): void {
    this.stopKeepalive();
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    if (this.ended || this.gone) return;
    if (!this.opened) {
      this.status = status;
      this.sentHeaders = headers;
      this.headers = { ...this.forwarded, ...headers, 'content-type': 'application/json' };
    }
    this.sentBody = text;
    this.body += text;
    this.endedAt ??= Date.now();
    this.ended = true;
  }

  openStream(contentType: string): void {
    this.stopKeepalive();
    this.open(200, {
      'content-type': contentType,
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
  }

  write(chunk: string): boolean {
    this.writes.push(chunk);
    this.body += chunk;
    return true;
  }

  waitDrain(): Promise<void> {
    return Promise.resolve();
  }

  end(): void {
    this.stopKeepalive();
    if (!this.opened || this.ended) return;
    this.endedAt ??= Date.now();
    this.ended = true;
  }

  private open(status: number, headers: Record<string, string>): void {
    if (this.opened) return;
    this.opened = true;
    this.status = status;
    this.sentHeaders = headers;
    this.headers = { ...this.forwarded, ...headers };
  }
}
