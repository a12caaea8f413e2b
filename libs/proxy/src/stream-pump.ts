import {
  SSEParser,
  type IRStreamEvent,
  type IRUsage,
  type StreamDecoder,
  type StreamEncoder,
} from '@app/llm';

/** Where translated stream output goes (the client socket), with backpressure. */
export interface ClientSink {
  /** Send the response headers; called once, right before the first chunk. */
  open(): void;
  /** Write a chunk; false means "wait for drain before writing more". */
  write(chunk: string): boolean;
  /** Resolves when the sink can take more, or when it closed. */
  waitDrain(): Promise<void>;
  /** True once the client went away. */
  readonly closed: boolean;
}

export type PumpOutcome =
  /** The upstream finished and the client stream was terminated normally. */
  | 'completed'
  /** The upstream failed after the client got bytes; an error event ended the client stream. */
  | 'upstream_error'
  /** The client went away. */
  | 'client_abort'
  /** The upstream failed before anything was sent (only with `holdUntilFirstChunk`). */
  | 'failed_before_first_byte';

/** What went wrong upstream, with the status to report for the credential. */
export interface StreamFailure {
  status: number;
  type: string;
  message: string;
}

export interface PumpResult {
  outcome: PumpOutcome;
  /** The last usage the upstream reported. */
  usage?: IRUsage;
  error?: StreamFailure;
  /** Client chunks written (keep-alives not counted). */
  chunks: number;
  /** Characters of generated text, reasoning and tool arguments seen (for estimates). */
  outputChars: number;
}

export interface PumpOptions {
  /** The upstream body (SSE). */
  body: AsyncIterable<Buffer | string>;
  decoder: StreamDecoder;
  encoder: StreamEncoder;
  sink: ClientSink;
  /** Aborted when the client disconnects (the upstream read is cancelled with it). */
  /** Only read (`aborted`), never listened to. */
  signal: { readonly aborted: boolean };
  /** Write `keepaliveChunk` this often while nothing else was written (0 = never). */
  keepaliveMs?: number;
  keepaliveChunk?: string;
  /**
   * Do not open the client stream until the first translated chunk exists; an upstream failure
   * before that is returned as `failed_before_first_byte` instead of written, so the caller can
   * retry on another credential invisibly (`streaming.bootstrap-retries`).
   */
  holdUntilFirstChunk?: boolean;
  /** Classify a read error (timeouts, resets) for the client message and the cooldown. */
  classify?: (err: unknown) => StreamFailure;
}

const SSE_KEEPALIVE = ': keep-alive\n\n';

/** Thrown inside the pump when the upstream fails while nothing was sent yet. */
class EarlyFailure extends Error {
  constructor(readonly failure: StreamFailure) {
    super(failure.message);
  }
}

function defaultClassify(err: unknown): StreamFailure {
  const message = err instanceof Error ? err.message : String(err);
  return { status: 502, type: 'api_error', message: `The upstream stream failed: ${message}` };
}

/**
 * Moves one upstream SSE stream to the client: frames bytes into events (never by network
 * reads), translates event by event, writes each chunk at once with backpressure, sends
 * keep-alives while the upstream is silent, and always terminates the client stream in its own
 * format — with an error event when the upstream dies, stalls or ends early, never silently.
 */
export async function pumpStream(o: PumpOptions): Promise<PumpResult> {
  const { sink, encoder } = o;
  const parser = new SSEParser();
  const text = new TextDecoder('utf-8');
  const classify = o.classify ?? defaultClassify;
  let holding = o.holdUntilFirstChunk === true;
  let chunks = 0;
  let outputChars = 0;
  let usage: IRUsage | undefined;
  let finished = false;
  let ended = false;
  let failure: StreamFailure | undefined;
  let lastWrite = Date.now();

  // Chunks translated from one upstream read go out in one socket write: the same bytes at the
  // same moment, without a syscall per event.
  let pending: string[] = [];
  const write = (out: string[]): void => {
    for (const chunk of out) pending.push(chunk);
  };
  const flush = async (): Promise<void> => {
    if (pending.length === 0 || sink.closed) return;
    if (holding) {
      holding = false;
      sink.open();
    }
    const out = pending.length === 1 ? pending[0] : pending.join('');
    chunks += pending.length;
    pending = [];
    lastWrite = Date.now();
    if (!sink.write(out)) await sink.waitDrain();
  };

  const emit = (events: IRStreamEvent[]): void => {
    for (const ev of events) {
      if (ended) return;
      switch (ev.type) {
        case 'text_delta':
        case 'reasoning_delta':
          outputChars += ev.text.length;
          break;
        case 'tool_call_delta':
          outputChars += ev.argumentsDelta.length;
          break;
        case 'usage':
          usage = ev.usage;
          break;
        case 'finish':
          finished = true;
          break;
        case 'error':
          finished = true;
          failure = { status: ev.status, type: ev.errorType, message: ev.message };
          if (holding) throw new EarlyFailure(failure);
          break;
        case 'end':
          ended = true;
          break;
        case 'start':
        case 'reasoning_signature':
        case 'tool_call_start':
        case 'tool_call_end':
          break;
      }
      const out = encoder.push(ev);
      if (out.length > 0) write(out);
    }
  };

  const fail = async (f: StreamFailure): Promise<void> => {
    failure = f;
    if (holding) throw new EarlyFailure(f);
    emit([
      { type: 'error', status: f.status, errorType: f.type, message: f.message },
      { type: 'end' },
    ]);
    await flush();
  };

  let timer: NodeJS.Timeout | undefined;
  const keepaliveMs = o.keepaliveMs ?? 0;
  if (keepaliveMs > 0) {
    const chunk = o.keepaliveChunk ?? SSE_KEEPALIVE;
    timer = setInterval(
      () => {
        if (holding || ended || sink.closed || Date.now() - lastWrite < keepaliveMs) return;
        lastWrite = Date.now();
        sink.write(chunk);
      },
      Math.max(20, Math.floor(keepaliveMs / 4)),
    );
    timer.unref();
  }

  const result = (outcome: PumpOutcome): PumpResult => ({
    outcome,
    usage,
    error: failure,
    chunks,
    outputChars,
  });

  try {
    if (!holding) sink.open();
    for await (const raw of o.body) {
      if (sink.closed || o.signal.aborted) return result('client_abort');
      const s = typeof raw === 'string' ? raw : text.decode(raw, { stream: true });
      const events = parser.push(s);
      for (const ev of events) emit(o.decoder.push(ev));
      await flush();
    }
    if (sink.closed || o.signal.aborted) return result('client_abort');
    for (const ev of parser.end()) emit(o.decoder.push(ev));
    await flush();
    if (!finished) {
      await fail({
        status: 502,
        type: 'api_error',
        message: 'The upstream stream ended before the response was complete',
      });
      return result('upstream_error');
    }
    emit(o.decoder.end());
    if (!ended) emit([{ type: 'end' }]);
    await flush();
    return result(failure ? 'upstream_error' : 'completed');
  } catch (err) {
    if (err instanceof EarlyFailure) return result('failed_before_first_byte');
    if (sink.closed || o.signal.aborted) return result('client_abort');
    try {
      await fail(classify(err));
    } catch (inner) {
      if (inner instanceof EarlyFailure) return result('failed_before_first_byte');
      throw inner;
    }
    return result('upstream_error');
  } finally {
    if (timer) clearInterval(timer);
  }
}
