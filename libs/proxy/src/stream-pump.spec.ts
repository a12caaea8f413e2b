import { codecFor, createContext, type WireFormat } from '@app/llm';
import { pumpStream, type ClientSink, type PumpOptions } from '@app/proxy/stream-pump';

/** An in-memory client: `chunks` are the SSE frames written, `writes` the socket writes. */
class MemorySink implements ClientSink {
  readonly chunks: string[] = [];
  writes = 0;
  opened = 0;
  closed = false;

  open(): void {
    this.opened++;
  }

  write(chunk: string): boolean {
    this.writes++;
    for (const frame of chunk.split(/(?<=\n\n)/)) if (frame) this.chunks.push(frame);
    return true;
  }

  waitDrain(): Promise<void> {
    return Promise.resolve();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

const chunk = (delta: object, finish: string | null = null, usage?: object) =>
  `data: ${JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  })}\n\n`;

const COMPLETE = [
  chunk({ role: 'assistant', content: 'Hel' }),
  chunk({ content: 'lo' }),
  chunk({}, 'stop', { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 }),
  'data: [DONE]\n\n',
];

async function* body(parts: string[], failWith?: Error): AsyncIterable<Buffer> {
  for (const p of parts) yield Buffer.from(p);
  if (failWith) throw failWith;
}

function options(
  parts: AsyncIterable<Buffer>,
  client: WireFormat,
  extra: Partial<PumpOptions> = {},
): PumpOptions & { sink: MemorySink } {
  const ctx = createContext({ upstreamModel: 'm' });
  return {
    body: parts,
    decoder: codecFor('openai').createStreamDecoder(ctx),
    encoder: codecFor(client).createStreamEncoder(ctx),
    sink: new MemorySink(),
    signal: new AbortController().signal,
    ...extra,
  } as PumpOptions & { sink: MemorySink };
}

describe(pumpStream.name, () => {
  it('should translate a complete stream and report its usage', async () => {
    const o = options(body(COMPLETE), 'claude');
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('completed');
    expect(sut.usage).toMatchObject({ inputTokens: 4, outputTokens: 2 });
    expect(sut.outputChars).toBe(5);
    expect(o.sink.opened).toBe(1);
    expect(o.sink.text).toContain('event: message_stop');
    expect(o.sink.text).not.toContain('event: error');
  });

  it('should end the client stream with an error event when the upstream stops early', async () => {
    const o = options(body(COMPLETE.slice(0, 2)), 'openai');
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('upstream_error');
    expect(sut.error).toMatchObject({ status: 502 });
    const tail = o.sink.chunks.slice(-2);
    expect(JSON.parse(tail[0].slice(6))).toMatchObject({
      error: { message: expect.stringContaining('ended before') },
    });
    expect(tail[1]).toBe('data: [DONE]\n\n');
  });

  it('should classify a read error and send it as the error event', async () => {
    const o = options(body(COMPLETE.slice(0, 1), new Error('socket hang up')), 'claude', {
      classify: () => ({ status: 504, type: 'timeout_error', message: 'stalled' }),
    });
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('upstream_error');
    expect(sut.error).toEqual({ status: 504, type: 'timeout_error', message: 'stalled' });
    expect(o.sink.text).toContain('event: error');
    expect(o.sink.text).toContain('stalled');
  });

  it('should hold the response and report a failure before the first chunk', async () => {
    const o = options(body([], new Error('reset')), 'openai', { holdUntilFirstChunk: true });
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('failed_before_first_byte');
    expect(o.sink.opened).toBe(0);
    expect(o.sink.chunks).toEqual([]);
  });

  it('should treat an upstream error event before any output as a bootstrap failure', async () => {
    const errorFrame = `data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`;
    const o = options(body([errorFrame]), 'openai', { holdUntilFirstChunk: true });
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('failed_before_first_byte');
    expect(sut.error?.message).toContain('overloaded');
    expect(o.sink.opened).toBe(0);
  });

  it('should open a held response with the first chunk and stream normally after it', async () => {
    const o = options(body(COMPLETE), 'openai', { holdUntilFirstChunk: true });
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('completed');
    expect(o.sink.opened).toBe(1);
    expect(o.sink.chunks[o.sink.chunks.length - 1]).toBe('data: [DONE]\n\n');
  });

  it('should stop at once when the client has gone', async () => {
    const o = options(body(COMPLETE), 'openai');
    o.sink.closed = true;
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('client_abort');
    expect(o.sink.chunks).toEqual([]);
  });

  it('should write keep-alives while the upstream is silent', async () => {
    async function* slow(): AsyncIterable<Buffer> {
      yield Buffer.from(COMPLETE[0]);
      await new Promise((r) => setTimeout(r, 120));
      for (const p of COMPLETE.slice(1)) yield Buffer.from(p);
    }
    const o = options(slow(), 'openai', { keepaliveMs: 40 });
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('completed');
    expect(sut.chunks).toBeGreaterThan(0);
    const kept = o.sink.chunks.filter((c) => c === ': keep-alive\n\n');
    expect(kept.length).toBeGreaterThanOrEqual(1);
    // Keep-alives only ever sit between events, never after the end.
    expect(o.sink.chunks[o.sink.chunks.length - 1]).toBe('data: [DONE]\n\n');
  });
  it('should write what one upstream read produced in a single socket write', async () => {
    const o = options(body([COMPLETE.join('')]), 'claude');
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('completed');
    expect(o.sink.writes).toBe(1);
    expect(sut.chunks).toBe(o.sink.chunks.length);
    expect(o.sink.chunks.length).toBeGreaterThan(4);
  });

  it('should write once per upstream read when the events arrive apart', async () => {
    const o = options(body(COMPLETE), 'openai');
    await pumpStream(o);
    expect(o.sink.writes).toBe(COMPLETE.length);
  });
});
