import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRStreamEvent, IRUsage, SSEEvent } from '@app/llm/ir/types';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { shortenToolName } from '@app/llm/util/tool-names';
import { OpenAIStreamDecoder, OpenAIStreamEncoder } from '@app/llm/formats/openai/stream';
import { STATE_LEGACY_FUNCTIONS } from '@app/llm/formats/openai/wire';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/openai');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const ctxFor = (over: Partial<TranslationContext> = {}): TranslationContext =>
  createContext({ upstreamModel: 'gpt-4.1-2025-04-14', requestedModel: 'gpt-4.1', ...over });

/** Parse raw SSE text into events, fed in reads of `step` characters. */
function sseEvents(text: string, step = text.length): SSEEvent[] {
  const parser = new SSEParser();
  const out: SSEEvent[] = [];
  for (let i = 0; i < text.length; i += step) out.push(...parser.push(text.slice(i, i + step)));
  out.push(...parser.end());
  return out;
}

/** Run a whole SSE capture through a fresh decoder (end() included). */
function decode(text: string, ctx = ctxFor(), step?: number): IRStreamEvent[] {
  const sut = new OpenAIStreamDecoder(ctx);
  const events: IRStreamEvent[] = [];
  for (const ev of sseEvents(text, step)) events.push(...sut.push(ev));
  events.push(...sut.end());
  return events;
}

const dataLine = (chunk: unknown): SSEEvent => ({ data: JSON.stringify(chunk) });

interface WireToolCall {
  index: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}
interface WireChoice {
  index: number;
  delta: {
    role?: string;
    content?: string;
    reasoning_content?: string;
    tool_calls?: WireToolCall[];
    function_call?: { name?: string; arguments?: string };
  };
  logprobs: null;
  finish_reason: string | null;
}
interface WireChunk {
  id: string;
  created: number;
  model: string;
  choices: WireChoice[];
  usage?: Record<string, unknown>;
}

/** Parse encoder output frames back into their JSON chunks (the [DONE] frame is checked apart). */
function payloads(frames: string[]): WireChunk[] {
  const events = sseEvents(frames.join(''));
  expect(events[events.length - 1]?.data).toBe('[DONE]');
  return events.slice(0, -1).map((ev) => JSON.parse(ev.data) as WireChunk);
}

