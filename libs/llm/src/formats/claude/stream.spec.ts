import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRStreamEvent, IRUsage } from '@app/llm/ir/types';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { geminiCodec } from '@app/llm/formats/gemini';
import { createClaudeStreamDecoder } from '@app/llm/formats/claude/stream';
import { createClaudeStreamEncoder } from '@app/llm/formats/claude/stream-encoder';

type Loose = ReturnType<typeof JSON.parse>;

const FIXTURES = join(__dirname, '../../../../../test/fixtures/claude');
const sse = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const ctx = (): TranslationContext =>
  createContext({ upstreamModel: 'claude-sonnet-4-6', requestedModel: 'my-alias' });

/** Feed raw SSE text to the decoder in chunks of `size` characters. */
function decode(text: string, size = text.length): IRStreamEvent[] {
  const parser = new SSEParser();
  const decoder = createClaudeStreamDecoder(ctx());
  const out: IRStreamEvent[] = [];
  for (let i = 0; i < text.length; i += size) {
    for (const ev of parser.push(text.slice(i, i + size))) out.push(...decoder.push(ev));
  }
  for (const ev of parser.end()) out.push(...decoder.push(ev));
  out.push(...decoder.end());
  return out;
}

function encode(events: IRStreamEvent[], c = ctx()): string {
  const encoder = createClaudeStreamEncoder(c);
  return events.flatMap((e) => encoder.push(e)).join('');
}

interface Assembled {
  text: string;
  reasoning: string;
  calls: { id: string; name: string; args: string }[];
  stop?: string;
  usage?: IRUsage;
  ends: number;
  errors: Extract<IRStreamEvent, { type: 'error' }>[];
}

/** Fold IR events the way a client encoder would. */
function assemble(events: IRStreamEvent[]): Assembled {
  const a: Assembled = { text: '', reasoning: '', calls: [], ends: 0, errors: [] };
  for (const e of events) {
    switch (e.type) {
      case 'text_delta':
        a.text += e.text;
        break;
      case 'reasoning_delta':
        a.reasoning += e.text;
        break;
      case 'tool_call_start':
        a.calls[e.callIndex] = { id: e.id, name: e.name, args: '' };
        break;
      case 'tool_call_delta':
        a.calls[e.callIndex].args += e.argumentsDelta;
        break;
      case 'finish':
        a.stop = e.stopReason;
        break;
      case 'usage':
        a.usage = e.usage;
        break;
      case 'end':
        a.ends++;
        break;
      case 'error':
        a.errors.push(e);
        break;
      case 'start':
      case 'reasoning_signature':
      case 'tool_call_end':
        break;
    }
  }
  return a;
}

interface ClaudeStream {
  message: Loose;
  blocks: Loose[];
  stopReason?: string;
  usage: Loose;
  error?: Loose;
  frames: number;
  /** Raw argument JSON of each tool_use block by id. */
  toolArgs: Map<string, string>;
}

/**
 * Parse a Claude SSE stream and check every rule a Claude client relies on: message_start first;
 * block indexes 0, 1, 2, … each started once, one block open at a time, deltas only to the open
 * block and of its kind; message_delta after the last block; message_stop (or error) last.
 */
