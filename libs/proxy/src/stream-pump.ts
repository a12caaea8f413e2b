import {
  JSONArrayStreamParser,
  SSEParser,
  StreamTranslator,
  type IRStreamEvent,
  type IRUsage,
  type SSEEvent,
} from '@app/llm';

/** Where translated stream output goes (the client socket), with backpressure. */
export interface ClientSink {
  /** Write a chunk; false means "wait for drain before writing more". */
  write(chunk: string): boolean;
  /** Resolves when the sink can take more, or when it closed. */
  waitDrain(): Promise<void>;
  /** True once the client went away. */
  readonly closed: boolean;
}

export type PumpOutcome = 'completed' | 'upstream_error' | 'client_abort';

export interface PumpResult {
  outcome: PumpOutcome;
  usage?: IRUsage;
  /** What went wrong upstream (mid-stream failures). */
  error?: string;
  /** Client-format chunks written. */
  chunks: number;
}

export interface PumpOptions {
  body: AsyncIterable<Buffer | string>;
  translator: StreamTranslator;
  sink: ClientSink;
  /** Aborts the upstream read (client disconnect). */
  signal: AbortSignal;
  /** Upstream framing: SSE (default) or a streamed JSON array (Gemini without alt=sse). */
  upstreamFraming?: 'sse' | 'json-array';
  /** Write an SSE comment this often while the upstream is silent (0 = never). */
  keepaliveMs?: number;
  /** Keepalive bytes for the client format (SSE comment by default). */
  keepaliveChunk?: string;
  /** Events already read before the pump started (bootstrap), replayed first. */
  prelude?: SSEEvent[];
}

const decoder = () => new TextDecoder('utf-8');

/**
 * Moves one upstream stream to the client: frames upstream bytes into events (never by network
 * reads), translates event by event, writes each translated chunk at once, honours backpressure,
 * sends keepalives while the upstream is silent, and always terminates the client stream in its
 * own format — with an error event when the upstream dies or ends early, never a silent 200.
 */
export async function pumpStream(opts: PumpOptions): Promise<PumpResult> {
  const { translator, sink } = opts;
  const parser = opts.upstreamFraming === 'json-array' ? new JSONArrayStreamParser() : new SSEParser();
  const text = decoder();
  let chunks = 0;
  let finished = false;
  let lastWrite = Date.now();

  const write = async (out: string[]): Promise<void> => {
    for (const chunk of out) {
      if (sink.closed) return;
      chunks++;
      lastWrite = Date.now();
      if (!sink.write(chunk)) await sink.waitDrain();
    }
  };
  const feed = async (events: SSEEvent[]): Promise<void> => {
    for (const ev of events) {
      const out = translator.push(ev);
      if (translator.sawFinish) finished = true;
      await write(out);
    }
  };

  let timer: NodeJS.Timeout | undefined;
  if (opts.keepaliveMs && opts.keepaliveMs > 0) {
    const chunk = opts.keepaliveChunk ?? ': keep-alive\n\n';
    timer = setInterval(() => {
      if (!sink.closed && Date.now() - lastWrite >= opts.keepaliveMs!) {
        lastWrite = Date.now();
        sink.write(chunk);
      }
    }, Math.max(50, Math.floor(opts.keepaliveMs / 2)));
    timer.unref();
  }

  try {
    if (opts.prelude) await feed(opts.prelude);
    for await (const raw of opts.body) {
      if (sink.closed || opts.signal.aborted) break;
      const s = typeof raw === 'string' ? raw : text.decode(raw, { stream: true });
      await feed(parser.push(s));
    }
    if (sink.closed || opts.signal.aborted) {
      return { outcome: 'client_abort', usage: translator.lastUsage, chunks };
    }
    if (parser instanceof SSEParser) await feed(parser.end());
    if (!finished && !translator.hasEnded) {
      await write(upstreamError(translator, 'The upstream stream ended before the response was complete'));
      return { outcome: 'upstream_error', usage: translator.lastUsage, error: 'truncated', chunks };
    }
    await write(translator.end());
    return { outcome: 'completed', usage: translator.lastUsage, chunks };
  } catch (err) {
    if (sink.closed || opts.signal.aborted) {
      return { outcome: 'client_abort', usage: translator.lastUsage, chunks };
    }
    const message = err instanceof Error ? err.message : String(err);
    await write(upstreamError(translator, `The upstream stream failed: ${message}`));
    return { outcome: 'upstream_error', usage: translator.lastUsage, error: message, chunks };
  } finally {
    if (timer) clearInterval(timer);
  }
}

function upstreamError(translator: StreamTranslator, message: string): string[] {
  const ev: IRStreamEvent = { type: 'error', status: 502, errorType: 'api_error', message };
  return [...translator.inject(ev), ...translator.inject({ type: 'end' })];
}
