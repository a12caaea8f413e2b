import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import type { WireFormat } from '@app/llm/ir/types';
import { StreamTranslator } from '@app/llm/stream/stream-translator';
import { translateRequest } from '@app/llm/translate';

const fixture = (path: string): string =>
  readFileSync(join(__dirname, '../../../../../test/fixtures', path), 'utf8');

/** Replay a recorded upstream stream through the translator for a Responses client. */
function translateStream(upstream: WireFormat, path: string): string {
  const sut = new StreamTranslator(
    upstream,
    'openai-responses',
    createContext({ upstreamModel: 'up', requestedModel: 'client-model' }),
  );
  return sut.push(fixture(path)) + sut.flush() + sut.end();
}

function client(bytes: string): OpenAI {
  return new OpenAI({
    apiKey: 'x',
    baseURL: 'http://127.0.0.1:1/v1',
    maxRetries: 0,
    fetch: async () => new Response(bytes, { headers: { 'content-type': 'text/event-stream' } }),
  });
}

describe('Responses client across formats', () => {
  it('should give the same call_id to a chat tool call and its result as function_call and function_call_output', () => {
    const out = translateRequest(
      'openai',
      'openai-responses',
      {
        model: 'gpt-4.1',
        messages: [
          { role: 'system', content: 'You are a helpful assistant.' },
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_abc123',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_abc123', content: '18 °C' },
        ],
      },
      createContext({ upstreamModel: 'gpt-4.1' }),
    );
    expect(out.instructions).toBe('You are a helpful assistant.');
    expect(out.input).toEqual([
      {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'Weather in Paris?' }],
      },
      {
        type: 'function_call',
        call_id: 'call_abc123',
        name: 'get_weather',
        arguments: '{"location":"Paris"}',
      },
      { type: 'function_call_output', call_id: 'call_abc123', output: '18 °C' },
    ]);
  });

  it.each([
    ['claude', 'claude/stream-text-tool.sse'],
    ['openai', 'openai/stream-text-tool.sse'],
    ['gemini', 'gemini/stream-thinking-tool.sse'],
  ] as const)(
    'should turn a %s text + tool stream into a response the SDK assembles',
    async (format, path) => {
      const final = await client(translateStream(format, path))
        .responses.stream({ model: 'client-model', input: 'x' })
        .finalResponse();
      expect(final.status).toBe('completed');
      expect(final.model).toBe('client-model');
      expect(final.output_text.length).toBeGreaterThan(0);
      const calls = final.output.filter((o) => o.type === 'function_call');
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) {
        expect(call.type === 'function_call' && call.call_id).toBeTruthy();
        expect(() => JSON.parse(call.type === 'function_call' ? call.arguments : '')).not.toThrow();
      }
      expect(final.usage?.total_tokens).toBeGreaterThan(0);
    },
  );

  it('should render an upstream stream error as response.failed', async () => {
    const final = await client(translateStream('claude', 'claude/stream-error-overloaded.sse'))
      .responses.stream({ model: 'client-model', input: 'x' })
      .finalResponse();
    expect(final.status).toBe('failed');
    expect(final.error?.message).toBeTruthy();
  });
});