/** Assemble OpenAI chunks the way a client does: text and tool calls per choice. */
function assemble(chunks: WireChunk[]) {
  let text = '';
  let reasoning = '';
  let finish: string | undefined;
  let usage: Record<string, unknown> | undefined;
  const calls: { id?: string; name?: string; type?: string; args: string }[] = [];
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      const d = choice.delta;
      if (d.content) text += d.content;
      if (d.reasoning_content) reasoning += d.reasoning_content;
      for (const tc of d.tool_calls ?? []) {
        const call = (calls[tc.index] ??= { args: '' });
        if (tc.id) call.id = tc.id;
        if (tc.type) call.type = tc.type;
        if (tc.function?.name) call.name = tc.function.name;
        if (tc.function?.arguments) call.args += tc.function.arguments;
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  return { text, reasoning, finish, usage, calls };
}

const USAGE: IRUsage = {
  inputTokens: 412,
  outputTokens: 35,
  reasoningTokens: 0,
  cachedTokens: 128,
  totalTokens: 447,
};

describe(OpenAIStreamDecoder.name, () => {
  it('should decode a text stream into start, text deltas, finish, usage and one end', () => {
    const events = decode(fixture('stream-text.sse'));

    expect(events[0]).toEqual({
      type: 'start',
      id: 'chatcmpl-C3nYq8sLkV2bWdT0rXfJ5mHgA1zPe',
      model: 'gpt-4o-2024-08-06',
      created: 1754921337,
    });
    const text = events.map((e) => (e.type === 'text_delta' ? e.text : '')).join('');
    expect(text).toBe('Hello! How can I help you today?');
    expect(events.filter((e) => e.type === 'finish')).toEqual([
      { type: 'finish', stopReason: 'stop' },
    ]);
    expect(events.filter((e) => e.type === 'usage')).toEqual([
      {
        type: 'usage',
        usage: {
          inputTokens: 19,
          outputTokens: 10,
          reasoningTokens: 0,
          cachedTokens: 0,
          totalTokens: 29,
        },
      },
    ]);
    expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
    expect(events[events.length - 1]).toEqual({ type: 'end' });
  });

  it('should emit end at [DONE] and nothing more from end() or later events', () => {
    const sut = new OpenAIStreamDecoder(ctxFor());

    expect(sut.push({ data: '[DONE]' })).toEqual([{ type: 'end' }]);
    expect(sut.end()).toEqual([]);
    expect(
      sut.push(dataLine({ id: 'x', choices: [{ index: 0, delta: { content: 'late' } }] })),
    ).toEqual([]);
  });

  it('should assemble parallel tool calls whose arguments span many chunks', () => {
    const events = decode(fixture('stream-tool-calls.sse'));

    const starts = events.filter((e) => e.type === 'tool_call_start');
    expect(starts).toEqual([
      {
        type: 'tool_call_start',
        callIndex: 0,
        id: 'call_jR4nW8sT2vB6xK0pL3mQ9yZc',
        name: 'get_weather',
      },
      {
        type: 'tool_call_start',
        callIndex: 1,
        id: 'call_Hd7fG1kP5sV9wN3bX8cM2tRa',
        name: 'get_time',
      },
    ]);
    const args = (i: number) =>
      events
        .map((e) => (e.type === 'tool_call_delta' && e.callIndex === i ? e.argumentsDelta : ''))
        .join('');
    expect(JSON.parse(args(0))).toEqual({ location: 'Berlin, Germany', unit: 'celsius' });
    expect(JSON.parse(args(1))).toEqual({ timezone: 'Europe/Berlin' });
    // Both calls close before the finish event.
    const types = events.map((e) => e.type);
    const finishAt = types.indexOf('finish');
    expect(types.lastIndexOf('tool_call_end')).toBeLessThan(finishAt);
    expect(events.filter((e) => e.type === 'tool_call_end')).toHaveLength(2);
    expect(events[finishAt]).toEqual({ type: 'finish', stopReason: 'tool_calls' });
    expect(events.find((e) => e.type === 'usage')).toMatchObject({ usage: { cachedTokens: 1920 } });
  });

  it('should produce the same events whatever the network read size', () => {
    const whole = decode(fixture('stream-tool-calls.sse'));

    for (const step of [1, 7, 64, 333]) {
      expect(decode(fixture('stream-tool-calls.sse'), ctxFor(), step)).toEqual(whole);
    }
  });

  it('should keep parallel tool calls apart when their chunks interleave by index', () => {
    const sut = new OpenAIStreamDecoder(ctxFor());
    const chunk = (tool_calls: unknown[]) =>
      dataLine({ id: 'chatcmpl-i', choices: [{ index: 0, delta: { tool_calls } }] });
    const events = [
      chunk([
        { index: 0, id: 'call_a', type: 'function', function: { name: 'read', arguments: '' } },
        { index: 1, id: 'call_b', type: 'function', function: { name: 'write', arguments: '{"p' } },
      ]),
      chunk([{ index: 0, function: { arguments: '{"path":' } }]),
      chunk([{ index: 1, function: { arguments: 'ath":"/tmp/b",' } }]),
      chunk([{ index: 0, function: { arguments: '"/tmp/a"}' } }]),
      chunk([{ index: 1, function: { arguments: '"data":"x"}' } }]),
      dataLine({
        id: 'chatcmpl-i',
        choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
      }),
    ].flatMap((ev) => sut.push(ev));

    const collected = new Map<number, { id: string; name: string; args: string }>();
    for (const e of events) {
      if (e.type === 'tool_call_start')
        collected.set(e.callIndex, { id: e.id, name: e.name, args: '' });
      if (e.type === 'tool_call_delta') collected.get(e.callIndex)!.args += e.argumentsDelta;
    }
    expect(collected.get(0)).toEqual({ id: 'call_a', name: 'read', args: '{"path":"/tmp/a"}' });
    expect(collected.get(1)).toEqual({
      id: 'call_b',
      name: 'write',
      args: '{"path":"/tmp/b","data":"x"}',
    });
  });

  it('should tell calls apart when a host omits the index or reuses index 0 with new ids', () => {
    const sut = new OpenAIStreamDecoder(ctxFor());
    const chunk = (tool_calls: unknown[]) =>
      dataLine({ choices: [{ index: 0, delta: { tool_calls } }] });
    const events = [
      chunk([{ id: 'call_1', function: { name: 'a', arguments: '{"x":' } }]),
      chunk([{ function: { arguments: '1}' } }]),
      chunk([{ index: 0, id: 'call_2', function: { name: 'b', arguments: '{}' } }]),
      chunk([{ index: 0, id: 'call_3', function: { name: 'c', arguments: '{}' } }]),
    ].flatMap((ev) => sut.push(ev));

    expect(events.filter((e) => e.type === 'tool_call_start').map((e) => e.callIndex)).toEqual([
      0, 1, 2,
    ]);
    expect(
      events
        .filter((e) => e.type === 'tool_call_delta')
        .map((e) => [e.callIndex, e.argumentsDelta]),
    ).toEqual([
      [0, '{"x":'],
      [0, '1}'],
      [1, '{}'],
      [2, '{}'],
    ]);
  });

  it('should decode reasoning_content deltas and usage sent with the finish chunk', () => {
    const events = decode(fixture('stream-reasoning.sse'));

    const reasoning = events.map((e) => (e.type === 'reasoning_delta' ? e.text : '')).join('');
    const text = events.map((e) => (e.type === 'text_delta' ? e.text : '')).join('');
    expect(reasoning).toBe('Compare 9.11 and 9.9: the decimals are 0.11 and 0.90.');
    expect(text).toBe('9.11 is smaller than 9.9.');
    const firstText = events.findIndex((e) => e.type === 'text_delta');
    expect(events.findIndex((e) => e.type === 'reasoning_delta')).toBeLessThan(firstText);
    expect(events.find((e) => e.type === 'usage')).toEqual({
      type: 'usage',
      usage: {
        inputTokens: 17,
        outputTokens: 142,
        reasoningTokens: 121,
        cachedTokens: 0,
        totalTokens: 159,
      },
    });
  });

  it('should turn an error payload into an error event and still end once', () => {
    const events = decode(fixture('stream-error.sse'));

    expect(events.filter((e) => e.type === 'error')).toEqual([
      {
        type: 'error',
        status: 500,
        errorType: 'api_error',
        message: 'The server had an error while processing your request. Sorry about that!',
      },
    ]);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['error', 'end']);
  });

  it('should take the status of a compatible host error from its code', () => {
    const sut = new OpenAIStreamDecoder(ctxFor());

    expect(
      sut.push(dataLine({ error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } })),
    ).toEqual([{ type: 'error', status: 429, errorType: 'rate_limit_error', message: 'quota' }]);
  });

  it('should close open tool calls when the stream ends without [DONE]', () => {
    const sut = new OpenAIStreamDecoder(ctxFor());
    sut.push(
      dataLine({
        id: 'chatcmpl-x',
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '{' } }] },
          },
        ],
      }),
    );

    expect(sut.end()).toEqual([{ type: 'tool_call_end', callIndex: 0 }, { type: 'end' }]);
    expect(sut.end()).toEqual([]);
  });

  it('should restore shortened tool names and call a stop after tool calls tool_calls', () => {
    const ctx = ctxFor();
    const long = `browser_${'navigate_and_capture_screenshot_'.repeat(3)}`;
    const short = shortenToolName(long, ctx);
    const sut = new OpenAIStreamDecoder(ctx);
    const events = [
      dataLine({
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index: 0, id: 'c1', function: { name: short, arguments: '{}' } }],
            },
          },
        ],
      }),
      dataLine({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
    ].flatMap((ev) => sut.push(ev));

    expect(events.find((e) => e.type === 'tool_call_start')).toMatchObject({ name: long });
    expect(events.find((e) => e.type === 'finish')).toEqual({
      type: 'finish',
      stopReason: 'tool_calls',
    });
  });

  it('should number choices other than 0 as candidates', () => {
    const sut = new OpenAIStreamDecoder(ctxFor());
    const events = sut.push(
      dataLine({
        choices: [
          { index: 0, delta: { content: 'A' } },
          { index: 1, delta: { content: 'B' }, finish_reason: 'length' },
        ],
      }),
    );

    expect(events.slice(1)).toEqual([
      { type: 'text_delta', text: 'A' },
      { type: 'text_delta', text: 'B', candidate: 1 },
      { type: 'finish', stopReason: 'length', candidate: 1 },
    ]);
  });

  it('should read legacy function_call deltas as one tool call', () => {
    const sut = new OpenAIStreamDecoder(ctxFor());
    const events = [
      dataLine({
        choices: [
          {
            index: 0,
            delta: { role: 'assistant', function_call: { name: 'lookup', arguments: '' } },
          },
        ],
      }),
      dataLine({ choices: [{ index: 0, delta: { function_call: { arguments: '{"q":' } } }] }),
      dataLine({ choices: [{ index: 0, delta: { function_call: { arguments: '"x"}' } } }] }),
      dataLine({ choices: [{ index: 0, delta: {}, finish_reason: 'function_call' }] }),
    ].flatMap((ev) => sut.push(ev));

    expect(events.filter((e) => e.type === 'tool_call_start')).toEqual([
      {
        type: 'tool_call_start',
        callIndex: 0,
        id: expect.stringMatching(/^call_/),
        name: 'lookup',
      },
    ]);
    expect(events.map((e) => (e.type === 'tool_call_delta' ? e.argumentsDelta : '')).join('')).toBe(
      '{"q":"x"}',
    );
    expect(events[events.length - 1]).toEqual({ type: 'finish', stopReason: 'tool_calls' });
  });

  it('should emit one finish per choice when a host repeats finish_reason', () => {
    const sut = new OpenAIStreamDecoder(ctxFor());
    const events = [
      dataLine({ choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'length' }] }),
      dataLine({
        choices: [{ index: 0, delta: {}, finish_reason: 'length' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
    ].flatMap((ev) => sut.push(ev));

    expect(events.filter((e) => e.type === 'finish')).toEqual([
      { type: 'finish', stopReason: 'length' },
    ]);
    expect(events.filter((e) => e.type === 'usage')).toHaveLength(1);
  });

  it('should skip empty and malformed data lines', () => {
    const sut = new OpenAIStreamDecoder(ctxFor());

    expect(sut.push({ data: '' })).toEqual([]);
    expect(sut.push({ data: 'not json' })).toEqual([]);
  });
});

