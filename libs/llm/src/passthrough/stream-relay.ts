import type { SSEEvent, WireFormat } from '@app/llm/ir/types';
import type { AnswerShaper } from '@app/llm/passthrough/passthrough-response';
import {
  relayClosingFrames,
  relayErrorBody,
  relayErrorFrames,
} from '@app/llm/passthrough/stream-frames';
import { ScanningStep, type StreamScanner } from '@app/llm/passthrough/stream-scanner';
import { formatSSE, SSEParser } from '@app/llm/sse/sse-parser';
import type { StreamFailure } from '@app/llm/stream/stream-step';

export interface StreamRelayOptions {
  /** Reads usage, the end and errors of the upstream's own format. */
  scanner: StreamScanner;
  /** How events reach the client (unchanged, or in/out of the Code Assist envelope, renamed). */
  shaper: AnswerShaper;
  /** The client's format (for the frames the gateway adds: errors, a missing terminator). */
  client: WireFormat;
  /** Gemini clients without `alt=sse` read one JSON array; everyone else SSE. */
  framing: 'sse' | 'json-array';
  /**
   * Leave out OpenAI chunks that only carry usage: the gateway asked for them, the client did
   * not (`stream_options.include_usage`).
   */
  dropUsageChunks: boolean;
}

const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;
const USAGE_OBJECT = /"usage"\s*:\s*\{/;

function usageOnly(ev: SSEEvent): boolean {
  return EMPTY_CHOICES.test(ev.data) && USAGE_OBJECT.test(ev.data);
}

/**
 * An upstream stream of the client's own wire format, relayed: the upstream's bytes go out as
 * they came, event by event (never a torn event: a partial one waits for its end), while a
 * scanner reads usage, the stop reason and errors on the way. Only when the client needs another
 * shape (the Code Assist envelope, a JSON array, a renamed model, a usage chunk it did not ask
 * for) are events rewritten. The stream pump drives it exactly as it drives a translation.
 */
export class StreamRelay extends ScanningStep {
  private readonly parser = new SSEParser();
  private readonly array: boolean;
  /** Events need rewriting (another shape, or a JSON array). */
  private readonly reshape: boolean;
  /** JSON array elements written so far. */
  private elements = 0;
  /** The JSON array was closed. */
  private closed = false;

  constructor(private readonly o: StreamRelayOptions) {
    super(o.scanner);
    this.array = o.framing === 'json-array';
    this.reshape = !o.shaper.identity || this.array;
  }

  get ended(): boolean {
    return this.closed;
  }

  push(text: string, open: boolean): string {
    const events = this.parser.push(text);
    return this.forward(events, this.parser.text, open);
  }

  flush(): string {
    const events = this.parser.end();
    return events.length > 0 ? this.forward(events, this.parser.text, true) : '';
  }

  end(): string {
    const closing =
      !this.scanner.terminated && !this.array
        ? relayClosingFrames(this.o.client, !!this.scanner.failure)
        : '';
    return closing + this.closeArray();
  }

  fail(f: StreamFailure): string {
    if (this.array) {
      this.closed = true;
      const body = JSON.stringify(relayErrorBody(this.o.client, f));
      return `${this.elements++ === 0 ? '[' : ',\r\n'}${body}]`;
    }
    const { responseId, responseModel } = this.scanner;
    return relayErrorFrames(this.o.client, f, { responseId, responseModel });
  }

  /** Scan one batch of complete events and return what the client gets for it. */
  private forward(events: SSEEvent[], raw: string, open: boolean): string {
    for (const ev of events) this.scanner.push(ev);
    // The upstream's own keep-alive comments do not open a held stream (the pump's timer does).
    if (events.length === 0 && !open) return '';
    // The upstream's bytes as they came, unless this batch needs another shape (only the batch
    // holding the usage chunk to leave out, for an OpenAI client that did not ask for it).
    if (!this.reshape && !(this.o.dropUsageChunks && events.some(usageOnly))) return raw;
    let out = '';
    for (const ev of events) out += this.clientEvent(ev);
    return out;
  }

  private clientEvent(ev: SSEEvent): string {
    if (this.o.dropUsageChunks && usageOnly(ev)) return '';
    if (!this.array) return formatSSE(this.o.shaper.event(ev.data), ev.event);
    if (ev.data === '' || ev.data.startsWith('[DONE]')) return '';
    return (this.elements++ === 0 ? '[' : ',\r\n') + this.o.shaper.event(ev.data);
  }

  private closeArray(): string {
    if (!this.array || this.closed) return '';
    this.closed = true;
    return this.elements === 0 ? '[]' : ']';
  }
}
