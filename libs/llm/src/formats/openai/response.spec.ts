import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRStopReason } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { shortenToolName } from '@app/llm/util/tool-names';
import {
  buildOpenAIResponse,
  buildUsage,
  parseFinishReason,
  parseOpenAIResponse,
  parseUsage,
  toFinishReason,
} from '@app/llm/formats/openai/response';
import { STATE_LEGACY_FUNCTIONS } from '@app/llm/formats/openai/wire';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/openai');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const ctxFor = (): TranslationContext =>
  createContext({ upstreamModel: 'gpt-4o-2024-08-06', requestedModel: 'gpt-4o' });

function irResponse(over: Partial<IRResponse> = {}): IRResponse {
  return {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    model: 'gpt-4o',
    created: 1741569952,
    candidates: [{ index: 0, content: [{ type: 'text', text: 'Hi there' }], stopReason: 'stop' }],
    sourceFormat: 'claude',
    extra: {},
    ...over,
  };
}

describe(parseOpenAIResponse.name, () => {
  it('should read text, finish reason, usage and keep unknown fields as extra', () => {
    const sut = parseOpenAIResponse(fixture('chat-response-text.json'), ctxFor());

    expect(sut).toEqual({
      id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      model: 'gpt-4o-2024-08-06',
      created: 1741569952,
      candidates: [
        {
          index: 0,
          content: [{ type: 'text', text: 'Hello! How can I assist you today?' }],
          stopReason: 'stop',
        },
      ],
      usage: {
        inputTokens: 19,
        outputTokens: 10,
        reasoningTokens: 0,
        cachedTokens: 0,
        totalTokens: 29,
      },
      sourceFormat: 'openai',
      extra: { service_tier: 'default', system_fingerprint: 'fp_50cad350e4' },
    });
  });

  it('should read parallel tool calls and cached prompt tokens', () => {
    const sut = parseOpenAIResponse(fixture('chat-response-tool-calls.json'), ctxFor());

    expect(sut.candidates[0].content).toEqual([
      {
        type: 'tool_call',
        id: 'call_jR4nW8sT2vB6xK0pL3mQ9yZc',
        name: 'get_weather',
        arguments: '{"location":"Berlin, Germany","unit":"celsius"}',
      },
      {
        type: 'tool_call',
        id: 'call_Hd7fG1kP5sV9wN3bX8cM2tRa',
        name: 'get_time',
        arguments: '{"timezone":"Europe/Berlin"}',
      },
    ]);
    expect(sut.candidates[0].stopReason).toBe('tool_calls');
    expect(sut.usage).toEqual({
      inputTokens: 2214,
      outputTokens: 58,
      reasoningTokens: 0,
      cachedTokens: 1920,
      totalTokens: 2272,
    });
  });

  it('should read reasoning_content as a reasoning part before the text', () => {
    const sut = parseOpenAIResponse(fixture('chat-response-reasoning.json'), ctxFor());

    expect(sut.candidates[0].content).toEqual([
      { type: 'reasoning', text: expect.stringMatching(/^Compare 9\.11 and 9\.9/) },
      { type: 'text', text: '9.11 is smaller than 9.9.' },
    ]);
    expect(sut.usage).toMatchObject({ reasoningTokens: 158, cachedTokens: 16, outputTokens: 176 });
  });

  it('should restore tool names that were shortened for the upstream', () => {
    const ctx = ctxFor();
    const long = `x_${'very_long_tool_name_'.repeat(5)}`;
    const short = shortenToolName(long, ctx);
    const sut = parseOpenAIResponse(
      {
        id: 'chatcmpl-1',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: 'call_1', type: 'function', function: { name: short, arguments: '{}' } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
      },
      ctx,
    );

    expect(sut.candidates[0].content[0]).toMatchObject({ type: 'tool_call', name: long });
  });

  it('should treat "stop" after tool calls as tool_calls and a refusal as refusal', () => {
    const ctx = ctxFor();
    const sut = parseOpenAIResponse(
      {
        choices: [
          {
            index: 0,
            message: {
              content: '',
              tool_calls: [
                { id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
              ],
            },
            finish_reason: 'stop',
          },
          {
            index: 1,
            message: { content: null, refusal: "I'm sorry, I can't help with that." },
            finish_reason: 'stop',
          },
        ],
      },
      ctx,
    );

    expect(sut.candidates[0].stopReason).toBe('tool_calls');
    expect(sut.candidates[1]).toEqual({
      index: 1,
      content: [{ type: 'text', text: "I'm sorry, I can't help with that." }],
      stopReason: 'refusal',
    });
    expect(sut.model).toBe('gpt-4o-2024-08-06'); // falls back to the upstream model
    expect(sut.id).toMatch(/^chatcmpl-/);
  });

  it('should read a legacy function_call as a tool call', () => {
    const sut = parseOpenAIResponse(
      {
        id: 'chatcmpl-2',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              function_call: { name: 'get_current_weather', arguments: '{"location":"Boston"}' },
            },
            finish_reason: 'function_call',
          },
        ],
      },
      ctxFor(),
    );

    expect(sut.candidates[0].content).toEqual([
      {
        type: 'tool_call',
        id: expect.stringMatching(/^call_/),
        name: 'get_current_weather',
        arguments: '{"location":"Boston"}',
      },
    ]);
    expect(sut.candidates[0].stopReason).toBe('tool_calls');
  });

  it('should reject a body without choices, quoting an upstream error message', () => {
    expect(() => parseOpenAIResponse({ error: { message: 'boom' } }, ctxFor())).toThrow(
      TranslationError,
    );
    expect(() => parseOpenAIResponse({ error: { message: 'boom' } }, ctxFor())).toThrow(/boom/);
    expect(() => parseOpenAIResponse([], ctxFor())).toThrow(TranslationError);
  });
});

