import {
  codecFor,
  encodeResponse,
  StreamCollector,
  StreamTranslator,
  type IRResponse,
  type StreamStep,
  type WireFormat,
} from '@app/llm';
import type { Exchange } from '@app/proxy/pipeline/exchange';
import type { JsonBody } from '@app/proxy/pipeline/response-sink';

/** How a client reads a stream: SSE, or one JSON array (a Gemini client without `alt=sse`). */
export type StreamFraming = 'sse' | 'json-array';

/** A stream step that collects a whole answer instead of writing one. */
export interface AnswerCollector<R> extends StreamStep {
  /** What was collected; throws StreamCollectError when the stream failed or was cut. */
  result(): R;
}

/**
 * How an upstream's answer becomes the client's: translated through the IR (TRANSLATED, below),
 * or forwarded as the upstream wrote it to a client of its own wire format (PassthroughCall,
 * libs/proxy/src/passthrough). Delivery (whole, streamed, collected) is the same for both.
 * `R` is a whole answer as read, before the client's body is made from it.
 */
export interface AnswerStrategy<R = unknown> {
  /** The client stream made from the upstream's. */
  stream(x: Exchange, upstream: WireFormat, framing: StreamFraming): StreamStep;
  /** Read a whole answer (sets the exchange's usage); throws when it is unreadable. */
  read(x: Exchange, upstream: WireFormat, text: string): R;
  /** Collect a streaming-only upstream's stream for a non-stream client. */
  collect(x: Exchange, upstream: WireFormat): AnswerCollector<R>;
  /** The client's body from an answer read or collected. */
  answer(x: Exchange, read: R): JsonBody;
}

/** A translated stream collected into one IR response (sets usage when it is taken). */
class TranslatedCollector extends StreamTranslator implements AnswerCollector<IRResponse> {
  constructor(
    upstream: WireFormat,
    private readonly x: Exchange,
    private readonly collector = new StreamCollector(x.ctx),
  ) {
    super(upstream, collector, x.ctx);
  }

  result(): IRResponse {
    const ir = this.collector.result();
    this.x.outcome.usage = ir.usage;
    return ir;
  }
}

/** Cross-format answers: decoded into the IR by the upstream's codec, encoded by the client's. */
export const TRANSLATED: AnswerStrategy<IRResponse> = {
  stream: (x, upstream) => new StreamTranslator(upstream, x.call.format, x.ctx),
  read: (x, upstream, text) => {
    const ir = codecFor(upstream).parseResponse(JSON.parse(text), x.ctx);
    x.outcome.usage = ir.usage;
    return ir;
  },
  collect: (x, upstream) => new TranslatedCollector(upstream, x),
  answer: (x, ir) => encodeResponse(x.call.format, ir, x.ctx),
};
