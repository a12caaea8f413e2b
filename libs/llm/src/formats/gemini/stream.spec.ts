import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRStreamEvent, IRUsage } from '@app/llm/ir/types';
import { geminiCodec } from '@app/llm/formats/gemini';
import { GeminiStreamDecoder, GeminiStreamEncoder } from '@app/llm/formats/gemini/stream';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { JSONArrayStreamParser } from '@test/utils/json-array-stream';

/** Parsed JSON, read loosely in assertions. */
type Json = ReturnType<typeof JSON.parse>;

const FIXTURES = join(__dirname, '../../../../../test/fixtures/gemini');
const raw = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const ctx = (init: Partial<TranslationContext> = {}): TranslationContext =>
  createContext({ upstreamModel: 'gemini-2.5-pro', requestedModel: 'client-model', ...init });

/** Feed raw SSE text through the parser and a fresh decoder, in `size`-byte network reads. */
function decodeSSE(text: string, size = text.length, c = ctx()): IRStreamEvent[] {
  const parser = new SSEParser();
  const sut = geminiCodec.createStreamDecoder(c);
  const out: IRStreamEvent[] = [];
  for (let i = 0; i < text.length; i += size) {
    for (const ev of parser.push(text.slice(i, i + size))) out.push(...sut.push(ev));
  }
  for (const ev of parser.end()) out.push(...sut.push(ev));
  out.push(...sut.end());
  return out;
}

function encode(events: IRStreamEvent[], c = ctx()): string[] {
  const sut = geminiCodec.createStreamEncoder(c);
  return events.flatMap((e) => sut.push(e));
}

/** Parse encoded SSE frames back into the JSON chunks a client would see. */
function chunksOf(frames: string[]): Json[] {
  const parser = new SSEParser();
  return [...parser.push(frames.join('')), ...parser.end()].map((e) => JSON.parse(e.data));
}

const usage: IRUsage = {
  inputTokens: 10,
  outputTokens: 7,
  reasoningTokens: 2,
  cachedTokens: 4,
  totalTokens: 17,
};

