import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  answerShaper,
  createContext,
  createStreamScanner,
  StreamRelay,
  StreamTranslator,
  type StreamRelayOptions,
  type WireFormat,
} from '@app/llm';
import { pumpStream, type ClientSink, type PumpOptions } from '@app/proxy/delivery/stream-pump';

/** An in-memory client: `chunks` are the SSE frames written, `writes` the socket writes. */
class MemorySink implements ClientSink {
  readonly chunks: string[] = [];
  writes = 0;
  written = '';
  opened = 0;
  closed = false;

  open(): void {
    this.opened++;
  }

  write(chunk: string): boolean {
    this.writes++;
    this.written += chunk;
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
    step: new StreamTranslator('openai', client, ctx),
    sink: new MemorySink(),
    signal: new AbortController().signal,
    ...extra,
  } as PumpOptions & { sink: MemorySink };
}

describe(`${pumpStream.name} translating`, () => {
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
    expect(o.sink.chunks.length).toBeGreaterThan(4);
  });

  it('should write once per upstream read when the events arrive apart', async () => {
    const o = options(body(COMPLETE), 'openai');
    await pumpStream(o);
    expect(o.sink.writes).toBe(COMPLETE.length);
  });
});

const FIXTURES = join(__dirname, '../../../../test/fixtures');
const capture = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');
/** A capture as a client receives it: complete events (a missing final blank line added). */
const relayed = (text: string): string =>
  /(\r?\n){2}$/.test(text) ? text : `${text.trimEnd()}\n\n`;

/** The upstream body in reads of `size` characters, optionally dying after them. */
async function* bytes(text: string, size = 64, failWith?: Error): AsyncIterable<Buffer> {
  for (let i = 0; i < text.length; i += size) yield Buffer.from(text.slice(i, i + size));
  if (failWith) throw failWith;
}

/** A relay of `upstream`'s own stream to a client of the same wire. */
function relayOptions(
  upstream: WireFormat,
  parts: AsyncIterable<Buffer>,
  extra: Partial<StreamRelayOptions & PumpOptions> = {},
): PumpOptions & { sink: MemorySink } {
  const client: WireFormat = extra.client ?? (upstream === 'codex' ? 'openai-responses' : upstream);
  const step = new StreamRelay({
    scanner: createStreamScanner(upstream, createContext({ upstreamModel: 'm' })),
    shaper: extra.shaper ?? answerShaper(client, upstream),
    client,
    framing: extra.framing ?? 'sse',
    dropUsageChunks: extra.dropUsageChunks ?? false,
  });
  return {
    body: parts,
    step,
    sink: new MemorySink(),
    signal: new AbortController().signal,
    classify: (err) => ({ status: 502, type: 'api_error', message: (err as Error).message }),
    holdUntilFirstChunk: extra.holdUntilFirstChunk,
  };
}

