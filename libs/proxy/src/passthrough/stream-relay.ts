import {
  relayClosingFrames,
  relayErrorBody,
  relayErrorFrames,
  SSEFramer,
  formatSSE,
  type AnswerShaper,
  type SSEEvent,
  type StreamScanner,
  type WireFormat,
} from '@app/llm';
import type { ClientSink, PumpOutcome, PumpResult, StreamFailure } from '@app/proxy/stream-pump';

export interface RelayOptions {
  /** The upstream body (SSE). */
  body: AsyncIterable<Buffer | string>;
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
  sink: ClientSink;
  /** Only read (`aborted`), never listened to. */
  signal: { readonly aborted: boolean };
  keepaliveMs?: number;
  /** Open the client stream only with the first event, so an early failure can fail over. */
  holdUntilFirstChunk?: boolean;
  /** Classify a read error (timeouts, resets) for the client message and the cooldown. */
  classify: (err: unknown) => StreamFailure;
}

/** Thrown inside the relay when the upstream fails while nothing was sent yet. */
class EarlyFailure extends Error {
  constructor(readonly failure: StreamFailure) {
    super(failure.message);
  }
}

const SSE_KEEPALIVE = ': keep-alive\n\n';
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;
const USAGE_OBJECT = /"usage"\s*:\s*\{/;

/**
 * Relays an upstream stream of the client's own wire format: the upstream's bytes go out as they
 * came, event by event (never a torn event: a partial one waits for its end), while a scanner
 * reads usage, the stop reason and errors on the way. Only when the client needs another shape
 * (the Code Assist envelope, a JSON array, a renamed model, a usage chunk it did not ask for)
 * are events rewritten. Failover before the first byte, keep-alives, backpressure, client aborts
 * and a stream that dies, stalls or ends early are handled as the translating pump does, with
 * the same result, so the pipeline's accounting is the same on both paths.
 */
export async function relayStream(o: RelayOptions): Promise<PumpResult> {
  const { sink, scanner, shaper } = o;
  const framer = new SSEFramer();
  const text = new TextDecoder('utf-8');
  const array = o.framing === 'json-array';
  const reshape = !shaper.identity || array;
  const usageOnly = (ev: SSEEvent): boolean =>
    EMPTY_CHOICES.test(ev.data) && USAGE_OBJECT.test(ev.data);
  let holding = o.holdUntilFirstChunk === true;
  let chunks = 0;
  let elements = 0;
  let lastWrite = Date.now();
  let closed = false;

  const clientEvent = (ev: SSEEvent): string => {
    if (o.dropUsageChunks && usageOnly(ev)) return '';
    if (!array) return formatSSE(shaper.event(ev.data), ev.event);
    if (ev.data === '' || ev.data.startsWith('[DONE]')) return '';
    return (elements++ === 0 ? '[' : ',\r\n') + shaper.event(ev.data);
  };

  const write = async (out: string): Promise<void> => {
    if (out === '' || sink.closed) return;
    if (holding) {
      holding = false;
      sink.open();
    }
    chunks++;
    lastWrite = Date.now();
    if (!sink.write(out)) await sink.waitDrain();
  };

  /** Scan and forward one batch of complete events. */
  const forward = async (events: SSEEvent[], raw: string): Promise<void> => {
    for (const ev of events) scanner.push(ev);
    if (holding && scanner.failure) throw new EarlyFailure(scanner.failure);
    // The upstream's own keep-alive comments do not open a held stream (the timer covers it).
    if (events.length === 0 && holding) return;
    // The upstream's bytes as they came, unless this batch needs another shape (only the batch
    // holding the usage chunk to leave out, for an OpenAI client that did not ask for it).
    if (!reshape && !(o.dropUsageChunks && events.some(usageOnly))) return write(raw);
    let out = '';
    for (const ev of events) out += clientEvent(ev);
    return write(out);
  };

  /** End the client stream with an error in its format (the upstream failed after bytes went out). */
  const fail = async (f: StreamFailure): Promise<void> => {
    if (holding) throw new EarlyFailure(f);
    if (array) {
      closed = true;
      const body = JSON.stringify(relayErrorBody(o.client, f));
      return write(`${elements++ === 0 ? '[' : ',\r\n'}${body}]`);
    }
    const stream = { responseId: scanner.responseId, responseModel: scanner.responseModel };
    return write(relayErrorFrames(o.client, f, stream));
  };

  const closeArray = async (): Promise<void> => {
    if (!array || closed) return;
    closed = true;
    await write(elements === 0 ? '[]' : ']');
  };

  let timer: NodeJS.Timeout | undefined;
  const keepaliveMs = o.keepaliveMs ?? 0;
  if (keepaliveMs > 0) {
    // Whitespace between JSON array elements is valid; SSE takes a comment.
    const chunk = array ? '\n' : SSE_KEEPALIVE;
    timer = setInterval(
      () => {
        if (holding || closed || sink.closed || Date.now() - lastWrite < keepaliveMs) return;
        lastWrite = Date.now();
        sink.write(chunk);
      },
      Math.max(20, Math.floor(keepaliveMs / 4)),
    );
    timer.unref();
  }

  const result = (outcome: PumpOutcome, error?: StreamFailure): PumpResult => ({
    outcome,
    usage: scanner.usage,
    error: error ?? scanner.failure,
    chunks,
    outputChars: scanner.outputChars,
  });

  let failure: StreamFailure | undefined;
  try {
    if (!holding) sink.open();
    for await (const raw of o.body) {
      if (sink.closed || o.signal.aborted) return result('client_abort');
      const frames = framer.push(
        typeof raw === 'string' ? raw : text.decode(raw, { stream: true }),
      );
      if (frames.events.length > 0 || frames.text !== '') await forward(frames.events, frames.text);
    }
    if (sink.closed || o.signal.aborted) return result('client_abort');
    const tail = framer.end();
    if (tail.events.length > 0) await forward(tail.events, tail.text);
    if (!scanner.finished) {
      failure = {
        status: 502,
        type: 'api_error',
        message: 'The upstream stream ended before the response was complete',
      };
      await fail(failure);
      return result('upstream_error', failure);
    }
    if (!scanner.terminated && !array) await write(relayClosingFrames(o.client, !!scanner.failure));
    await closeArray();
    return result(scanner.failure ? 'upstream_error' : 'completed');
  } catch (err) {
    if (err instanceof EarlyFailure) return result('failed_before_first_byte', err.failure);
    if (sink.closed || o.signal.aborted) return result('client_abort');
    failure = o.classify(err);
    try {
      await fail(failure);
    } catch (inner) {
      if (inner instanceof EarlyFailure) return result('failed_before_first_byte', inner.failure);
      throw inner;
    }
    return result('upstream_error', failure);
  } finally {
    if (timer) clearInterval(timer);
  }
}
