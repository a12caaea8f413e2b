import { Injectable } from '@nestjs/common';
import type { Dispatcher } from 'undici';
import { AppError } from '@app/common';
import {
  estimateTokens,
  INCOMPLETE_STREAM,
  providerFor,
  StreamCollectError,
  type StreamFailure,
  type WireFormat,
  compactResponseUsage,
} from '@app/llm';
import { upstreamName, type Candidate } from '@app/proxy/candidate-source';
import { countTokensResponse, TOKEN_COUNT_HEADER, translateCount } from '@app/proxy/count-tokens';
import type { AnswerStrategy, StreamFraming } from '@app/proxy/delivery/answer-strategy';
import { pumpStream, type ClientSink } from '@app/proxy/delivery/stream-pump';
import { StreamCapture } from '@app/proxy/exchange-capture';
import { AttemptReport } from '@app/proxy/pipeline/attempt-report';
import type { AttemptResult, Exchange } from '@app/proxy/pipeline/exchange';
import { clientGone, noteFailure, partialUsage } from '@app/proxy/pipeline/outcome';
import { estimateFor, irOf } from '@app/proxy/pipeline/request-parse';
import type { ResponseSink } from '@app/proxy/pipeline/response-sink';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import {
  timeoutsOf,
  transportFailure,
  unreadable,
  type AttemptFailure,
} from '@app/proxy/upstream-request';

/**
 * Delivery: how a 2xx upstream answer reaches the client — relayed JSON (count-tokens,
 * compact), a whole answer (read, or a streaming-only upstream's stream collected), or a stream
 * — translated or forwarded as the attempt's strategy says. Each way reports the attempt's
 * outcome before the client's answer ends.
 */
@Injectable()
export class Delivery {
  constructor(
    private readonly report: AttemptReport,
    private readonly metrics: ProxyMetrics,
  ) {}

  /** Count tokens locally (the upstream serving the model has no counting endpoint). */
  estimate(x: Exchange): 'done' {
    const ir = irOf(x);
    const n = ir ? estimateTokens(ir) : 0;
    x.outcome.status = 200;
    x.outcome.failed = false;
    x.res.sendJson(200, countTokensResponse(x.call.format, n), {
      [TOKEN_COUNT_HEADER]: 'estimate',
    });
    return 'done';
  }

  /** Count-tokens and compact answers go back as the upstream wrote them. */
  async json(x: Exchange, cand: Candidate, res: Dispatcher.ResponseData): Promise<AttemptResult> {
    let text: string;
    let json: unknown;
    try {
      text = await res.body.text();
      x.outcome.upstreamBody = text;
      json = JSON.parse(text);
    } catch (err) {
      return this.unread(x, cand, err);
    }
    if (x.call.action === 'compact') x.outcome.usage = compactResponseUsage(json);
    let answer: string | Record<string, unknown> = text;
    if (x.call.action === 'count_tokens') {
      try {
        answer = translateCount(x.call.format, providerFor(cand.provider).format, json) ?? text;
      } catch (err) {
        return this.report.failure(cand, unreadable(err, upstreamName(cand), timeoutsOf(x.cfg)));
      }
    }
    this.report.success(cand);
    x.outcome.status = 200;
    x.outcome.failed = false;
    x.res.sendJson(200, answer);
    return 'done';
  }

  /**
   * A non-stream answer: read whole, or collected from an upstream that only streams (Codex),
   * then made the client's by the strategy.
   */
  async whole<R>(
    x: Exchange,
    cand: Candidate,
    res: Dispatcher.ResponseData,
    upstream: WireFormat,
    streamed: boolean,
    strategy: AnswerStrategy<R>,
  ): Promise<AttemptResult> {
    let read: R;
    try {
      if (streamed) {
        const collector = strategy.collect(x, upstream);
        // The pump reads the stream into the collector; every failure comes back unwritten.
        const r = await pumpStream({
          body: res.body,
          step: collector,
          sink: new DiscardingSink(x.res),
          signal: x.res.signal,
          holdUntilFirstChunk: true,
          classify: rethrow,
        });
        if (r.outcome === 'client_abort') return clientGone(x.outcome);
        if (r.outcome !== 'completed') return this.report.failure(cand, collectFailure(r.error));
        read = collector.result();
      } else {
        const text = await res.body.text();
        x.outcome.upstreamBody = text;
        read = strategy.read(x, upstream, text);
      }
    } catch (err) {
      return this.unread(x, cand, err);
    }
    const payload = strategy.answer(x, read);
    this.report.success(cand);
    x.outcome.status = 200;
    x.outcome.failed = false;
    x.res.sendJson(200, payload);
    return 'done';
  }