describe(`${pumpStream.name} relaying`, () => {
  it.each<[WireFormat, string]>([
    ['claude', 'claude/stream-thinking-text.sse'],
    ['openai', 'openai/stream-tool-calls.sse'],
    ['codex', 'codex/stream-reasoning-text-tool.sse'],
    ['gemini', 'gemini/stream-thinking-tool.sse'],
  ])('should relay %s %s byte for byte, reading its usage', async (format, path) => {
    const text = capture(path);
    for (const size of [1, 13, 4096]) {
      const o = relayOptions(format, bytes(text, size));
      const sut = await pumpStream(o);
      expect(sut.outcome).toBe('completed');
      expect(sut.usage?.inputTokens).toBeGreaterThan(0);
      expect(o.sink.written).toBe(relayed(text));
      expect(o.sink.opened).toBe(1);
    }
  });

  it('should write one socket write per upstream read', async () => {
    const text = capture('claude/stream-text.sse');
    const o = relayOptions('claude', bytes(text, 200));
    await pumpStream(o);
    expect(o.sink.writes).toBeLessThanOrEqual(Math.ceil(text.length / 200) + 1);
  });

  it('should end a stream that stops early with an error event in the client format', async () => {
    const text = capture('claude/stream-text.sse');
    const cut = text.slice(0, text.indexOf('event: message_delta'));
    const o = relayOptions('claude', bytes(cut));
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('upstream_error');
    expect(sut.error?.status).toBe(502);
    expect(o.sink.written.startsWith(cut)).toBe(true);
    expect(o.sink.written.slice(cut.length)).toMatch(
      /^event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The upstream stream ended before the response was complete"\}\}\n\n$/,
    );
  });

  it('should never write a torn event before the error that follows a reset', async () => {
    const text = capture('openai/stream-text.sse');
    const torn = text.slice(0, text.indexOf('data:', 40) + 20);
    const o = relayOptions('openai', bytes(torn, 7, new Error('socket hang up')));
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('upstream_error');
    const frames = o.sink.written.split('\n\n').filter(Boolean);
    for (const f of frames) expect(f.startsWith('data: ')).toBe(true);
    expect(frames.slice(-2)).toEqual([
      expect.stringContaining('"message":"socket hang up"'),
      'data: [DONE]',
    ]);
  });

  it('should hand an upstream error before the first byte back for failover', async () => {
    const o = relayOptions(
      'claude',
      bytes(
        capture('claude/stream-error-overloaded.sse').replace(
          /event: message_start[\s\S]*?(?=event: error)/,
          '',
        ),
      ),
      { holdUntilFirstChunk: true },
    );
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('failed_before_first_byte');
    expect(sut.error).toMatchObject({ status: 529, type: 'overloaded_error' });
    expect(o.sink.opened).toBe(0);
    expect(o.sink.written).toBe('');
  });

  it("should relay an upstream's own error event after the first byte and report it", async () => {
    const text = capture('claude/stream-error-overloaded.sse');
    const o = relayOptions('claude', bytes(text));
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('upstream_error');
    expect(sut.error).toMatchObject({ status: 529, type: 'overloaded_error' });
    expect(o.sink.written).toBe(relayed(text));
  });

  it('should add the terminator a finished stream left out', async () => {
    const text = capture('openai/stream-text.sse').replace('data: [DONE]', '');
    const o = relayOptions('openai', bytes(text));
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('completed');
    expect(o.sink.written.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('should leave out the usage chunk the gateway asked for when the client did not', async () => {
    const text = capture('openai/stream-text.sse');
    expect(text).toMatch(/"choices":\s*\[\]/);
    const o = relayOptions('openai', bytes(text), { dropUsageChunks: true });
    const sut = await pumpStream(o);
    expect(sut.usage?.totalTokens).toBeGreaterThan(0);
    expect(o.sink.written).not.toMatch(/"choices":\s*\[\]/);
    // Everything else is the upstream's own bytes.
    const kept = text
      .split(/(?<=\n\n)/)
      .filter((frame) => !/"choices":\s*\[\]/.test(frame))
      .join('');
    expect(o.sink.written).toBe(kept);
  });

  it('should frame Gemini as a JSON array for clients without alt=sse, envelope removed', async () => {
    const o = relayOptions('gemini-cli', bytes(capture('gemini-cli/stream-text-tool.sse')), {
      client: 'gemini',
      shaper: answerShaper('gemini', 'gemini-cli'),
      framing: 'json-array',
    });
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('completed');
    const array = JSON.parse(o.sink.written) as Record<string, unknown>[];
    expect(array.length).toBeGreaterThan(1);
    for (const chunk of array) {
      expect(chunk).not.toHaveProperty('response');
      expect(chunk).toHaveProperty('candidates');
    }
  });

  it('should close a JSON array with the error when the stream dies', async () => {
    const text = capture('gemini/stream-text.sse');
    const o = relayOptions('gemini', bytes(text.slice(0, text.indexOf('data:', 10))), {
      framing: 'json-array',
    });
    await pumpStream(o);
    const array = JSON.parse(o.sink.written) as Record<string, unknown>[];
    expect(array[array.length - 1]).toMatchObject({ error: { code: 502 } });
  });

  it('should stop at once when the client goes away', async () => {
    const o = relayOptions('claude', bytes(capture('claude/stream-text.sse'), 16));
    const write = o.sink.write.bind(o.sink);
    o.sink.write = (chunk: string) => {
      o.sink.closed = true;
      return write(chunk);
    };
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('client_abort');
    expect(sut.usage?.inputTokens).toBeGreaterThan(0);
  });

  /** An upstream that sent `text`, then a client that hangs up before the upstream's end. */
  async function* thenHangUp(text: string, sink: { closed: boolean }): AsyncIterable<Buffer> {
    yield Buffer.from(text);
    sink.closed = true;
    yield Buffer.from('');
  }

  it.each<[WireFormat, string]>([
    ['codex', 'codex/stream-reasoning-text-tool.sse'],
    ['claude', 'claude/stream-text.sse'],
  ])(
    'should count a %s stream as completed when the client hangs up after its terminal event',
    async (format, path) => {
      // Codex CLI closes its connection once it has response.completed.
      const text = relayed(capture(path));
      const o = relayOptions(format, bytes(''));
      o.body = thenHangUp(text, o.sink);
      const sut = await pumpStream(o);
      expect(sut.outcome).toBe('completed');
      expect(o.sink.written).toBe(text);
      expect(sut.usage?.inputTokens).toBeGreaterThan(0);
    },
  );

  it('should count a hang-up before the terminal event as the client leaving', async () => {
    const text = relayed(capture('claude/stream-text.sse'));
    const o = relayOptions('claude', bytes(''));
    o.body = thenHangUp(text.slice(0, text.indexOf('event: message_stop')), o.sink);
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('client_abort');
  });
});

describe(`${pumpStream.name} when a client hangs up at the end`, () => {
  it('should count a translated stream as completed once the client had its last event', async () => {
    const o = options(body([]), 'openai-responses');
    o.body = (async function* () {
      yield Buffer.from(COMPLETE.join(''));
      o.sink.closed = true;
      yield Buffer.from('');
    })();
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('completed');
    expect(o.sink.written).toContain('response.completed');
    expect(sut.usage?.outputTokens).toBe(2);
  });

  it('should not when the hang-up came before the usage and [DONE]', async () => {
    const o = options(body([]), 'openai');
    o.body = (async function* () {
      yield Buffer.from(COMPLETE.slice(0, 2).join(''));
      o.sink.closed = true;
      yield Buffer.from(COMPLETE.slice(2).join(''));
    })();
    const sut = await pumpStream(o);
    expect(sut.outcome).toBe('client_abort');
  });
});
