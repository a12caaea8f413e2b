import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { answerShaper, createContext, createStreamScanner, type WireFormat } from '@app/llm';
import type { ClientSink } from '@app/proxy/stream-pump';
import { relayStream, type RelayOptions } from '@app/proxy/passthrough/stream-relay';

const FIXTURES = join(__dirname, '../../../../test/fixtures');
const capture = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');
/** A capture as a client receives it: complete events (a missing final blank line added). */
const relayed = (text: string): string =>
  /(\r?\n){2}$/.test(text) ? text : `${text.trimEnd()}\n\n`;

/** An in-memory client socket. */
class MemorySink implements ClientSink {
  text = '';
  writes = 0;
  opened = 0;
  closed = false;

  open(): void {
    this.opened++;
  }

  write(chunk: string): boolean {
    this.writes++;
    this.text += chunk;
    return true;
  }

  waitDrain(): Promise<void> {
    return Promise.resolve();
  }
}

/** The upstream body in reads of `size` characters, optionally dying after them. */
async function* body(text: string, size = 64, failWith?: Error): AsyncIterable<Buffer> {
  for (let i = 0; i < text.length; i += size) yield Buffer.from(text.slice(i, i + size));
  if (failWith) throw failWith;
}

function options(
  upstream: WireFormat,
  parts: AsyncIterable<Buffer>,
  extra: Partial<RelayOptions> = {},
): RelayOptions & { sink: MemorySink } {
  const client: WireFormat = extra.client ?? (upstream === 'codex' ? 'openai-responses' : upstream);
  return {
    body: parts,
    scanner: createStreamScanner(upstream, createContext({ upstreamModel: 'm' })),
    shaper: answerShaper(client, upstream),
    client,
    framing: 'sse',
    dropUsageChunks: false,
    sink: new MemorySink(),
    signal: new AbortController().signal,
    classify: (err) => ({ status: 502, type: 'api_error', message: (err as Error).message }),
    ...extra,
  } as RelayOptions & { sink: MemorySink };
}

