import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI, { APIError, RateLimitError } from 'openai';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRStreamEvent } from '@app/llm/ir/types';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { openaiCodec } from '@app/llm/formats/openai';
import { STATE_LEGACY_FUNCTIONS } from '@app/llm/formats/openai/wire';

// The official SDK must accept what the encoder and buildResponse emit. No network: a fetch stub
// hands the SDK our bytes as if a server had sent them.

const FIXTURES = join(__dirname, '../../../../../test/fixtures/openai');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const ctxFor = (over: Partial<TranslationContext> = {}): TranslationContext =>
  createContext({ upstreamModel: 'claude-sonnet-4-5', requestedModel: 'gpt-4.1', ...over });

function clientServing(body: string, contentType: string, status = 200): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test',
    baseURL: 'http://127.0.0.1:1/v1',
    maxRetries: 0,
    fetch: async () => new Response(body, { status, headers: { 'content-type': contentType } }),
  });
}

/** Encode IR events with a fresh OpenAI encoder into the bytes of one stream. */
function encode(events: IRStreamEvent[], ctx: TranslationContext): string {
  const sut = openaiCodec.createStreamEncoder(ctx);
  return events.flatMap((ev) => sut.push(ev)).join('');
}

const TEXT_THEN_TOOL: IRStreamEvent[] = [
  { type: 'start', id: 'msg_01Q', model: 'claude-sonnet-4-5', created: 1754921530 },
  { type: 'reasoning_delta', text: 'The user wants the weather.' },
  { type: 'text_delta', text: 'Let me check ' },
  { type: 'text_delta', text: 'the weather.' },
  { type: 'tool_call_start', callIndex: 0, id: 'toolu_01A', name: 'get_weather' },
  { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"location":' },
  { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '"Berlin, Germany",' },
  { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '"unit":"celsius"}' },
  { type: 'tool_call_end', callIndex: 0 },
  { type: 'finish', stopReason: 'tool_calls' },
  {
    type: 'usage',
    usage: {
      inputTokens: 412,
      outputTokens: 35,
      reasoningTokens: 7,
      cachedTokens: 128,
      totalTokens: 447,
    },
  },
  { type: 'end' },
];

const PARAMS = {
  model: 'gpt-4.1',
  messages: [{ role: 'user' as const, content: 'Weather in Berlin?' }],
};

describe('openai SDK acceptance', () => {
  it('should accept a non-stream chat.completion with text, tool calls and usage', async () => {
    const ir: IRResponse = {
      id: 'msg_01Q',
      model: 'gpt-4.1',
      created: 1754921530,
      candidates: [
        {
          index: 0,
          content: [
            { type: 'text', text: 'Checking both cities.' },
            {
              type: 'tool_call',
              id: 'toolu_01A',
              name: 'get_weather',
              arguments: '{"city":"Paris"}',
            },
            {
              type: 'tool_call',
              id: 'toolu_01B',
              name: 'get_weather',
              arguments: '{"city":"Tokyo"}',
            },
          ],
          stopReason: 'tool_calls',
        },
      ],
      usage: {
        inputTokens: 200,
        outputTokens: 50,
        reasoningTokens: 0,
        cachedTokens: 150,
        totalTokens: 250,
      },
      sourceFormat: 'claude',
      extra: {},
    };
    const body = JSON.stringify(openaiCodec.buildResponse(ir, ctxFor()));
    const completion = await clientServing(body, 'application/json').chat.completions.create(
      PARAMS,
    );

    const choice = completion.choices[0];
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.object).toBe('chat.completion');
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe('Checking both cities.');
    const calls = (choice.message.tool_calls ?? []).map((c) =>
      c.type === 'function' ? [c.id, c.function.name, JSON.parse(c.function.arguments)] : [],
    );
    expect(calls).toEqual([
      ['toolu_01A', 'get_weather', { city: 'Paris' }],
      ['toolu_01B', 'get_weather', { city: 'Tokyo' }],
    ]);
    expect(completion.usage).toMatchObject({
      prompt_tokens: 200,
      completion_tokens: 50,
      total_tokens: 250,
      prompt_tokens_details: { cached_tokens: 150 },
    });
  });

  it('should stream chunks the SDK iterates, ending at [DONE] with the usage chunk', async () => {
    const bytes = encode(TEXT_THEN_TOOL, ctxFor({ includeUsage: true }));
    const stream = await clientServing(bytes, 'text/event-stream').chat.completions.create({
      ...PARAMS,
      stream: true,
      stream_options: { include_usage: true },
    });

    let text = '';
    let reasoning = '';
    let args = '';
    let toolName: string | undefined;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let count = 0;
    for await (const chunk of stream) {
      count++;
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        const delta = choice.delta as typeof choice.delta & { reasoning_content?: string };
        text += delta.content ?? '';
        reasoning += delta.reasoning_content ?? '';
        for (const call of delta.tool_calls ?? []) {
          toolName ??= call.function?.name;
          args += call.function?.arguments ?? '';
        }
        finish = choice.finish_reason ?? finish;
      }
    }

    expect(count).toBeGreaterThan(5);
    expect(text).toBe('Let me check the weather.');
    expect(reasoning).toBe('The user wants the weather.');
    expect(toolName).toBe('get_weather');
    expect(JSON.parse(args)).toEqual({ location: 'Berlin, Germany', unit: 'celsius' });
    expect(finish).toBe('tool_calls');
    expect(usage).toMatchObject({
      prompt_tokens: 412,
      completion_tokens: 35,
      completion_tokens_details: { reasoning_tokens: 7 },
    });
  });

  it('should assemble into one assistant message with the SDK stream helper', async () => {
    const bytes = encode(TEXT_THEN_TOOL, ctxFor({ includeUsage: true }));
    const runner = clientServing(bytes, 'text/event-stream').chat.completions.stream(PARAMS);
    const completion = await runner.finalChatCompletion();

    expect(completion.model).toBe('gpt-4.1');
    const message = completion.choices[0].message;
    expect(message.role).toBe('assistant');
    expect(message.content).toBe('Let me check the weather.');
    expect(message.tool_calls).toHaveLength(1);
    const call = message.tool_calls![0];
    expect(call.type === 'function' && call.id).toBe('toolu_01A');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
      location: 'Berlin, Germany',
      unit: 'celsius',
    });
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
    expect(completion.usage).toMatchObject({ prompt_tokens: 412, total_tokens: 447 });
  });

  it('should accept a translated upstream capture with parallel tool calls', async () => {
    const ctx = ctxFor({ includeUsage: true });
    const decoder = openaiCodec.createStreamDecoder(ctx);
    const encoder = openaiCodec.createStreamEncoder(ctx);
    const parser = new SSEParser();
    const frames: string[] = [];
    for (const ev of [...parser.push(fixture('stream-tool-calls.sse')), ...parser.end()]) {
      for (const ir of decoder.push(ev)) frames.push(...encoder.push(ir));
    }
    for (const ir of decoder.end()) frames.push(...encoder.push(ir));

    const completion = await clientServing(frames.join(''), 'text/event-stream')
      .chat.completions.stream(PARAMS)
      .finalChatCompletion();

    const calls = (completion.choices[0].message.tool_calls ?? []).map((c) =>
      c.type === 'function' ? [c.id, c.function.name, JSON.parse(c.function.arguments)] : [],
    );
    expect(calls).toEqual([
      [
        'call_jR4nW8sT2vB6xK0pL3mQ9yZc',
        'get_weather',
        { location: 'Berlin, Germany', unit: 'celsius' },
      ],
      ['call_Hd7fG1kP5sV9wN3bX8cM2tRa', 'get_time', { timezone: 'Europe/Berlin' }],
    ]);
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(1920);
  });

  it('should accept a legacy function_call stream', async () => {
    const ctx = ctxFor();
    ctx.state[STATE_LEGACY_FUNCTIONS] = true;
    const bytes = encode(TEXT_THEN_TOOL, ctx);
    const completion = await clientServing(bytes, 'text/event-stream')
      .chat.completions.stream(PARAMS)
      .finalChatCompletion();

    const message = completion.choices[0].message;
    expect(message.function_call?.name).toBe('get_weather');
    expect(JSON.parse(message.function_call?.arguments ?? '')).toEqual({
      location: 'Berlin, Germany',
      unit: 'celsius',
    });
    expect(completion.choices[0].finish_reason).toBe('function_call');
  });

  it('should surface a mid-stream error event as an APIError', async () => {
    const bytes = encode(
      [
        { type: 'text_delta', text: 'Once upon' },
        { type: 'error', status: 529, errorType: 'overloaded_error', message: 'Overloaded' },
        { type: 'end' },
      ],
      ctxFor(),
    );
    const stream = await clientServing(bytes, 'text/event-stream').chat.completions.create({
      ...PARAMS,
      stream: true,
    });

    let text = '';
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    await expect(consume()).rejects.toThrow(APIError);
    expect(text).toBe('Once upon');
  });

  it('should surface an error body as the matching SDK error', async () => {
    const body = JSON.stringify(
      openaiCodec.buildError({
        status: 429,
        type: 'rate_limit_error',
        message: 'All credentials for model gpt-4.1 are cooling down',
        code: 'model_cooldown',
      }),
    );
    const call = clientServing(body, 'application/json', 429).chat.completions.create(PARAMS);

    await expect(call).rejects.toBeInstanceOf(RateLimitError);
    await expect(call).rejects.toMatchObject({
      status: 429,
      code: 'model_cooldown',
      message: expect.stringContaining('All credentials for model gpt-4.1 are cooling down'),
    });
  });
});