function readClaudeStream(text: string): ClaudeStream {
  const events = new SSEParser().push(text);
  expect(events.length).toBeGreaterThan(0);
  const blocks: Loose[] = [];
  let open = -1;
  let message: Loose;
  let usage: Loose = {};
  let stopReason: string | undefined;
  let sawDelta = false;
  let done = false;
  let error: Loose;
  for (const [i, ev] of events.entries()) {
    expect(done).toBe(false);
    const data = JSON.parse(ev.data);
    expect(ev.event).toBe(data.type);
    if (i === 0 && ev.event !== 'error') expect(ev.event).toBe('message_start');
    switch (ev.event) {
      case 'message_start':
        expect(i).toBe(0);
        message = data.message;
        expect(message.content).toEqual([]);
        usage = { ...data.message.usage };
        break;
      case 'content_block_start':
        expect(open).toBe(-1);
        expect(sawDelta).toBe(false);
        expect(data.index).toBe(blocks.length);
        open = data.index;
        blocks.push({ ...data.content_block, json: '' });
        break;
      case 'content_block_delta': {
        expect(data.index).toBe(open);
        const b = blocks[open];
        const d = data.delta;
        if (d.type === 'text_delta') {
          expect(b.type).toBe('text');
          b.text += d.text;
        } else if (d.type === 'input_json_delta') {
          expect(b.type).toBe('tool_use');
          b.json += d.partial_json;
        } else if (d.type === 'thinking_delta') {
          expect(b.type).toBe('thinking');
          b.thinking += d.thinking;
        } else if (d.type === 'signature_delta') {
          expect(b.type).toBe('thinking');
          b.signature = d.signature;
        } else {
          throw new Error(`unexpected delta ${d.type}`);
        }
        break;
      }
      case 'content_block_stop':
        expect(data.index).toBe(open);
        open = -1;
        break;
      case 'message_delta':
        expect(open).toBe(-1);
        expect(sawDelta).toBe(false);
        sawDelta = true;
        stopReason = data.delta.stop_reason;
        expect(typeof data.usage.output_tokens).toBe('number');
        usage = { ...usage, ...data.usage };
        break;
      case 'message_stop':
        expect(sawDelta).toBe(true);
        done = true;
        break;
      case 'error':
        error = data.error;
        done = true;
        break;
      case 'ping':
        break;
      case undefined:
      default:
        throw new Error(`unexpected event ${ev.event}`);
    }
  }
  expect(done).toBe(true);
  const toolArgs = new Map<string, string>();
  for (const b of blocks) {
    if (b.type === 'tool_use') {
      toolArgs.set(b.id, b.json);
      try {
        if (b.json) b.input = JSON.parse(b.json);
      } catch {
        b.input = undefined;
      }
    }
    delete b.json;
  }
  return { message, blocks, stopReason, usage, error, frames: events.length, toolArgs };
}