describe(buildOpenAIResponse.name, () => {
  it('should build a chat.completion with a fresh chatcmpl id when the IR id is foreign', () => {
    const sut = buildOpenAIResponse(
      irResponse({
        usage: {
          inputTokens: 120,
          outputTokens: 40,
          reasoningTokens: 12,
          cachedTokens: 100,
          totalTokens: 160,
        },
      }),
      ctxFor(),
    );

    expect(sut).toEqual({
      id: expect.stringMatching(/^chatcmpl-[A-Za-z0-9]{24}$/),
      object: 'chat.completion',
      created: 1741569952,
      model: 'gpt-4o',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hi there', refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 120,
        completion_tokens: 40,
        total_tokens: 160,
        prompt_tokens_details: { cached_tokens: 100, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 12,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
      system_fingerprint: null,
    });
  });

  it('should reuse a chatcmpl id and pass extra fields through for OpenAI upstreams', () => {
    const ctx = ctxFor();
    const parsed = parseOpenAIResponse(fixture('chat-response-text.json'), ctx);
    const sut = buildOpenAIResponse({ ...parsed, model: 'gpt-4o' }, ctx);

    expect(sut).toEqual({ ...fixture('chat-response-text.json'), model: 'gpt-4o' });
  });

  it('should not pass extra fields of other formats through', () => {
    const sut = buildOpenAIResponse(irResponse({ extra: { stop_sequence: null } }), ctxFor());

    expect(sut).not.toHaveProperty('stop_sequence');
  });

  it('should render tool calls with null content, reasoning_content and finish_reason tool_calls', () => {
    const sut = buildOpenAIResponse(
      irResponse({
        candidates: [
          {
            index: 0,
            content: [
              { type: 'reasoning', text: 'Need the weather.', signature: 'EqQBCgIYAh' },
              {
                type: 'tool_call',
                id: 'toolu_01A',
                name: 'get_weather',
                arguments: '{"city":"Oslo"}',
              },
              { type: 'tool_call', id: 'toolu_01B', name: 'get_time', arguments: '' },
            ],
            stopReason: 'tool_calls',
          },
        ],
      }),
      ctxFor(),
    );

    expect((sut.choices as unknown[])[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        reasoning_content: 'Need the weather.',
        tool_calls: [
          {
            id: 'toolu_01A',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
          },
          { id: 'toolu_01B', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
        annotations: [],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
    expect(sut).not.toHaveProperty('usage');
  });

  it('should answer a legacy functions client with function_call', () => {
    const ctx = ctxFor();
    ctx.state[STATE_LEGACY_FUNCTIONS] = true;
    const sut = buildOpenAIResponse(
      irResponse({
        candidates: [
          {
            index: 0,
            content: [
              { type: 'tool_call', id: 'x', name: 'get_current_weather', arguments: '{"a":1}' },
            ],
            stopReason: 'tool_calls',
          },
        ],
      }),
      ctx,
    );

    const choice = (sut.choices as Record<string, Record<string, unknown>>[])[0];
    expect(choice.message.function_call).toEqual({
      name: 'get_current_weather',
      arguments: '{"a":1}',
    });
    expect(choice.message).not.toHaveProperty('tool_calls');
    expect(choice.finish_reason).toBe('function_call');
  });

  it('should render every candidate as a choice', () => {
    const sut = buildOpenAIResponse(
      irResponse({
        candidates: [
          { index: 0, content: [{ type: 'text', text: 'A' }], stopReason: 'stop' },
          { index: 1, content: [{ type: 'text', text: 'B' }], stopReason: 'length' },
        ],
      }),
      ctxFor(),
    );

    expect(sut.choices).toMatchObject([
      { index: 0, message: { content: 'A' }, finish_reason: 'stop' },
      { index: 1, message: { content: 'B' }, finish_reason: 'length' },
    ]);
  });
});

describe('finish reasons', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['tool_calls', 'tool_calls'],
    ['function_call', 'tool_calls'],
    ['content_filter', 'content_filter'],
    ['eos', 'stop'],
  ])('should read finish_reason %s as %s', (wire, ir) => {
    expect(parseFinishReason(wire)).toBe(ir);
  });

  it.each<[IRStopReason | undefined, boolean, string]>([
    ['stop', false, 'stop'],
    ['stop', true, 'tool_calls'],
    ['length', false, 'length'],
    ['tool_calls', true, 'tool_calls'],
    ['content_filter', false, 'content_filter'],
    ['refusal', false, 'content_filter'],
    ['stop_sequence', false, 'stop'],
    ['pause', false, 'stop'],
    ['error', false, 'stop'],
    [undefined, false, 'stop'],
    [undefined, true, 'tool_calls'],
  ])('should render %s (tool calls: %s) as %s', (ir, hasCalls, wire) => {
    expect(toFinishReason(ir, hasCalls)).toBe(wire);
  });
});

describe('usage', () => {
  it('should round-trip IR usage through the OpenAI shape', () => {
    const usage = {
      inputTokens: 500,
      outputTokens: 80,
      reasoningTokens: 30,
      cachedTokens: 256,
      totalTokens: 580,
    };

    expect(parseUsage(buildUsage(usage))).toEqual(usage);
  });

  it('should compute a missing total and read DeepSeek cache hits', () => {
    expect(
      parseUsage({ prompt_tokens: 10, completion_tokens: 5, prompt_cache_hit_tokens: 4 }),
    ).toEqual({
      inputTokens: 10,
      outputTokens: 5,
      reasoningTokens: 0,
      cachedTokens: 4,
      totalTokens: 15,
    });
    expect(parseUsage(null)).toBeUndefined();
  });
});
