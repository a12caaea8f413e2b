import type { SSEEvent } from '@app/llm/ir/types';

/**
 * Incremental Server-Sent Events parser (WHATWG framing). Frames by events, not by network
 * reads: an event split across chunks, CRLF / CR / LF line endings, comments and multi-line
 * `data:` fields all work. Feed it raw text chunks; it returns the events completed so far.
 */
export class SSEParser {
  private buffer = '';
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;
  private hasField = false;
  /** A CR ended the previous chunk; an LF at the start of the next one belongs to it. */
  private pendingCR = false;

  push(chunk: string): SSEEvent[] {
    let text = chunk;
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.pendingCR = false;
    this.buffer += text;
    const out: SSEEvent[] = [];
    let start = 0;
    const buf = this.buffer;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = buf.slice(start, i);
      if (c === 13) {
        if (i + 1 < buf.length) {
          if (buf.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
      this.processLine(line, out);
    }
    this.buffer = start === 0 ? buf : buf.slice(start);
    return out;
  }

  /** End of input: a final event without its blank line is still delivered. */
  end(): SSEEvent[] {
    const out: SSEEvent[] = [];
    if (this.buffer.length > 0) {
      this.processLine(this.buffer, out);
      this.buffer = '';
    }
    this.dispatch(out);
    return out;
  }

  private processLine(line: string, out: SSEEvent[]): void {
    if (line.length === 0) {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return; // comment
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
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

/**
 * Incremental parser for a streamed JSON array (`[{…},{…}]`, Gemini without `alt=sse`): yields
 * each top-level element's JSON text as a `data` event.
 */
export class JSONArrayStreamParser {
  private buffer = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private elementStart = -1;
  private scanned = 0;

  push(chunk: string): SSEEvent[] {
    this.buffer += chunk;
    const out: SSEEvent[] = [];
    const buf = this.buffer;
    for (let i = this.scanned; i < buf.length; i++) {
      const ch = buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') {
        this.inString = true;
      } else if (ch === '{' || ch === '[') {
        if (this.depth === 1 && this.elementStart === -1) this.elementStart = i;
        this.depth++;
      } else if (ch === '}' || ch === ']') {
        this.depth--;
        if (this.depth === 1 && this.elementStart !== -1) {
          out.push({ data: buf.slice(this.elementStart, i + 1) });
          this.elementStart = -1;
        }
      }
    }
    // Keep only the unfinished element.
    if (this.elementStart === -1) {
      this.buffer = '';
      this.scanned = 0;
    } else {
      this.buffer = buf.slice(this.elementStart);
      this.scanned = this.buffer.length;
      this.elementStart = 0;
    }
    return out;
  }
}
