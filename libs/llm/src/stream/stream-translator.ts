import type { StreamDecoder, StreamEncoder, TranslationContext } from '@app/llm/codec';
import { codecFor } from '@app/llm/formats';
import type { IRStreamEvent, SSEEvent, WireFormat } from '@app/llm/ir/types';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { StreamWatch, type StreamFailure, type StreamStep } from '@app/llm/stream/stream-step';

const END: IRStreamEvent = { type: 'end' };

/**
 * An upstream stream translated for a client of another format, event by event: the upstream's
 * text is framed into SSE events, each decoded into IR events by the upstream codec and encoded
 * by the client codec (or handed to any other StreamEncoder, such as a collector), reading
 * usage, the stop reason, errors and the amount of generated text on the way. This is the loop
 * the proxy streams through; specs and the bench drive the same one.
 */
export class StreamTranslator extends StreamWatch implements StreamStep {
  ended = false;
  private readonly parser = new SSEParser();
  private readonly decoder: StreamDecoder;
  private readonly encoder: StreamEncoder;

  constructor(upstream: WireFormat, client: WireFormat | StreamEncoder, ctx: TranslationContext) {
    super();
    this.decoder = codecFor(upstream).createStreamDecoder(ctx);
    this.encoder = typeof client === 'string' ? codecFor(client).createStreamEncoder(ctx) : client;
  }

  /** Content type of the client stream. */
  get contentType(): string {
    return this.encoder.contentType;
  }

  push(text: string): string {
    return this.decode(this.parser.push(text));
  }

  flush(): string {
    return this.decode(this.parser.end());
  }

  end(): string {
    let out = this.emit(this.decoder.end());
    if (!this.ended) out += this.emit([END]);
    return out;
  }

  fail(f: StreamFailure): string {
    return this.emit([
      { type: 'error', status: f.status, errorType: f.type, message: f.message },
      END,
    ]);
  }

  private decode(events: SSEEvent[]): string {
    let out = '';
    for (const ev of events) out += this.emit(this.decoder.push(ev));
    return out;
  }

  /** Observe and encode IR events; nothing after the client stream's end. */
  private emit(events: IRStreamEvent[]): string {
    let out = '';
    for (const ev of events) {
      if (this.ended) break;
      this.see(ev, true);
      if (ev.type === 'end') this.ended = true;
      for (const chunk of this.encoder.push(ev)) out += chunk;
    }
    return out;
  }
}
