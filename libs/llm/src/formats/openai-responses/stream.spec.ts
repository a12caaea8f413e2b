import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRStreamEvent, IRUsage } from '@app/llm/ir/types';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { shortenToolName } from '@app/llm/util/tool-names';
import { ResponsesStreamDecoder } from '@app/llm/formats/openai-responses/stream';
import { ResponsesStreamEncoder } from '@app/llm/formats/openai-responses/stream-encoder';

const FIXTURES = join(__dirname, '../../../../../test/fixtures');

/** Raw SSE fixture bytes → parsed SSE events, framed exactly as the proxy frames them. */
function sseFixture(path: string) {
  const parser = new SSEParser();
  return [...parser.push(readFileSync(join(FIXTURES, path), 'utf8')), ...parser.end()];
}

const ctx = () => createContext({ upstreamModel: 'gpt-5', requestedModel: 'gpt-5' });

function decode(path: string, c: TranslationContext = ctx()): IRStreamEvent[] {
  const sut = new ResponsesStreamDecoder(c);
  const out: IRStreamEvent[] = [];
  for (const ev of sseFixture(path)) out.push(...sut.push(ev));
  out.push(...sut.end());
  return out;
}

const textOf = (events: IRStreamEvent[], type: 'text_delta' | 'reasoning_delta') =>
  events.map((e) => (e.type === type ? e.text : '')).join('');

function argsOf(events: IRStreamEvent[], callIndex: number): string {
  let out = '';
  for (const e of events)
    if (e.type === 'tool_call_delta' && e.callIndex === callIndex) out += e.argumentsDelta;
  return out;
}

const usage: IRUsage = {
  inputTokens: 10,
  outputTokens: 5,
  reasoningTokens: 2,
  cachedTokens: 4,
  totalTokens: 15,
};