describe(relayStream.name, () => {
  it.each<[WireFormat, string]>([
    ['claude', 'claude/stream-thinking-text.sse'],
    ['openai', 'openai/stream-tool-calls.sse'],
    ['codex', 'codex/stream-reasoning-text-tool.sse'],
    ['gemini', 'gemini/stream-thinking-tool.sse'],
  ])('should relay %s %s byte for byte, reading its usage', async (format, path) => {
    const text = capture(path);
    for (const size of [1, 13, 4096]) {
      const o = options(format, body(text, size));
      const sut = await relayStream(o);
      expect(sut.outcome).toBe('completed');
      expect(sut.usage?.inputTokens).toBeGreaterThan(0);
      expect(o.sink.text).toBe(relayed(text));
      expect(o.sink.opened).toBe(1);
    }
  });

  it('should write one socket write per upstream read', async () => {
    const text = capture('claude/stream-text.sse');
    const o = options('claude', body(text, 200));
    await relayStream(o);
    expect(o.sink.writes).toBeLessThanOrEqual(Math.ceil(text.length / 200) + 1);
  });

  it('should end a stream that stops early with an error event in the client format', async () => {
    const text = capture('claude/stream-text.sse');
    const cut = text.slice(0, text.indexOf('event: message_delta'));
    const o = options('claude', body(cut));
    const sut = await relayStream(o);
    expect(sut.outcome).toBe('upstream_error');
    expect(sut.error?.status).toBe(502);
    expect(o.sink.text.startsWith(cut)).toBe(true);
    expect(o.sink.text.slice(cut.length)).toMatch(
      /^event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The upstream stream ended before the response was complete"\}\}\n\n$/,
    );
  });

  it('should never write a torn event before the error that follows a reset', async () => {
    const text = capture('openai/stream-text.sse');
    const torn = text.slice(0, text.indexOf('data:', 40) + 20);
    const o = options('openai', body(torn, 7, new Error('socket hang up')));
    const sut = await relayStream(o);
    expect(sut.outcome).toBe('upstream_error');
    const frames = o.sink.text.split('\n\n').filter(Boolean);
    for (const f of frames) expect(f.startsWith('data: ')).toBe(true);
    expect(frames.slice(-2)).toEqual([
      expect.stringContaining('"message":"socket hang up"'),
      'data: [DONE]',
    ]);
  });

  it('should hand an upstream error before the first byte back for failover', async () => {
    const o = options(
      'claude',
      body(
        capture('claude/stream-error-overloaded.sse').replace(
          /event: message_start[\s\S]*?(?=event: error)/,
          '',
        ),
      ),
      { holdUntilFirstChunk: true },
    );
    const sut = await relayStream(o);
    expect(sut.outcome).toBe('failed_before_first_byte');
    expect(sut.error).toMatchObject({ status: 529, type: 'overloaded_error' });
    expect(o.sink.opened).toBe(0);
    expect(o.sink.text).toBe('');
  });

  it("should relay an upstream's own error event after the first byte and report it", async () => {
    const text = capture('claude/stream-error-overloaded.sse');
    const o = options('claude', body(text));
    const sut = await relayStream(o);
    expect(sut.outcome).toBe('upstream_error');
    expect(sut.error).toMatchObject({ status: 529, type: 'overloaded_error' });
    expect(o.sink.text).toBe(relayed(text));
  });

  it('should add the terminator a finished stream left out', async () => {
    const text = capture('openai/stream-text.sse').replace('data: [DONE]', '');
    const o = options('openai', body(text));
    const sut = await relayStream(o);
    expect(sut.outcome).toBe('completed');
    expect(o.sink.text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('should leave out the usage chunk the gateway asked for when the client did not', async () => {
    const text = capture('openai/stream-text.sse');
    expect(text).toMatch(/"choices":\s*\[\]/);
    const o = options('openai', body(text), { dropUsageChunks: true });
    const sut = await relayStream(o);
    expect(sut.usage?.totalTokens).toBeGreaterThan(0);
    expect(o.sink.text).not.toMatch(/"choices":\s*\[\]/);
    // Everything else is the upstream's own bytes.
    const kept = text
      .split(/(?<=\n\n)/)
      .filter((frame) => !/"choices":\s*\[\]/.test(frame))
      .join('');
    expect(o.sink.text).toBe(kept);
  });

  it('should frame Gemini as a JSON array for clients without alt=sse, envelope removed', async () => {
    const o = options('gemini-cli', body(capture('gemini-cli/stream-text-tool.sse')), {
      client: 'gemini',
      shaper: answerShaper('gemini', 'gemini-cli'),
      framing: 'json-array',
    });
    const sut = await relayStream(o);
    expect(sut.outcome).toBe('completed');
    const array = JSON.parse(o.sink.text) as Record<string, unknown>[];
    expect(array.length).toBeGreaterThan(1);
    for (const chunk of array) {
      expect(chunk).not.toHaveProperty('response');
      expect(chunk).toHaveProperty('candidates');
    }
  });

  it('should close a JSON array with the error when the stream dies', async () => {
    const text = capture('gemini/stream-text.sse');
    const o = options('gemini', body(text.slice(0, text.indexOf('data:', 10))), {
      framing: 'json-array',
    });
    await relayStream(o);
    const array = JSON.parse(o.sink.text) as Record<string, unknown>[];
    expect(array[array.length - 1]).toMatchObject({ error: { code: 502 } });
  });

  it('should stop at once when the client goes away', async () => {
    const o = options('claude', body(capture('claude/stream-text.sse'), 16));
    const write = o.sink.write.bind(o.sink);
    o.sink.write = (chunk: string) => {
      o.sink.closed = true;
      return write(chunk);
    };
    const sut = await relayStream(o);
    expect(sut.outcome).toBe('client_abort');
    expect(sut.usage?.inputTokens).toBeGreaterThan(0);
  });
});
