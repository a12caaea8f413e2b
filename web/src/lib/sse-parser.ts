/** One server-sent event as the stream delivered it. */
export interface SseEvent {
  /** `event:` field, `message` when the server sent none. */
  event: string;
  /** `data:` lines joined with `\n`. */
  data: string;
  id?: string;
}

/**
 * Incremental `text/event-stream` parser following the WHATWG rules: feed decoded text as it
 * arrives (split anywhere, even inside a `\r\n`), get back only complete events. Comments
 * (`: ping`) are dropped.
 */
export class SseParser {
  private buf = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;

  /** Parse one chunk; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    const buf = this.buf + chunk;
    let start = 0;
    for (let i = start; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A lone CR at the very end may be the first half of a CRLF still in flight.
      if (c === 13 && i === buf.length - 1) break;
      this.line(buf.slice(start, i), out);
      if (c === 13 && buf.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.buf = buf.slice(start);
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0) {
        const ev: SseEvent = { event: this.event || 'message', data: this.data.join('\n') };
        if (this.id !== undefined) ev.id = this.id;
        out.push(ev);
      }
      this.data = [];
      this.event = '';
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' comment (heartbeat)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      default:
        // retry and unknown fields carry nothing the panel uses
        break;
    }
  }
}