describe(OpenAIStreamEncoder.name, () => {
  const start: IRStreamEvent = {
    type: 'start',
    id: 'msg_01',
    model: 'claude-sonnet-4',
    created: 1754921530,
  };

  it('should emit role chunk, content, tool call, finish, usage chunk and [DONE] in order', () => {
    const sut = new OpenAIStreamEncoder(ctxFor({ includeUsage: true }));
    const frames = [
      start,
      { type: 'text_delta', text: 'Let me check.' },
      { type: 'tool_call_start', callIndex: 0, id: 'toolu_01', name: 'get_weather' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"city":' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '"Berlin"}' },
      { type: 'tool_call_end', callIndex: 0 },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: USAGE },
      { type: 'end' },
    ].flatMap((ev) => sut.push(ev as IRStreamEvent));

    for (const frame of frames) expect(frame).toMatch(/^data: .*\n\n$/s);
    const chunks = payloads(frames);
    const first = chunks[0];
    expect(first).toEqual({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion.chunk',
      created: 1754921530,
      model: 'gpt-4.1',
      system_fingerprint: null,
      choices: [
        {
          index: 0,
          delta: { role: 'assistant', content: '', refusal: null },
          logprobs: null,
          finish_reason: null,
        },
      ],
    });
    // Every chunk shares id, created and model.
    for (const c of chunks.slice(0, -1)) {
      expect(c).toMatchObject({ id: first.id, created: 1754921530, model: 'gpt-4.1' });
    }
    expect(chunks[1].choices[0].delta).toEqual({ content: 'Let me check.' });
    expect(chunks[2].choices[0].delta).toEqual({
      tool_calls: [
        {
          index: 0,
          id: 'toolu_01',
          type: 'function',
          function: { name: 'get_weather', arguments: '' },
        },
      ],
    });
    expect(chunks[3].choices[0].delta).toEqual({
      tool_calls: [{ index: 0, function: { arguments: '{"city":' } }],
    });
    expect(chunks[5].choices[0]).toEqual({
      index: 0,
      delta: {},
      logprobs: null,
      finish_reason: 'tool_calls',
    });
    expect(chunks[6].choices).toEqual([]);
    expect(chunks[6].usage).toEqual({
      prompt_tokens: 412,
      completion_tokens: 35,
      total_tokens: 447,
      prompt_tokens_details: { cached_tokens: 128, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    });
    expect(chunks).toHaveLength(7);
  });

  it('should synthesise the start from the context when no start event arrives', () => {
    const sut = new OpenAIStreamEncoder(ctxFor());
    const frames = [
      { type: 'text_delta', text: 'Hi' },
      { type: 'finish', stopReason: 'stop' },
      { type: 'end' },
    ].flatMap((ev) => sut.push(ev as IRStreamEvent));

    const chunks = payloads(frames);
    expect(chunks[0]).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-[A-Za-z0-9]{24}$/),
      model: 'gpt-4.1',
      choices: [{ delta: { role: 'assistant', content: '' } }],
    });
    expect(typeof chunks[0].created).toBe('number');
    expect(assemble(chunks)).toMatchObject({ text: 'Hi', finish: 'stop' });
  });

  it('should reuse an upstream chatcmpl id', () => {
    const sut = new OpenAIStreamEncoder(ctxFor());
    const frames = sut.push({ type: 'start', id: 'chatcmpl-abc', model: 'm', created: 1 });

    expect(frames[0]).toMatch(/^data: \{"id":"chatcmpl-abc",/);
  });

  it('should leave out the usage chunk unless the client asked for it, wherever usage arrives', () => {
    const sut = new OpenAIStreamEncoder(ctxFor());
    const frames = [
      start,
      { type: 'usage', usage: USAGE },
      { type: 'text_delta', text: 'x' },
      { type: 'finish', stopReason: 'stop' },
      { type: 'usage', usage: USAGE },
      { type: 'end' },
    ].flatMap((ev) => sut.push(ev as IRStreamEvent));

    const chunks = payloads(frames);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
  });

  it('should emit the last usage when it arrives before finish', () => {
    const sut = new OpenAIStreamEncoder(ctxFor({ includeUsage: true }));
    const frames = [
      start,
      { type: 'usage', usage: { ...USAGE, outputTokens: 1 } },
      { type: 'usage', usage: USAGE },
      { type: 'finish', stopReason: 'stop' },
      { type: 'end' },
    ].flatMap((ev) => sut.push(ev as IRStreamEvent));

    expect(assemble(payloads(frames)).usage).toMatchObject({ completion_tokens: 35 });
  });

  it('should keep tool indexes dense and accept text and reasoning after a tool call', () => {
    const sut = new OpenAIStreamEncoder(ctxFor());
    const frames = [
      start,
      { type: 'reasoning_delta', text: 'Plan: ' },
      { type: 'tool_call_start', callIndex: 3, id: 'c3', name: 'a' },
      { type: 'tool_call_delta', callIndex: 3, argumentsDelta: '{}' },
      { type: 'text_delta', text: 'between' },
      { type: 'reasoning_delta', text: 'more' },
      { type: 'tool_call_start', callIndex: 7, id: 'c7', name: 'b' },
      { type: 'tool_call_delta', callIndex: 7, argumentsDelta: '{"k":1}' },
      { type: 'finish', stopReason: 'stop' },
      { type: 'end' },
    ].flatMap((ev) => sut.push(ev as IRStreamEvent));

    const result = assemble(payloads(frames));
    expect(result.calls).toEqual([
      { id: 'c3', type: 'function', name: 'a', args: '{}' },
      { id: 'c7', type: 'function', name: 'b', args: '{"k":1}' },
    ]);
    expect(result.text).toBe('between');
    expect(result.reasoning).toBe('Plan: more');
    expect(result.finish).toBe('tool_calls'); // a plain stop after tool calls
  });

  it('should open a tool call whose start never came', () => {
    const sut = new OpenAIStreamEncoder(ctxFor());
    const frames = [
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"a":1}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'end' },
    ].flatMap((ev) => sut.push(ev as IRStreamEvent));

    const result = assemble(payloads(frames));
    expect(result.calls).toEqual([
      { id: expect.stringMatching(/^call_/), type: 'function', args: '{"a":1}' },
    ]);
  });

  it('should render an error as an error payload followed by [DONE], then stay silent', () => {
    const sut = new OpenAIStreamEncoder(ctxFor());
    sut.push(start);
    const frames = sut.push({
      type: 'error',
      status: 529,
      errorType: 'overloaded_error',
      message: 'Overloaded',
    });

    expect(frames).toEqual([
      'data: {"error":{"message":"Overloaded","type":"overloaded_error","param":null,"code":null}}\n\n',
      'data: [DONE]\n\n',
    ]);
    expect(sut.push({ type: 'text_delta', text: 'x' })).toEqual([]);
    expect(sut.push({ type: 'end' })).toEqual([]);
  });

  it('should emit one finish per choice and nothing for a choice after its finish', () => {
    const sut = new OpenAIStreamEncoder(ctxFor());
    const frames = [
      start,
      { type: 'text_delta', text: 'a' },
      { type: 'text_delta', text: 'b', candidate: 1 },
      { type: 'finish', stopReason: 'length', candidate: 1 },
      { type: 'finish', stopReason: 'stop' },
      { type: 'finish', stopReason: 'stop' },
      { type: 'text_delta', text: 'late' },
      { type: 'end' },
    ].flatMap((ev) => sut.push(ev as IRStreamEvent));

    const chunks = payloads(frames);
    const finishes = chunks.flatMap((c) =>
      c.choices.filter((ch) => ch.finish_reason).map((ch) => [ch.index, ch.finish_reason]),
    );
    expect(finishes).toEqual([
      [1, 'length'],
      [0, 'stop'],
    ]);
    const roles = chunks.flatMap((c) =>
      c.choices.filter((ch) => ch.delta.role).map((ch) => ch.index),
    );
    expect(roles).toEqual([0, 1]);
    expect(chunks.some((c) => c.choices[0]?.delta.content === 'late')).toBe(false);
  });

  it('should answer a legacy functions client with function_call deltas', () => {
    const ctx = ctxFor();
    ctx.state[STATE_LEGACY_FUNCTIONS] = true;
    const sut = new OpenAIStreamEncoder(ctx);
    const frames = [
      start,
      { type: 'tool_call_start', callIndex: 0, id: 'c', name: 'lookup' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"q":1}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'end' },
    ].flatMap((ev) => sut.push(ev as IRStreamEvent));

    const chunks = payloads(frames);
    expect(chunks[1].choices[0].delta).toEqual({
      function_call: { name: 'lookup', arguments: '' },
    });
    expect(chunks[2].choices[0].delta).toEqual({ function_call: { arguments: '{"q":1}' } });
    expect(chunks[3].choices[0].finish_reason).toBe('function_call');
  });

  it('should re-encode a decoded upstream stream into an equivalent OpenAI stream', () => {
    const ctx = ctxFor({ includeUsage: true });
    const encoder = new OpenAIStreamEncoder(ctx);
    const frames = decode(fixture('stream-text-tool.sse'), ctx).flatMap((ev) => encoder.push(ev));

    const result = assemble(payloads(frames));
    expect(result.text).toBe('Let me check the weather in Berlin.');
    expect(result.calls).toEqual([
      {
        id: 'call_Vx2bN7qK4mT9sR1wL6pD3hYe',
        type: 'function',
        name: 'get_weather',
        args: '{"location":"Berlin, Germany","unit":"celsius"}',
      },
    ]);
    expect(result.finish).toBe('tool_calls');
    expect(result.usage).toMatchObject({
      prompt_tokens: 412,
      completion_tokens: 35,
      total_tokens: 447,
    });
    expect(frames[frames.length - 1]).toBe('data: [DONE]\n\n');
    expect(frames.filter((f) => f === 'data: [DONE]\n\n')).toHaveLength(1);
  });
});