describe(createClaudeStreamDecoder.name, () => {
  it('should decode text then a tool call into IR events whose arguments parse', () => {
    const events = decode(sse('stream-text-tool.sse'));
    expect(events[0]).toMatchObject({
      type: 'start',
      id: 'msg_014p7gG3wDgGV9EUtLvnow3U',
      model: 'claude-sonnet-4-6',
    });
    const a = assemble(events);
    expect(a.text).toBe("Okay, let's check the weather for San Francisco, CA:");
    expect(a.calls).toHaveLength(1);
    expect(a.calls[0]).toMatchObject({ id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather' });
    expect(JSON.parse(a.calls[0].args)).toEqual({
      location: 'San Francisco, CA',
      unit: 'fahrenheit',
    });
    expect(a.stop).toBe('tool_calls');
    expect(a.usage).toMatchObject({ inputTokens: 472, outputTokens: 89, totalTokens: 561 });
    expect(a.ends).toBe(1);
    expect(events[events.length - 1]).toEqual({ type: 'end' });
    expect(events.filter((e) => e.type === 'tool_call_end')).toEqual([
      { type: 'tool_call_end', callIndex: 0 },
    ]);
  });

  it('should give the same events however the bytes are split and with CRLF line endings', () => {
    const text = sse('stream-text-tool.sse');
    const strip = (evs: IRStreamEvent[]): IRStreamEvent[] =>
      evs.map((e) => (e.type === 'start' ? { ...e, created: 0 } : e));
    const whole = strip(decode(text));
    expect(strip(decode(text, 7))).toEqual(whole);
    expect(strip(decode(text.replace(/\n/g, '\r\n'), 13))).toEqual(whole);
  });

  it('should number parallel tool calls and give a call without input "{}"', () => {
    const a = assemble(decode(sse('stream-parallel-tools.sse')));
    expect(a.calls.map((c) => c.name)).toEqual(['get_weather', 'get_weather', 'get_server_time']);
    expect(a.calls.map((c) => JSON.parse(c.args))).toEqual([
      { location: 'Paris, France' },
      { location: 'Tokyo, Japan' },
      {},
    ]);
    expect(a.stop).toBe('tool_calls');
  });

  it('should decode thinking, its signature and thinking tokens', () => {
    const events = decode(sse('stream-thinking-text.sse'));
    const a = assemble(events);
    expect(a.reasoning).toContain('So the GCD is 21.');
    expect(a.text).toBe('The greatest common divisor of 1071 and 462 is **21**.');
    const sigAt = events.findIndex((e) => e.type === 'reasoning_signature');
    const textAt = events.findIndex((e) => e.type === 'text_delta');
    expect(events[sigAt]).toEqual({
      type: 'reasoning_signature',
      signature: expect.stringMatching(/^EqQB/),
    });
    expect(sigAt).toBeLessThan(textAt);
    expect(a.usage).toEqual({
      inputTokens: 36 + 1800,
      outputTokens: 142,
      reasoningTokens: 98,
      cachedTokens: 1800,
      cacheCreationTokens: 0,
      totalTokens: 36 + 1800 + 142,
    });
  });

  it('should surface a stream error and still end exactly once', () => {
    const a = assemble(decode(sse('stream-error-overloaded.sse')));
    expect(a.errors).toEqual([
      { type: 'error', status: 529, errorType: 'overloaded_error', message: 'Overloaded' },
    ]);
    expect(a.text).toBe('Let me think about');
    expect(a.ends).toBe(1);
  });

  it('should map max_tokens to length', () => {
    expect(assemble(decode(sse('stream-max-tokens.sse'))).stop).toBe('length');
  });

  it('should ignore pings, unknown events and non-JSON data, and nothing after message_stop', () => {
    const decoder = createClaudeStreamDecoder(ctx());
    expect(decoder.push({ event: 'ping', data: '{"type": "ping"}' })).toEqual([]);
    expect(decoder.push({ event: 'future_event', data: '{"type":"future_event"}' })).toEqual([]);
    expect(decoder.push({ data: 'not json' })).toEqual([]);
    expect(decoder.push({ event: 'message_stop', data: '{"type":"message_stop"}' })).toEqual([
      { type: 'end' },
    ]);
    expect(decoder.push({ event: 'message_stop', data: '{"type":"message_stop"}' })).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });

  it('should turn redacted thinking into an encrypted reasoning signature', () => {
    const decoder = createClaudeStreamDecoder(ctx());
    const ev = decoder.push({
      event: 'content_block_start',
      data: '{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwKAh"}}',
    });
    expect(ev).toEqual([{ type: 'reasoning_signature', encrypted: 'EmwKAh' }]);
  });
});

describe(createClaudeStreamEncoder.name, () => {
  it.each([
    'stream-text.sse',
    'stream-text-tool.sse',
    'stream-thinking-text.sse',
    'stream-parallel-tools.sse',
    'stream-max-tokens.sse',
  ])('should re-encode %s into an equivalent Claude stream', (name) => {
    const original = readClaudeStream(sse(name));
    const again = readClaudeStream(encode(decode(sse(name))));
    expect(again.blocks).toEqual(original.blocks);
    expect(again.stopReason).toBe(original.stopReason);
    expect(again.usage).toMatchObject({
      input_tokens: original.usage.input_tokens,
      output_tokens: original.usage.output_tokens,
      cache_read_input_tokens: original.usage.cache_read_input_tokens,
    });
    expect(again.message.id).toBe(original.message.id);
    expect(again.message.model).toBe('my-alias');
  });

  it('should write text and thinking deltas as the JSON of their objects, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        const frames = createClaudeStreamEncoder(ctx());
        const out = [
          { type: 'reasoning_delta', text: `t${a}` },
          { type: 'text_delta', text: `x${b}` },
        ].flatMap((e) => frames.push(e as IRStreamEvent));
        const deltas = out.filter((f) => f.startsWith('event: content_block_delta\n'));
        expect(deltas).toEqual([
          `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: `t${a}` } })}\n\n`,
          `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: `x${b}` } })}\n\n`,
        ]);
      }),
    );
  });

  it('should end a stream cut by an upstream error with a Claude error event', () => {
    const out = readClaudeStream(encode(decode(sse('stream-error-overloaded.sse'))));
    expect(out.error).toEqual({ type: 'overloaded_error', message: 'Overloaded' });
    expect(out.blocks).toEqual([{ type: 'text', text: 'Let me think about' }]);
  });

  it('should synthesise message_start and open a new block for text after a tool call', () => {
    const c = ctx();
    const out = readClaudeStream(
      encode(
        [
          { type: 'text_delta', text: 'Let me check.' },
          { type: 'tool_call_start', callIndex: 0, id: 'call_1', name: 'lookup' },
          { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"q":' },
          { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '"x"}' },
          { type: 'text_delta', text: 'Done.' },
          { type: 'reasoning_delta', text: 'hmm' },
          { type: 'text_delta', text: 'Really done.' },
          {
            type: 'usage',
            usage: {
              inputTokens: 50,
              outputTokens: 9,
              reasoningTokens: 0,
              cachedTokens: 20,
              totalTokens: 59,
            },
          },
          { type: 'finish', stopReason: 'stop' },
          { type: 'end' },
        ],
        c,
      ),
    );
    expect(out.message.id).toMatch(/^msg_/);
    expect(out.message.model).toBe('my-alias');
    expect(out.blocks).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_1', name: 'lookup', input: { q: 'x' } },
      { type: 'text', text: 'Done.' },
      { type: 'thinking', thinking: 'hmm', signature: '' },
      { type: 'text', text: 'Really done.' },
    ]);
    expect(out.stopReason).toBe('tool_use');
    expect(out.usage).toMatchObject({
      input_tokens: 30,
      cache_read_input_tokens: 20,
      output_tokens: 9,
    });
  });

  it('should give interleaved parallel tool calls one complete block each', () => {
    const out = readClaudeStream(
      encode([
        { type: 'start', id: 'chatcmpl-9', model: 'gpt-4o', created: 1 },
        { type: 'tool_call_start', callIndex: 0, id: 'call_a', name: 'weather' },
        { type: 'tool_call_start', callIndex: 1, id: 'call_b', name: 'weather' },
        { type: 'tool_call_delta', callIndex: 1, argumentsDelta: '{"city"' },
        { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"city"' },
        { type: 'tool_call_delta', callIndex: 0, argumentsDelta: ':"Oslo"}' },
        { type: 'tool_call_delta', callIndex: 1, argumentsDelta: ':"Rome"}' },
        { type: 'tool_call_start', callIndex: 2, id: 'call_c', name: 'time' },
        { type: 'tool_call_end', callIndex: 1 },
        { type: 'tool_call_delta', callIndex: 2, argumentsDelta: '{}' },
        { type: 'tool_call_end', callIndex: 0 },
        { type: 'finish', stopReason: 'tool_calls' },
        { type: 'end' },
      ]),
    );
    expect(out.blocks).toEqual([
      { type: 'tool_use', id: 'call_a', name: 'weather', input: { city: 'Oslo' } },
      { type: 'tool_use', id: 'call_b', name: 'weather', input: { city: 'Rome' } },
      { type: 'tool_use', id: 'call_c', name: 'time', input: {} },
    ]);
    expect(out.stopReason).toBe('tool_use');
  });

  it('should give a tool call without an id a Claude id', () => {
    const out = readClaudeStream(
      encode([
        { type: 'tool_call_start', callIndex: 0, id: '', name: 'f' },
        { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"a":1}' },
        { type: 'end' },
      ]),
    );
    expect(out.blocks).toEqual([
      { type: 'tool_use', id: expect.stringMatching(/^toolu_\w+$/), name: 'f', input: { a: 1 } },
    ]);
  });

  it('should send a signature before closing its thinking block and redacted thinking whole', () => {
    const out = readClaudeStream(
      encode([
        { type: 'reasoning_delta', text: 'step 1' },
        { type: 'reasoning_signature', signature: 'sig-1' },
        { type: 'reasoning_delta', text: 'step 2' },
        { type: 'reasoning_signature', encrypted: 'opaque' },
        { type: 'text_delta', text: 'answer' },
        { type: 'end' },
      ]),
    );
    expect(out.blocks).toEqual([
      { type: 'thinking', thinking: 'step 1', signature: 'sig-1' },
      { type: 'thinking', thinking: 'step 2', signature: '' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: 'answer' },
    ]);
    expect(out.stopReason).toBe('end_turn');
  });

  it('should put the final usage in message_delta whether it came before or after finish', () => {
    const usage: IRUsage = {
      inputTokens: 10,
      outputTokens: 4,
      reasoningTokens: 0,
      cachedTokens: 0,
      totalTokens: 14,
    };
    const after = readClaudeStream(
      encode([
        { type: 'text_delta', text: 'hi' },
        { type: 'finish', stopReason: 'length' },
        { type: 'usage', usage },
        { type: 'end' },
      ]),
    );
    expect(after.stopReason).toBe('max_tokens');
    expect(after.usage).toMatchObject({ input_tokens: 10, output_tokens: 4 });
  });

  it('should announce the input count in message_start when the upstream gave it before content', () => {
    const usage: IRUsage = {
      inputTokens: 120,
      outputTokens: 0,
      reasoningTokens: 0,
      cachedTokens: 20,
      totalTokens: 120,
    };
    const out = readClaudeStream(
      encode([
        { type: 'start', id: 'msg_1', model: 'up', created: 1 },
        { type: 'usage', usage },
        { type: 'text_delta', text: 'hi' },
        { type: 'finish', stopReason: 'stop' },
        { type: 'end' },
      ]),
    );
    expect(out.message.id).toBe('msg_1');
    expect(out.message.usage).toMatchObject({
      input_tokens: 100,
      cache_read_input_tokens: 20,
      output_tokens: 0,
    });
  });

  it("should carry a Gemini upstream's prompt count into message_start", () => {
    const gemini = readFileSync(join(FIXTURES, '../gemini/stream-text.sse'), 'utf8');
    const c = ctx();
    const decoder = geminiCodec.createStreamDecoder(c);
    const events = new SSEParser().push(gemini).flatMap((e) => decoder.push(e));
    events.push(...decoder.end());
    const out = readClaudeStream(encode(events, c));
    expect(out.message.usage.input_tokens).toBe(8);
  });

  it('should emit only an error frame for an error before anything else, then nothing', () => {
    const encoder = createClaudeStreamEncoder(ctx());
    const frames = encoder.push({
      type: 'error',
      status: 429,
      errorType: 'rate_limit_exceeded',
      message: 'slow down',
    });
    expect(frames).toEqual([
      'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}\n\n',
    ]);
    expect(encoder.push({ type: 'end' })).toEqual([]);
    expect(encoder.contentType).toBe('text/event-stream');
  });

  it('should render an empty stream as a complete empty message', () => {
    const out = readClaudeStream(encode([{ type: 'end' }]));
    expect(out.blocks).toEqual([]);
    expect(out.stopReason).toBe('end_turn');
    expect(out.frames).toBe(3);
  });

  it('should ignore candidates other than the first', () => {
    const out = readClaudeStream(
      encode([
        { type: 'text_delta', text: 'a', candidate: 0 },
        { type: 'text_delta', text: 'b', candidate: 1 },
        { type: 'finish', stopReason: 'length', candidate: 1 },
        { type: 'end' },
      ]),
    );
    expect(out.blocks).toEqual([{ type: 'text', text: 'a' }]);
    expect(out.stopReason).toBe('end_turn');
  });

  describe('under random event orders', () => {
    const callIndex = fc.integer({ min: 0, max: 3 });
    const anyEvent = fc.oneof<fc.Arbitrary<IRStreamEvent>[]>(
      fc.string({ minLength: 1, maxLength: 4 }).map((text) => ({ type: 'text_delta', text })),
      fc.string({ minLength: 1, maxLength: 4 }).map((text) => ({ type: 'reasoning_delta', text })),
      fc.constant({ type: 'reasoning_signature', signature: 'sig' }),
      fc.constant({ type: 'reasoning_signature', encrypted: 'opaque' }),
      callIndex.map((i) => ({ type: 'tool_call_start', callIndex: i, id: `call_${i}`, name: 'f' })),
      callIndex.map((i) => ({ type: 'tool_call_delta', callIndex: i, argumentsDelta: `${i}` })),
      callIndex.map((i) => ({ type: 'tool_call_end', callIndex: i })),
      fc.constant({ type: 'finish', stopReason: 'stop' }),
      fc.constant({ type: 'start', id: 'msg_late', model: 'm', created: 0 }),
      fc.constant({
        type: 'usage',
        usage: {
          inputTokens: 1,
          outputTokens: 1,
          reasoningTokens: 0,
          cachedTokens: 0,
          totalTokens: 2,
        },
      }),
    );

    it('should always produce a valid Claude stream', () => {
      fc.assert(
        fc.property(fc.array(anyEvent, { maxLength: 40 }), (events) => {
          readClaudeStream(encode([...events, { type: 'end' }]));
        }),
        { numRuns: 300 },
      );
    });

    it('should keep every interleaved tool call whole when only tool events arrive', () => {
      const toolEvent = fc.oneof(
        callIndex.map((i): IRStreamEvent => ({
          type: 'tool_call_delta',
          callIndex: i,
          argumentsDelta: `${i}`,
        })),
        callIndex.map((i): IRStreamEvent => ({ type: 'tool_call_end', callIndex: i })),
      );
      fc.assert(
        fc.property(fc.array(toolEvent, { maxLength: 40 }), (body) => {
          const starts: IRStreamEvent[] = [0, 1, 2, 3].map((i) => ({
            type: 'tool_call_start',
            callIndex: i,
            id: `call_${i}`,
            name: 'f',
          }));
          // Each call starts before its own events, like a real decoder would order them.
          const events: IRStreamEvent[] = [];
          const started = new Set<number>();
          const ended = new Set<number>();
          const expected = ['', '', '', ''];
          for (const e of body) {
            const i = (e as { callIndex: number }).callIndex;
            if (ended.has(i)) continue; // a call's events stop at its end
            if (e.type === 'tool_call_end') ended.add(i);
            if (!started.has(i)) {
              started.add(i);
              events.push(starts[i]);
            }
            events.push(e);
            if (e.type === 'tool_call_delta') expected[i] += e.argumentsDelta;
          }
          const out = readClaudeStream(encode([...events, { type: 'end' }]));
          expect(out.blocks).toHaveLength(started.size);
          for (const i of started) expect(out.toolArgs.get(`call_${i}`)).toBe(expected[i]);
        }),
        { numRuns: 300 },
      );
    });
  });
});
