import type { SSEEvent } from '@app/llm/ir/types';

/** Complete events of a stream so far: their parsed form and their bytes as the upstream sent them. */
export interface SSEFrames {
  events: SSEEvent[];
  /** The raw text of exactly those events (blank lines and comments between them included). */
  text: string;
}

/**
 * An incremental SSE parser (WHATWG framing, as SSEParser) that also hands back the raw text of
 * every complete event, so a relay can forward the upstream's own bytes while reading them, and
 * never a torn event: an event split across reads stays buffered until its blank line arrives.
 */
export class SSEFramer {
  private buffer = '';
  /** Where the next scan starts in `buffer` (text before it was already scanned). */
  private scanned = 0;
  /** Start of the current line in `buffer`. */
  private lineStart = 0;
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;
  private hasField = false;

  push(chunk: string): SSEFrames {
    this.buffer += chunk;
    const buf = this.buffer;
    const events: SSEEvent[] = [];
    let boundary = 0;
    let i = this.scanned;
    // Lines are found with indexOf (native), not a loop over every character: a stream is
    // mostly long data lines.
    let lf = buf.indexOf('\n', i);
    let cr = buf.indexOf('\r', i);
    for (;;) {
      if (lf !== -1 && lf < i) lf = buf.indexOf('\n', i);
      if (cr !== -1 && cr < i) cr = buf.indexOf('\r', i);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) {
        i = buf.length;
        break;
      }
      const isCR = end === cr;
      // A CR at the very end may be the first half of a CRLF: wait for the next read.
      if (isCR && end + 1 === buf.length) {
        i = end;
        break;
      }
      const line = buf.slice(this.lineStart, end);
      i = isCR && buf.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
      this.lineStart = i;
      if (this.processLine(line, events)) boundary = i;
    }
    this.scanned = i;
    if (boundary === 0) return { events, text: '' };
    const text = buf.slice(0, boundary);
    this.buffer = buf.slice(boundary);
    this.scanned -= boundary;
    this.lineStart -= boundary;
    return { events, text };
  }

  /** End of input: a last event without its blank line is still delivered (and terminated). */
  end(): SSEFrames {
    const rest = this.buffer;
    // Lines before lineStart were processed already; only an unterminated last line is left.
    const last = rest.slice(this.lineStart).replace(/\r$/, '');
    this.buffer = '';
    this.scanned = 0;
    this.lineStart = 0;
    const events: SSEEvent[] = [];
    if (last.length > 0) this.processLine(last, events);
    this.dispatch(events);
    return { events, text: events.length > 0 ? `${rest.replace(/[\r\n]+$/, '')}\n\n` : '' };
  }

  /** Process one line; true when it was the blank line ending an event (or a skipped block). */
  private processLine(line: string, out: SSEEvent[]): boolean {
    if (line.length === 0) {
      this.dispatch(out);
      return true;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return false; // comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value =
      colon === -1
        ? ''
        : line.charCodeAt(colon + 1) === 32
          ? line.slice(colon + 2)
          : line.slice(colon + 1);
    switch (field) {
      case 'data':
        this.data.push(value);
        this.hasField = true;
        break;
      case 'event':
        this.event = value;
        this.hasField = true;
        break;
      case 'id':
        this.id = value;
        break;
      default:
        break;
    }
    return false;
  }

  private dispatch(out: SSEEvent[]): void {
    if (this.hasField && (this.data.length > 0 || this.event !== undefined)) {
      const ev: SSEEvent = { data: this.data.join('\n') };
      if (this.event !== undefined) ev.event = this.event;
      if (this.id !== undefined) ev.id = this.id;
      out.push(ev);
    }
    this.data = [];
    this.event = undefined;
    this.hasField = false;
  }
}