describe(GeminiStreamDecoder.name, () => {
  it('should decode a text stream into start, deltas, usage, finish and one end', () => {
    const events = decodeSSE(raw('stream-text.sse'));

    expect(events).toEqual([
      {
        type: 'start',
        id: 'Xz9KaNy4Ia-rnvgP_M3E0Ak',
        model: 'gemini-2.5-flash',
        created: expect.any(Number),
      },
      // A chunk's usage comes before its content (the prompt count is known from the start).
      {
        type: 'usage',
        usage: {
          inputTokens: 8,
          outputTokens: 0,
          reasoningTokens: 0,
          cachedTokens: 0,
          totalTokens: 8,
        },
      },
      { type: 'text_delta', text: 'The capital of France' },
      { type: 'text_delta', text: ' is Paris.' },
      {
        type: 'usage',
        usage: {
          inputTokens: 8,
          outputTokens: 27,
          reasoningTokens: 20,
          cachedTokens: 0,
          totalTokens: 35,
        },
      },
      { type: 'finish', stopReason: 'stop' },
      { type: 'end' },
    ]);
  });

  it('should frame by events however the bytes are split (CRLF delimiters included)', () => {
    const whole = decodeSSE(raw('stream-thinking-tool.sse'));
    for (const size of [1, 3, 17, 64]) {
      expect(decodeSSE(raw('stream-thinking-tool.sse'), size).map(normalise)).toEqual(
        whole.map(normalise),
      );
    }
  });

  it('should turn thoughts into reasoning and a whole functionCall into start/delta/end', () => {
    const events = decodeSSE(raw('stream-thinking-tool.sse'));
    const kinds = events.map((e) => e.type);

    expect(kinds).toEqual([
      'start',
      'usage',
      'reasoning_delta',
      'reasoning_delta',
      'text_delta',
      'tool_call_start',
      'tool_call_delta',
      'tool_call_end',
      'usage',
      'finish',
      'end',
    ]);
    const reasoning = events
      .filter(
        (e): e is Extract<IRStreamEvent, { type: 'reasoning_delta' }> =>
          e.type === 'reasoning_delta',
      )
      .map((e) => e.text)
      .join('');
    expect(reasoning).toContain('I should call get_weather.');
    const start = events[5] as Extract<IRStreamEvent, { type: 'tool_call_start' }>;
    expect(start).toMatchObject({
      callIndex: 0,
      name: 'get_weather',
      signature: expect.stringMatching(/^CuMB/),
    });
    expect(start.id).toMatch(/^call_/);
    const delta = events[6] as Extract<IRStreamEvent, { type: 'tool_call_delta' }>;
    expect(JSON.parse(delta.argumentsDelta)).toEqual({
      city: 'Paris',
      unit: 'celsius',
      details: { hourly: true, days: 2 },
    });
    // STOP after a function call is tool_calls for every other format.
    expect(events[9]).toEqual({ type: 'finish', stopReason: 'tool_calls' });
    expect(events[8]).toEqual({
      type: 'usage',
      usage: {
        inputTokens: 142,
        outputTokens: 149,
        reasoningTokens: 111,
        cachedTokens: 96,
        totalTokens: 291,
      },
    });
  });

  it('should decode the JSON-array stream mode like the SSE one', () => {
    const parser = new JSONArrayStreamParser();
    const sut = geminiCodec.createStreamDecoder(ctx());
    const text = raw('stream-text.json');
    const events: IRStreamEvent[] = [];
    for (let i = 0; i < text.length; i += 5) {
      for (const ev of parser.push(text.slice(i, i + 5))) events.push(...sut.push(ev));
    }
    events.push(...sut.end());

    expect(events.map(normalise)).toEqual(decodeSSE(raw('stream-text.sse')).map(normalise));
  });

  it('should emit an error event for an error chunk and nothing after it but the end', () => {
    const sut = geminiCodec.createStreamDecoder(ctx());
    const parser = new SSEParser();
    const events = parser.push(raw('stream-error.sse')).flatMap((e) => sut.push(e));

    expect(events.slice(-1)).toEqual([
      {
        type: 'error',
        status: 503,
        errorType: 'overloaded_error',
        message: 'The model is overloaded. Please try again later.',
      },
    ]);
    expect(sut.push({ data: '{"candidates":[{"content":{"parts":[{"text":"late"}]}}]}' })).toEqual(
      [],
    );
    expect(sut.end()).toEqual([{ type: 'end' }]);
    expect(sut.end()).toEqual([]);
  });

  it('should finish a blocked prompt with content_filter and tag other candidates', () => {
    const sut = geminiCodec.createStreamDecoder(ctx());
    const blocked = sut.push({ data: '{"promptFeedback":{"blockReason":"SAFETY"}}' });
    expect(blocked.at(-1)).toEqual({ type: 'finish', stopReason: 'content_filter' });

    const multi = geminiCodec.createStreamDecoder(ctx()).push({
      data: JSON.stringify({
        candidates: [
          { content: { parts: [{ text: 'A' }] }, index: 0 },
          { content: { parts: [{ text: 'B' }] }, finishReason: 'MAX_TOKENS', index: 1 },
        ],
      }),
    });
    expect(multi.slice(1)).toEqual([
      { type: 'text_delta', text: 'A' },
      { type: 'text_delta', text: 'B', candidate: 1 },
      { type: 'finish', stopReason: 'length', candidate: 1 },
    ]);
  });

  it('should pass code execution parts on as text', () => {
    const sut = geminiCodec.createStreamDecoder(ctx());
    const events = sut.push({
      data: JSON.stringify({
        candidates: [
          { content: { parts: [{ executableCode: { language: 'PYTHON', code: 'print(1)' } }] } },
        ],
      }),
    });
    expect(events.slice(1)).toEqual([{ type: 'text_delta', text: '```python\nprint(1)\n```\n' }]);
  });

  it('should ignore keep-alives and unparseable data', () => {
    const sut = geminiCodec.createStreamDecoder(ctx());
    expect(sut.push({ data: '' })).toEqual([]);
    expect(sut.push({ data: '{"candidates": [' })).toEqual([]);
  });
});

