import { AppError } from '@app/common';
import { INCOMPLETE_STREAM, type IRUsage, type StreamFailure, type StreamStep } from '@app/llm';

/** Where stream output goes (the client socket), with backpressure. */
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

export interface PumpResult {
  outcome: PumpOutcome;
  /** The last usage the upstream reported. */
  usage?: IRUsage;
  error?: StreamFailure;
  /** Characters of generated text, reasoning and tool arguments seen (for estimates). */
  outputChars: number;
}

export interface PumpOptions {
  /** The upstream body (SSE). */
  body: AsyncIterable<Buffer | string>;
  /** What the upstream's text becomes for the client: translated, relayed or collected. */
  step: StreamStep;
  sink: ClientSink;
  /** Aborted when the client disconnects (the upstream read is cancelled with it). */
  /** Only read (`aborted`), never listened to. */
  signal: { readonly aborted: boolean };
  /** Write `keepaliveChunk` this often while nothing else was written (0 = never). */
  keepaliveMs?: number;
  keepaliveChunk?: string;
  /**
   * Do not open the client stream until the first chunk exists; an upstream failure before
   * that is returned as `failed_before_first_byte` instead of written, so the caller can retry
   * on another credential invisibly (`streaming.bootstrap-retries`). A step that never writes
   * (a collector) thus reports every failure that way.
   */
  holdUntilFirstChunk?: boolean;
  /**
   * Classify a read error (timeouts, resets) for the client message and the cooldown. It may
   * throw instead, to hand the error to the caller as it came.
   */
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
  return AppError.of('UPSTREAM_STREAM_FAILED', { detail: message }).toWire();
}

/**
 * The one loop that moves an upstream stream to the client, whatever the step makes of it: reads
 * the upstream, hands each read to the step (framed into events there, never by network reads),
 * writes what one read produced in one socket write with backpressure, sends keep-alives while
 * the upstream is silent, and always terminates the client stream in its own format — with an
 * error event when the upstream dies, stalls or ends early, never silently.
 */
export async function pumpStream(o: PumpOptions): Promise<PumpResult> {
  const { sink, step } = o;
  const utf8 = new TextDecoder('utf-8');
  const classify = o.classify ?? defaultClassify;
  let holding = o.holdUntilFirstChunk === true;
  let failure: StreamFailure | undefined;
  let lastWrite = Date.now();

  const write = async (out: string): Promise<void> => {
    // An error the upstream reported before anything went out: hand it back for failover.
    if (holding && step.failure) throw new EarlyFailure(step.failure);
    if (out === '' || sink.closed) return;
    if (holding) {
      holding = false;
      sink.open();
    }
    lastWrite = Date.now();
    if (!sink.write(out)) await sink.waitDrain();
  };

  const fail = async (f: StreamFailure): Promise<void> => {
    failure = f;
    if (holding) throw new EarlyFailure(f);
    await write(step.fail(f));
  };

  let timer: NodeJS.Timeout | undefined;
  const keepaliveMs = o.keepaliveMs ?? 0;
  if (keepaliveMs > 0) {
    const chunk = o.keepaliveChunk ?? SSE_KEEPALIVE;
    timer = setInterval(
      () => {
        if (holding || step.ended || sink.closed || Date.now() - lastWrite < keepaliveMs) return;
        lastWrite = Date.now();
        sink.write(chunk);
      },
      Math.max(20, Math.floor(keepaliveMs / 4)),
    );
    timer.unref();
  }

  const result = (outcome: PumpOutcome, error = failure ?? step.failure): PumpResult => ({
    outcome,
    usage: step.usage,
    error,
    outputChars: step.outputChars,
  });

  // The client left. A client may hang up as soon as it has the terminal event (Codex CLI does),
  // before the upstream's own end reaches us: if the upstream had finished and nothing was left
  // to send, the client holds the whole answer, and the exchange completed.
  const left = (): PumpResult =>
    step.finished && !step.failure && step.flush() + step.end() === ''
      ? result('completed')
      : result('client_abort');

  try {
    if (!holding) sink.open();
    for await (const raw of o.body) {
      if (sink.closed || o.signal.aborted) return left();
      await write(
        step.push(typeof raw === 'string' ? raw : utf8.decode(raw, { stream: true }), !holding),
      );
    }
    if (sink.closed || o.signal.aborted) return left();
    await write(step.flush());
    if (!step.finished) {
      await fail(INCOMPLETE_STREAM);
      return result('upstream_error');
    }
    await write(step.end());
    return result(step.failure ? 'upstream_error' : 'completed');
  } catch (err) {
    if (err instanceof EarlyFailure) return result('failed_before_first_byte', err.failure);
    if (sink.closed || o.signal.aborted) return left();
    try {
      await fail(classify(err));
    } catch (inner) {
      if (inner instanceof EarlyFailure) return result('failed_before_first_byte', inner.failure);
      throw inner;
    }
    return result('upstream_error');
  } finally {
    if (timer) clearInterval(timer);
  }
}
