import type { SSEEvent } from '@app/llm/ir/types';

/**
 * Incremental Server-Sent Events parser (WHATWG framing). Frames by events, not by network
 * reads: an event split across chunks, CRLF / CR / LF line endings, comments and multi-line
 * `data:` fields all work. Feed it raw text chunks; it returns the events completed so far, and
 * `text` holds their bytes exactly as they came (blank lines and comments between them
 * included), so a relay can forward the upstream's own bytes while reading them, never a torn
 * event: an event split across reads stays buffered until its blank line arrives.
 */
export class SSEParser {
  /** The raw text of exactly the events the last `push` or `end` completed. */
  text = '';
  private buffer = '';
  /** Where the next scan starts in `buffer` (text before it was already scanned). */
  private scanned = 0;
  /** Start of the current line in `buffer`. */
  private lineStart = 0;
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;
  private hasField = false;

  push(chunk: string): SSEEvent[] {
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
    if (boundary === 0) {
      this.text = '';
      return events;
    }
    this.text = buf.slice(0, boundary);
    this.buffer = buf.slice(boundary);
    this.scanned -= boundary;
    this.lineStart -= boundary;
    return events;
  }

  /** End of input: a last event without its blank line is still delivered (and terminated). */
  end(): SSEEvent[] {
    const rest = this.buffer;
    // Lines before lineStart were processed already; only an unterminated last line is left.
    const last = rest.slice(this.lineStart).replace(/\r$/, '');
    this.buffer = '';
    this.scanned = 0;
    this.lineStart = 0;
    const events: SSEEvent[] = [];
    if (last.length > 0) this.processLine(last, events);
    this.dispatch(events);
    this.text = events.length > 0 ? `${rest.replace(/[\r\n]+$/, '')}\n\n` : '';
    return events;
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
        break; // retry and unknown fields are ignored
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

/** Frame one SSE event. */
export function formatSSE(data: string, event?: string): string {
  return event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}