describe(ResponsesStreamDecoder.name, () => {
  it('should decode a text stream into start, text, usage, finish and one end', () => {
    const events = decode('openai-responses/stream-text.sse');
    expect(events[0]).toEqual({
      type: 'start',
      id: 'resp_67c9fdcecf488190bdd9a0409de3a1ec07b8b0ad4e5eb654',
      model: 'gpt-4.1-2025-04-14',
      created: 1741290958,
    });
    expect(textOf(events, 'text_delta')).toBe('Hi there! How can I help you today?');
    expect(events.slice(-3)).toEqual([
      {
        type: 'usage',
        usage: {
          inputTokens: 37,
          outputTokens: 11,
          reasoningTokens: 0,
          cachedTokens: 0,
          totalTokens: 48,
        },
      },
      { type: 'finish', stopReason: 'stop' },
      { type: 'end' },
    ]);
    expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'start')).toHaveLength(1);
  });

  it('should decode reasoning, text and a tool call with assembled arguments', () => {
    const events = decode('openai-responses/stream-reasoning-text-tool.sse');
    expect(textOf(events, 'reasoning_delta')).toBe(
      '**Deciding on the tool**\n\nThe user wants current weather, so I will call get_weather.',
    );
    expect(textOf(events, 'text_delta')).toBe('Let me check the weather in Paris.');
    expect(events).toContainEqual({
      type: 'tool_call_start',
      callIndex: 0,
      id: 'call_ZQ7Hk2LmN9pRt4Vx6Yb1Cd3F',
      name: 'get_weather',
    });
    expect(JSON.parse(argsOf(events, 0))).toEqual({ location: 'Paris, France', unit: 'celsius' });
    expect(events.filter((e) => e.type === 'tool_call_end')).toEqual([
      { type: 'tool_call_end', callIndex: 0 },
    ]);
    expect(events.find((e) => e.type === 'finish')).toEqual({
      type: 'finish',
      stopReason: 'tool_calls',
    });
    expect(events.find((e) => e.type === 'usage')).toMatchObject({
      usage: { cachedTokens: 128, reasoningTokens: 128 },
    });
  });

  it('should number parallel function calls in order of appearance', () => {
    const events = decode('openai-responses/stream-parallel-tools.sse');
    const starts = events.filter((e) => e.type === 'tool_call_start');
    expect(starts.map((s) => s.type === 'tool_call_start' && [s.callIndex, s.id])).toEqual([
      [0, 'call_Vx3Nq2uDk8YqL0tWb7RrA1sE'],
      [1, 'call_9KpR4mTz0cJhW2eYs6LqB8dN'],
    ]);
    expect(JSON.parse(argsOf(events, 0))).toEqual({ location: 'Paris, France', unit: 'celsius' });
    expect(JSON.parse(argsOf(events, 1))).toEqual({ location: 'Tokyo, Japan', unit: 'celsius' });
  });

  it('should map response.incomplete to length and response.failed to an error event', () => {
    const incomplete = decode('openai-responses/stream-incomplete.sse');
    expect(incomplete.find((e) => e.type === 'finish')).toEqual({
      type: 'finish',
      stopReason: 'length',
    });
    const failed = decode('openai-responses/stream-failed.sse');
    expect(failed.slice(-2)).toEqual([
      {
        type: 'error',
        status: 500,
        errorType: 'api_error',
        message: expect.stringMatching(/^The model produced invalid content/),
      },
      { type: 'end' },
    ]);
    expect(failed.some((e) => e.type === 'finish')).toBe(false);
  });

  it('should join Codex summary parts and emit encrypted reasoning as a signature', () => {
    const events = decode('codex/stream-reasoning-text-tool.sse');
    expect(textOf(events, 'reasoning_delta')).toBe(
      '**Planning the count**\n\nI need to run find in src.\n\n**Running the command**\n\nCalling the shell tool now.',
    );
    const sig = events.find((e) => e.type === 'reasoning_signature');
    expect(sig).toEqual({
      type: 'reasoning_signature',
      encrypted: expect.stringMatching(/^gAAAAAB/),
    });
    // The signature closes the reasoning: it comes after the last reasoning delta, before text.
    const sigAt = events.indexOf(sig!);
    expect(events.findIndex((e) => e.type === 'text_delta')).toBeGreaterThan(sigAt);
    expect(JSON.parse(argsOf(events, 0))).toEqual({
      command: ['bash', '-lc', "find src -name '*.ts' | wc -l"],
      workdir: '/home/dev/project',
    });
  });

  it('should take whole arguments from output_item.done when no deltas came', () => {
    const sut = new ResponsesStreamDecoder(ctx());
    const item = {
      id: 'fc_1',
      type: 'function_call',
      status: 'completed',
      call_id: 'call_1',
      name: 'lookup',
      arguments: '{"q":"x"}',
    };
    const out = [
      ...sut.push({
        data: JSON.stringify({ type: 'response.output_item.done', output_index: 0, item }),
      }),
      ...sut.end(),
    ];
    expect(out).toEqual([
      expect.objectContaining({ type: 'start' }),
      { type: 'tool_call_start', callIndex: 0, id: 'call_1', name: 'lookup' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"q":"x"}' },
      { type: 'tool_call_end', callIndex: 0 },
      { type: 'end' },
    ]);
  });

  it('should restore shortened tool names', () => {
    const c = ctx();
    const long = `mcp__server__${'y'.repeat(70)}`;
    const short = shortenToolName(long, c);
    const sut = new ResponsesStreamDecoder(c);
    const item = {
      id: 'fc_1',
      type: 'function_call',
      call_id: 'call_1',
      name: short,
      arguments: '',
    };
    const out = sut.push({
      event: 'response.output_item.added',
      data: JSON.stringify({ type: 'response.output_item.added', output_index: 0, item }),
    });
    expect(out).toContainEqual({ type: 'tool_call_start', callIndex: 0, id: 'call_1', name: long });
  });

  it('should turn an error event into an IR error and end once', () => {
    const sut = new ResponsesStreamDecoder(ctx());
    const out = sut.push({
      event: 'error',
      data: JSON.stringify({
        type: 'error',
        sequence_number: 3,
        code: 'rate_limit_exceeded',
        message: 'Slow down',
        param: null,
      }),
    });
    expect(out.slice(-2)).toEqual([
      { type: 'error', status: 429, errorType: 'rate_limit_error', message: 'Slow down' },
      { type: 'end' },
    ]);
    expect(sut.end()).toEqual([]);
    expect(sut.push({ data: '{"type":"response.output_text.delta","delta":"x"}' })).toEqual([]);
  });

  it('should close open calls and end when the upstream stream is cut short', () => {
    const sut = new ResponsesStreamDecoder(ctx());
    const item = { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '' };
    sut.push({
      data: JSON.stringify({ type: 'response.output_item.added', output_index: 0, item }),
    });
    sut.push({
      data: JSON.stringify({
        type: 'response.function_call_arguments.delta',
        item_id: 'fc_1',
        output_index: 0,
        delta: '{"a"',
      }),
    });
    expect(sut.end()).toEqual([{ type: 'tool_call_end', callIndex: 0 }, { type: 'end' }]);
    expect(sut.end()).toEqual([]);
  });

  it('should ignore keep-alives, [DONE] and unknown events', () => {
    const sut = new ResponsesStreamDecoder(ctx());
    expect(sut.push({ data: '[DONE]' })).toEqual([]);
    expect(sut.push({ data: '{"type":"keepalive","sequence_number":1}' })).toEqual([]);
    expect(sut.push({ data: '{"type":"response.web_search_call.searching"}' })).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

interface Frame {
  event: string | undefined;
  data: Record<string, unknown>;
}

function encode(events: IRStreamEvent[], c: TranslationContext = ctx()): Frame[] {
  const sut = new ResponsesStreamEncoder(c);
  const parser = new SSEParser();
  const frames: Frame[] = [];
  for (const ev of events) {
    for (const chunk of sut.push(ev)) {
      for (const sse of parser.push(chunk)) {
        frames.push({ event: sse.event, data: JSON.parse(sse.data) as Record<string, unknown> });
      }
    }
  }
  return frames;
}

/** The invariants every Responses client relies on. */
function expectWellFormed(frames: Frame[], terminal = 'response.completed'): void {
  expect(frames.map((f) => f.data.sequence_number)).toEqual(frames.map((_, i) => i));
  for (const f of frames) expect(f.event).toBe(f.data.type);
  expect(frames[0].data.type).toBe('response.created');
  expect(frames[1].data.type).toBe('response.in_progress');
  const terminals = frames.filter((f) =>
    ['response.completed', 'response.failed', 'response.incomplete'].includes(
      f.data.type as string,
    ),
  );
  expect(terminals).toHaveLength(1);
  expect(frames[frames.length - 1].data.type).toBe(terminal);
  // Items are added with output_index 0,1,2… and every added item is done exactly once.
  const added = frames.filter((f) => f.data.type === 'response.output_item.added');
  const done = frames.filter((f) => f.data.type === 'response.output_item.done');
  expect(added.map((f) => f.data.output_index)).toEqual(added.map((_, i) => i));
  expect(done.map((f) => f.data.output_index).sort()).toEqual(added.map((_, i) => i));
  // Every delta points at an item that is open (added, not yet done).
  const open = new Set<unknown>();
  for (const f of frames) {
    if (f.data.type === 'response.output_item.added') open.add(f.data.output_index);
    else if (f.data.type === 'response.output_item.done') open.delete(f.data.output_index);
    else if ('output_index' in f.data) expect(open.has(f.data.output_index)).toBe(true);
  }
}

const finalResponse = (frames: Frame[]) =>
  frames[frames.length - 1].data.response as Record<string, unknown>;

describe(ResponsesStreamEncoder.name, () => {
  it('should render text, a tool call, usage and one response.completed', () => {
    const frames = encode([
      { type: 'start', id: 'msg_01', model: 'claude-x', created: 1700000000 },
      { type: 'text_delta', text: 'Let me ' },
      { type: 'text_delta', text: 'check.' },
      { type: 'tool_call_start', callIndex: 0, id: 'toolu_1', name: 'get_weather' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"city":' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '"Paris"}' },
      { type: 'tool_call_end', callIndex: 0 },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage },
      { type: 'end' },
    ]);
    expectWellFormed(frames);
    expect(frames.map((f) => f.data.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const created = frames[0].data.response as Record<string, unknown>;
    expect(created).toMatchObject({ status: 'in_progress', model: 'gpt-5', output: [] });
    expect(created.id).toMatch(/^resp_/);
    const rsp = finalResponse(frames);
    expect(rsp).toMatchObject({
      id: created.id,
      status: 'completed',
      created_at: 1700000000,
      usage: {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 4 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 15,
      },
      output: [
        {
          type: 'message',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Let me check.' }],
        },
        {
          type: 'function_call',
          status: 'completed',
          call_id: 'toolu_1',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
        },
      ],
    });
  });

  it('should synthesise the start when none comes, and accept usage before finish', () => {
    const frames = encode([
      { type: 'usage', usage },
      { type: 'text_delta', text: 'hi' },
      { type: 'finish', stopReason: 'stop' },
      { type: 'end' },
    ]);
    expectWellFormed(frames);
    expect(finalResponse(frames)).toMatchObject({
      model: 'gpt-5',
      status: 'completed',
      usage: { total_tokens: 15 },
    });
  });

  it('should close a function call item before text that follows it', () => {
    const frames = encode([
      { type: 'tool_call_start', callIndex: 0, id: 'call_1', name: 'a' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{}' },
      { type: 'text_delta', text: 'after the call' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'end' },
    ]);
    expectWellFormed(frames);
    const output = finalResponse(frames).output as Record<string, unknown>[];
    expect(output.map((o) => o.type)).toEqual(['function_call', 'message']);
  });

  it('should stream interleaved parallel call arguments to their own items', () => {
    const frames = encode([
      { type: 'tool_call_start', callIndex: 0, id: 'call_a', name: 'f' },
      { type: 'tool_call_start', callIndex: 1, id: 'call_b', name: 'g' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"x":' },
      { type: 'tool_call_delta', callIndex: 1, argumentsDelta: '{"y":2}' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '1}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'end' },
    ]);
    expectWellFormed(frames);
    const output = finalResponse(frames).output as Record<string, unknown>[];
    expect(output.map((o) => [o.call_id, o.arguments])).toEqual([
      ['call_a', '{"x":1}'],
      ['call_b', '{"y":2}'],
    ]);
  });

  it('should render reasoning as a summary item and keep encrypted content', () => {
    const frames = encode([
      { type: 'reasoning_delta', text: 'think ' },
      { type: 'reasoning_delta', text: 'hard' },
      { type: 'reasoning_signature', encrypted: 'gAAAA' },
      { type: 'text_delta', text: 'answer' },
      { type: 'reasoning_signature', encrypted: 'gBBBB' },
      { type: 'end' },
    ]);
    expectWellFormed(frames);
    const types = frames.map((f) => f.data.type);
    expect(types.slice(2, 8)).toEqual([
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
    ]);
    const output = finalResponse(frames).output as Record<string, unknown>[];
    expect(output).toEqual([
      {
        id: expect.stringMatching(/^rs_/),
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: 'think hard' }],
        encrypted_content: 'gAAAA',
      },
      expect.objectContaining({ type: 'message' }),
      // Encrypted-only reasoning arriving later becomes its own item.
      {
        id: expect.stringMatching(/^rs_/),
        type: 'reasoning',
        summary: [],
        encrypted_content: 'gBBBB',
      },
    ]);
  });

  it('should report a length stop as an incomplete response in the one terminal event', () => {
    const frames = encode([
      { type: 'text_delta', text: 'cut' },
      { type: 'finish', stopReason: 'length' },
      { type: 'end' },
    ]);
    expectWellFormed(frames);
    expect(finalResponse(frames)).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    });
  });

  it('should end with response.failed on an error and emit nothing afterwards', () => {
    const c = ctx();
    const sut = new ResponsesStreamEncoder(c);
    const chunks = [
      ...sut.push({ type: 'text_delta', text: 'partial' }),
      ...sut.push({
        type: 'error',
        status: 429,
        errorType: 'rate_limit_error',
        message: 'Too many',
      }),
    ];
    expect(sut.push({ type: 'text_delta', text: 'late' })).toEqual([]);
    expect(sut.push({ type: 'end' })).toEqual([]);
    const parser = new SSEParser();
    const frames = parser
      .push(chunks.join(''))
      .map((s) => ({ event: s.event, data: JSON.parse(s.data) as Record<string, unknown> }));
    expectWellFormed(frames, 'response.failed');
    expect(finalResponse(frames)).toMatchObject({
      status: 'failed',
      error: { code: 'rate_limit_exceeded', message: 'Too many' },
      output: [{ type: 'message', content: [{ text: 'partial' }] }],
    });
  });

  it('should emit only the terminal event once, even when end comes twice', () => {
    const c = ctx();
    const sut = new ResponsesStreamEncoder(c);
    const first = sut.push({ type: 'end' });
    expect(first).toHaveLength(3);
    expect(first[2]).toMatch(/^event: response\.completed\n/);
    expect(sut.push({ type: 'end' })).toEqual([]);
  });

  it('should ignore candidates other than 0, duplicate starts and unknown call deltas', () => {
    const frames = encode([
      { type: 'start', id: 'resp_keep', model: 'm', created: 1 },
      { type: 'start', id: 'resp_other', model: 'm', created: 2 },
      { type: 'text_delta', text: 'zero' },
      { type: 'text_delta', text: 'one', candidate: 1 },
      { type: 'tool_call_delta', callIndex: 7, argumentsDelta: '{}' },
      { type: 'end' },
    ]);
    expectWellFormed(frames);
    expect(finalResponse(frames)).toMatchObject({
      id: 'resp_keep',
      created_at: 1,
      output: [{ type: 'message', content: [{ text: 'zero' }] }],
    });
  });

  it('should re-encode decoded fixtures into equivalent streams', () => {
    for (const path of [
      'openai-responses/stream-reasoning-text-tool.sse',
      'openai-responses/stream-parallel-tools.sse',
      'codex/stream-reasoning-text-tool.sse',
    ]) {
      const decoded = decode(path);
      const frames = encode(decoded);
      expectWellFormed(frames);
      const sut = new ResponsesStreamDecoder(ctx());
      const again: IRStreamEvent[] = [];
      for (const f of frames) again.push(...sut.push({ data: JSON.stringify(f.data) }));
      const strip = (evs: IRStreamEvent[]) => evs.filter((e) => e.type !== 'start');
      expect(textOf(again, 'text_delta')).toBe(textOf(decoded, 'text_delta'));
      expect(textOf(again, 'reasoning_delta').replace(/\n\n/g, '')).toBe(
        textOf(decoded, 'reasoning_delta').replace(/\n\n/g, ''),
      );
      expect(argsOf(again, 0)).toBe(argsOf(decoded, 0));
      expect(strip(again).slice(-3)).toEqual(strip(decoded).slice(-3));
    }
  });
});
