import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { WireFormat } from '@app/llm/ir/types';
import { StreamTranslator } from '@app/llm/stream/stream-translator';
import { translateRequest, translateResponse } from '@app/llm/translate';

// The acceptance examples that start or end at an OpenAI chat client, run through the
// real codecs of the other formats.

const FIXTURES = join(__dirname, '../../../../../test/fixtures');
const text = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');
const json = (path: string): Record<string, unknown> => JSON.parse(text(path));

const ctxFor = (
  upstreamModel: string,
  over: Partial<TranslationContext> = {},
): TranslationContext => createContext({ upstreamModel, requestedModel: 'gpt-4.1', ...over });

/** Translate a whole upstream SSE capture into OpenAI client bytes. */
function translateStream(upstream: WireFormat, capture: string, ctx: TranslationContext): string {
  const sut = new StreamTranslator(upstream, 'openai', ctx);
  return sut.push(capture) + sut.flush() + sut.end();
}

function clientServing(body: string, contentType: string): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test',
    baseURL: 'http://127.0.0.1:1/v1',
    maxRetries: 0,
    fetch: async () => new Response(body, { headers: { 'content-type': contentType } }),
  });
}

const PARAMS = { model: 'gpt-4.1', messages: [{ role: 'user' as const, content: 'Weather?' }] };

describe('OpenAI chat across formats', () => {
  it('should send the system prompt to Claude as a system block and keep one user message', () => {
    const sut = translateRequest(
      'openai',
      'claude',
      json('openai/chat-request-basic.json'),
      ctxFor('claude-sonnet-4-5'),
    );

    expect(sut.system).toEqual([{ type: 'text', text: 'You are a helpful assistant.' }]);
    expect(sut.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }]);
  });

  it('should send tool calls and results to Claude as tool_use / tool_result with the same ids', () => {
    const sut = translateRequest(
      'openai',
      'claude',
      json('openai/chat-request-tools.json'),
      ctxFor('claude-sonnet-4-5'),
    );

    const messages = sut.messages as { role: string; content: Record<string, unknown>[] }[];
    const toolUse = messages[1].content.filter((b) => b.type === 'tool_use');
    const results = messages[2].content.filter((b) => b.type === 'tool_result');
    expect(messages[1].role).toBe('assistant');
    expect(messages[2].role).toBe('user');
    expect(toolUse.map((b) => [b.id, b.name, b.input])).toEqual([
      [
        'call_8Kq2LxZ1fWm3Vd0pRj7Tn4Ha',
        'get_weather',
        { location: 'Paris, France', unit: 'celsius' },
      ],
      [
        'call_Qz5Bv9Ym2Xc6Ns1Lk8Pw3Ed0',
        'get_weather',
        { location: 'Tokyo, Japan', unit: 'celsius' },
      ],
    ]);
    expect(results.map((b) => b.tool_use_id)).toEqual([
      'call_8Kq2LxZ1fWm3Vd0pRj7Tn4Ha',
      'call_Qz5Bv9Ym2Xc6Ns1Lk8Pw3Ed0',
    ]);
  });

  it('should send tool calls and results to Responses as function_call / function_call_output', () => {
    const sut = translateRequest(
      'openai',
      'openai-responses',
      json('openai/chat-request-tools.json'),
      ctxFor('gpt-4.1'),
    );

    const input = sut.input as Record<string, unknown>[];
    const calls = input.filter((i) => i.type === 'function_call');
    const outputs = input.filter((i) => i.type === 'function_call_output');
    expect(calls.map((c) => c.call_id)).toEqual([
      'call_8Kq2LxZ1fWm3Vd0pRj7Tn4Ha',
      'call_Qz5Bv9Ym2Xc6Ns1Lk8Pw3Ed0',
    ]);
    expect(outputs.map((o) => o.call_id)).toEqual(calls.map((c) => c.call_id));
  });

  it('should turn a model suffix into a Gemini thinking budget', () => {
    const sut = translateRequest(
      'openai',
      'gemini',
      { model: 'gemini-2.5-pro(high)', messages: [{ role: 'user', content: 'Think hard.' }] },
      ctxFor('gemini-2.5-pro'),
    );

    expect(sut.generationConfig).toMatchObject({
      thinkingConfig: { thinkingBudget: 24576, includeThoughts: true },
    });
  });

  it('should give an OpenAI client one message with text and a parsable tool call from a Claude stream', async () => {
    const bytes = translateStream(
      'claude',
      text('claude/stream-text-tool.sse'),
      ctxFor('claude-sonnet-4-6', { includeUsage: true }),
    );
    const completion = await clientServing(bytes, 'text/event-stream')
      .chat.completions.stream(PARAMS)
      .finalChatCompletion();

    const choice = completion.choices[0];
    expect(choice.message.content).toBe("Okay, let's check the weather for San Francisco, CA:");
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0];
    expect(call.type === 'function' && [call.id, call.function.name]).toEqual([
      'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
      'get_weather',
    ]);
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
      location: 'San Francisco, CA',
      unit: 'fahrenheit',
    });
    expect(choice.finish_reason).toBe('tool_calls');
    expect(completion.usage).toMatchObject({ prompt_tokens: 472, completion_tokens: 89 });
  });

  it('should report a Gemini STOP after a function call as tool_calls, with reasoning_content', async () => {
    const bytes = translateStream(
      'gemini',
      text('gemini/stream-thinking-tool.sse'),
      ctxFor('gemini-2.5-pro', { includeUsage: true }),
    );
    const completion = await clientServing(bytes, 'text/event-stream')
      .chat.completions.stream(PARAMS)
      .finalChatCompletion();

    const message = completion.choices[0].message as (typeof completion.choices)[0]['message'] & {
      reasoning_content?: string;
    };
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
    expect(message.content).toBe('Let me check the weather in Paris for you.');
    expect(message.reasoning_content).toMatch(/I should call get_weather\.$/);
    const call = message.tool_calls![0];
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
      city: 'Paris',
      unit: 'celsius',
      details: { hourly: true, days: 2 },
    });
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(96);
  });

  it('should render a Claude tool_use response as an OpenAI tool call', () => {
    const sut = translateResponse(
      'claude',
      'openai',
      json('claude/messages-response-tool-use.json'),
      ctxFor('claude-sonnet-4-5'),
    );

    const choice = (sut.choices as Record<string, Record<string, unknown>>[])[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toEqual([
      expect.objectContaining({ type: 'function', id: expect.stringMatching(/^toolu_/) }),
    ]);
    expect(sut.model).toBe('gpt-4.1');
  });
});