describe(GeminiStreamEncoder.name, () => {
  const conversation: IRStreamEvent[] = [
    { type: 'start', id: 'chatcmpl-1', model: 'gpt-x', created: 1 },
    { type: 'reasoning_delta', text: 'Thinking…' },
    { type: 'reasoning_signature', signature: 'sig-1' },
    { type: 'text_delta', text: 'Hello' },
    { type: 'text_delta', text: ' world' },
    { type: 'tool_call_start', callIndex: 0, id: 'call_9', name: 'get_weather' },
    { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"city":' },
    { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '"Oslo"}' },
    { type: 'tool_call_end', callIndex: 0 },
    { type: 'finish', stopReason: 'tool_calls' },
    { type: 'usage', usage },
    { type: 'end' },
  ];

  it('should write data: chunks with whole function calls and finish + usage last', () => {
    const chunks = chunksOf(encode(conversation));

    expect(chunks.map((c) => c.candidates[0].content.parts[0])).toEqual([
      { text: 'Thinking…', thought: true },
      { text: '', thought: true, thoughtSignature: 'sig-1' },
      { text: 'Hello' },
      { text: ' world' },
      { functionCall: { id: 'call_9', name: 'get_weather', args: { city: 'Oslo' } } },
      { text: '' },
    ]);
    for (const c of chunks) {
      expect(c.modelVersion).toBe('client-model');
      expect(c.responseId).toBe('chatcmpl-1');
    }
    expect(chunks.at(-1)).toMatchObject({
      candidates: [{ finishReason: 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: 10,
        candidatesTokenCount: 5,
        thoughtsTokenCount: 2,
        cachedContentTokenCount: 4,
        totalTokenCount: 17,
      },
    });
  });

  it('should decode its own output back into the same conversation', () => {
    const events = decodeSSE(encode(conversation).join(''));

    expect(
      events
        .filter((e) => e.type === 'text_delta')
        .map((e) => e.text)
        .join(''),
    ).toBe('Hello world');
    expect(events).toContainEqual({ type: 'reasoning_signature', signature: 'sig-1' });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'tool_call_start', id: 'call_9', name: 'get_weather' }),
    );
    expect(events).toContainEqual({ type: 'finish', stopReason: 'tool_calls' });
    expect(events).toContainEqual({ type: 'usage', usage });
  });

  it('should synthesise the response id and model when no start event came', () => {
    const chunks = chunksOf(encode([{ type: 'text_delta', text: 'hi' }, { type: 'end' }]));

    expect(chunks).toHaveLength(1);
    expect(chunks[0].modelVersion).toBe('client-model');
    expect(chunks[0].responseId).toMatch(/^[A-Za-z0-9]{22}$/);
  });

  it('should tolerate usage before finish, text after a tool call and calls never closed', () => {
    const chunks = chunksOf(
      encode([
        { type: 'usage', usage },
        { type: 'tool_call_start', callIndex: 0, id: 'a', name: 'f' },
        { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"x":1}' },
        { type: 'tool_call_end', callIndex: 0 },
        { type: 'text_delta', text: 'after' },
        { type: 'tool_call_start', callIndex: 1, id: 'b', name: 'g', signature: 'sig-g' },
        { type: 'tool_call_delta', callIndex: 1, argumentsDelta: '{"y":2}' },
        { type: 'finish', stopReason: 'tool_calls' },
        { type: 'end' },
      ]),
    );

    expect(chunks.map((c) => c.candidates[0].content.parts[0])).toEqual([
      { functionCall: { id: 'a', name: 'f', args: { x: 1 } } },
      { text: 'after' },
      { functionCall: { id: 'b', name: 'g', args: { y: 2 } }, thoughtSignature: 'sig-g' },
      { text: '' },
    ]);
    expect(chunks.at(-1)?.usageMetadata.totalTokenCount).toBe(17);
  });

  it('should stream one valid JSON array in json-array mode', () => {
    const c = ctx({ geminiStreamMode: 'json-array' });
    const sut = geminiCodec.createStreamEncoder(c);
    const out = conversation.flatMap((e) => sut.push(e)).join('');

    expect(sut.contentType).toBe('application/json');
    const parsed = JSON.parse(out) as Json[];
    expect(parsed).toHaveLength(6);
    expect(parsed[4].candidates[0].content.parts[0].functionCall.args).toEqual({ city: 'Oslo' });
    expect(out).toContain(',\r\n');

    const empty = geminiCodec.createStreamEncoder(ctx({ geminiStreamMode: 'json-array' }));
    expect(empty.push({ type: 'end' })).toEqual(['[]']);
  });

  it('should render an error as a Google error chunk and terminate the stream', () => {
    const sut = geminiCodec.createStreamEncoder(ctx());
    expect(sut.contentType).toBe('text/event-stream');
    sut.push({ type: 'text_delta', text: 'partial' });
    const frames = sut.push({
      type: 'error',
      status: 429,
      errorType: 'rate_limit_error',
      message: 'Quota exceeded',
    });

    expect(chunksOf(frames)).toEqual([
      { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } },
    ]);
    expect(sut.push({ type: 'text_delta', text: 'more' })).toEqual([]);
    expect(sut.push({ type: 'end' })).toEqual([]);

    const arr = geminiCodec.createStreamEncoder(ctx({ geminiStreamMode: 'json-array' }));
    const text = [
      ...arr.push({ type: 'text_delta', text: 'x' }),
      ...arr.push({ type: 'error', status: 500, errorType: 'api_error', message: 'boom' }),
    ].join('');
    expect((JSON.parse(text) as unknown[]).at(-1)).toEqual({
      error: { code: 500, message: 'boom', status: 'INTERNAL' },
    });
  });

  it('should relay a Gemini stream to a Gemini client with the same content', () => {
    const c = ctx({ requestedModel: 'gemini-2.5-pro' });
    const original = chunksOf([raw('stream-thinking-tool.sse')]);
    const relayed = chunksOf(encode(decodeSSE(raw('stream-thinking-tool.sse'), 40, c), c));

    const textOf = (chunks: Json[], thought: boolean) =>
      chunks
        .flatMap((ch) => ch.candidates?.[0]?.content?.parts ?? [])
        .filter((p: Json) => typeof p.text === 'string' && !!p.thought === thought)
        .map((p: Json) => p.text)
        .join('');
    expect(textOf(relayed, false)).toBe(textOf(original, false));
    expect(textOf(relayed, true)).toBe(textOf(original, true));
    const call = (chunks: Json[]) =>
      chunks.flatMap((ch) => ch.candidates[0].content.parts).find((p: Json) => p.functionCall);
    expect(call(relayed).functionCall.args).toEqual(call(original).functionCall.args);
    expect(call(relayed).thoughtSignature).toBe(call(original).thoughtSignature);
    expect(relayed.at(-1)?.usageMetadata).toEqual({
      promptTokenCount: 142,
      candidatesTokenCount: 38,
      thoughtsTokenCount: 111,
      cachedContentTokenCount: 96,
      totalTokenCount: 291,
    });
    expect(relayed.at(-1)?.candidates[0].finishReason).toBe('STOP');
  });
});

/** Blank out what differs between runs (timestamps, random call ids). */
function normalise(e: IRStreamEvent): IRStreamEvent {
  if (e.type === 'start') return { ...e, created: 0 };
  if (e.type === 'tool_call_start') return { ...e, id: 'call' };
  return e;
}
