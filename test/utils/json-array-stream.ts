// A Gemini client without alt=sse reads one streamed JSON array; specs read it back with this.
import type { SSEEvent } from '@app/llm';

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