  /**
   * A streamed answer, event by event. With bootstrap retries left the client stream opens only
   * with the first chunk, so an upstream that fails before it can be replaced by the next
   * credential without the client noticing.
   */
  async stream(
    x: Exchange,
    cand: Candidate,
    res: Dispatcher.ResponseData,
    upstream: WireFormat,
    strategy: AnswerStrategy,
    hold: boolean,
  ): Promise<AttemptResult> {
    // A Gemini client without alt=sse reads one JSON array; every other client SSE.
    const framing: StreamFraming = x.ctx.geminiStreamMode === 'json-array' ? 'json-array' : 'sse';
    const sink = new StreamSink(x, framing, this.metrics);
    const timeouts = timeoutsOf(x.cfg);
    const classify = (err: unknown): StreamFailure =>
      streamFailure(transportFailure(err, upstreamName(cand), timeouts));
    try {
      const r = await pumpStream({
        body: res.body,
        step: strategy.stream(x, upstream, framing),
        sink,
        signal: x.res.signal,
        keepaliveMs: x.cfg.streaming['keepalive-seconds'] * 1000,
        // A Gemini JSON-array stream cannot carry SSE comments; whitespace between elements is.
        keepaliveChunk: framing === 'json-array' ? '\n' : undefined,
        holdUntilFirstChunk: hold,
        classify,
      });
      // Built only for a stream that failed: an error (and its stack) costs more than a chunk.
      const failed = (): StreamFailure =>
        r.error ?? AppError.of('UPSTREAM_STREAM_FAILED', {}).toWire();
      switch (r.outcome) {
        case 'completed':
          this.report.success(cand);
          x.outcome.usage = r.usage;
          x.outcome.status = 200;
          x.outcome.failed = false;
          return 'done';
        case 'client_abort':
          x.outcome.usage = partialUsage(r.usage, estimateFor(x, r.usage), r.outputChars);
          return clientGone(x.outcome);
        case 'upstream_error': {
          const failure = failed();
          x.outcome.usage = partialUsage(r.usage, estimateFor(x, r.usage), r.outputChars);
          x.outcome.status = failure.status;
          x.outcome.errorClass = 'upstream_stream_error';
          x.outcome.errorMessage = failure.message;
          await this.report.failure(cand, noteFailure(x.outcome, attemptFailure(failure)));
          return 'done';
        }
        case 'failed_before_first_byte':
          break;
      }
      res.body.destroy();
      return { ...(await this.report.failure(cand, attemptFailure(failed()))), earlyStream: true };
    } finally {
      sink.close();
    }
  }

  /** A 2xx whose body could not be read or parsed: the client left, or the attempt failed. */
  private async unread(x: Exchange, cand: Candidate, err: unknown): Promise<AttemptResult> {
    if (x.res.gone) return clientGone(x.outcome);
    if (err instanceof StreamCollectError) {
      return this.report.failure(cand, { status: err.status, error: err.toWireError(), body: '' });
    }
    return this.report.failure(cand, unreadable(err, upstreamName(cand), timeoutsOf(x.cfg)));
  }
}

/** The client's side of a stream: opened with the first chunk, copied while bodies are kept. */
class StreamSink implements ClientSink {
  private opened = false;
  /** A copy of the output only for the request log; without it a write is a plain write. */
  private readonly capture: boolean;

  constructor(
    private readonly x: Exchange,
    private readonly framing: StreamFraming,
    private readonly metrics: ProxyMetrics,
  ) {
    this.capture = x.outcome.captureBodies;
  }

  get closed(): boolean {
    return this.x.res.gone;
  }

  open(): void {
    this.opened = true;
    this.x.res.openStream(this.framing === 'json-array' ? 'application/json' : 'text/event-stream');
    this.x.outcome.ttfbMs = Date.now() - this.x.started;
    this.metrics.openStreams.inc();
  }

  write(chunk: string): boolean {
    if (this.capture) (this.x.outcome.streamCopy ??= new StreamCapture()).push(chunk);
    return this.x.res.write(chunk);
  }

  waitDrain(): Promise<void> {
    return this.x.res.waitDrain();
  }

  /** End the client's stream, if it was opened. */
  close(): void {
    if (!this.opened) return;
    this.metrics.openStreams.dec();
    this.x.res.end();
  }
}

/** Where a collected stream "goes": nowhere, until the client leaves. */
class DiscardingSink implements ClientSink {
  constructor(private readonly res: ResponseSink) {}

  get closed(): boolean {
    return this.res.gone;
  }

  open(): void {}

  write(): boolean {
    return true;
  }

  waitDrain(): Promise<void> {
    return Promise.resolve();
  }
}

/** A read error while collecting goes back to the caller as it came (see `unread`). */
function rethrow(err: unknown): never {
  throw err;
}

function collectFailure(f: StreamFailure = INCOMPLETE_STREAM): AttemptFailure {
  return {
    status: f.status,
    error: { status: f.status, type: f.type, message: f.message },
    body: '',
  };
}

function streamFailure(f: AttemptFailure): StreamFailure {
  return { status: f.status, type: f.error.type, message: f.error.message };
}

function attemptFailure(f: StreamFailure): AttemptFailure {
  return {
    status: f.status,
    error: { status: f.status, type: f.type, message: f.message },
    body: f.message,
  };
}
