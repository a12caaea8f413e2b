import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRStreamEvent } from '@app/llm/ir/types';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { claudeCodec } from '@app/llm/formats/claude';

/**
 * The official SDK must accept what the codec emits. No network: the client's fetch returns our
 * bytes, and the assertions are on what the SDK surfaces.
 */

const FIXTURES = join(__dirname, '../../../../../test/fixtures/claude');
const sse = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const ctx = (): TranslationContext =>
  createContext({ upstreamModel: 'upstream-model', requestedModel: 'claude-sonnet-4-6' });

function clientReturning(body: string, contentType: string, status = 200): Anthropic {
  return new Anthropic({
    apiKey: 'x',
    baseURL: 'http://127.0.0.1:1',
    maxRetries: 0,
    fetch: async () => new Response(body, { status, headers: { 'content-type': contentType } }),
  });
}

const params = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Weather in Oslo and Rome?' }],
};

function encodeStream(events: IRStreamEvent[]): string {
  const encoder = claudeCodec.createStreamEncoder(ctx());
  return events.flatMap((e) => encoder.push(e)).join('');
}

/** Claude SSE fixture → IR → Claude SSE, as the proxy would relay it. */
function relay(name: string): string {
  const c = ctx();
  const decoder = claudeCodec.createStreamDecoder(c);
  const encoder = claudeCodec.createStreamEncoder(c);
  const parser = new SSEParser();
  const ir = [...parser.push(sse(name)), ...parser.end()].flatMap((e) => decoder.push(e));
  return [...ir, ...decoder.end()].flatMap((e) => encoder.push(e)).join('');
}

describe('claude codec with @anthropic-ai/sdk', () => {
  it('should give messages.create a translated answer with text, tool input and usage', async () => {
    const ir: IRResponse = {
      id: 'chatcmpl-abc',
      model: 'claude-sonnet-4-6',
      created: 1700000000,
      sourceFormat: 'openai',
      extra: {},
      candidates: [
        {
          index: 0,
          stopReason: 'tool_calls',
          content: [
            { type: 'text', text: 'Checking both cities.' },
            { type: 'tool_call', id: 'call_1', name: 'weather', arguments: '{"city":"Oslo"}' },
            { type: 'tool_call', id: 'call_2', name: 'weather', arguments: '{"city":"Rome"}' },
          ],
        },
      ],
      usage: {
        inputTokens: 120,
        outputTokens: 30,
        reasoningTokens: 0,
        cachedTokens: 100,
        totalTokens: 150,
      },
    };
    const body = JSON.stringify(claudeCodec.buildResponse(ir, ctx()));
    const message = await clientReturning(body, 'application/json').messages.create(params);
    expect(message.id).toMatch(/^msg_/);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[0]).toEqual({ type: 'text', text: 'Checking both cities.' });
    const calls = message.content.filter((b) => b.type === 'tool_use');
    expect(calls.map((b) => [b.id, b.name, b.input])).toEqual([
      ['call_1', 'weather', { city: 'Oslo' }],
      ['call_2', 'weather', { city: 'Rome' }],
    ]);
    expect(message.usage).toMatchObject({
      input_tokens: 20,
      cache_read_input_tokens: 100,
      output_tokens: 30,
    });
  });

  it('should give messages.stream a translated stream with interleaved parallel tool calls', async () => {
    const bytes = encodeStream([
      { type: 'text_delta', text: 'Checking ' },
      { type: 'text_delta', text: 'both.' },
      { type: 'tool_call_start', callIndex: 0, id: 'call_1', name: 'weather' },
      { type: 'tool_call_start', callIndex: 1, id: 'call_2', name: 'weather' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"ci' },
      { type: 'tool_call_delta', callIndex: 1, argumentsDelta: '{"city":"Ro' },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: 'ty":"Oslo"}' },
      { type: 'tool_call_delta', callIndex: 1, argumentsDelta: 'me"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      {
        type: 'usage',
        usage: {
          inputTokens: 80,
          outputTokens: 25,
          reasoningTokens: 0,
          cachedTokens: 0,
          totalTokens: 105,
        },
      },
      { type: 'end' },
    ]);
    const stream = clientReturning(bytes, 'text/event-stream').messages.stream(params);
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const message = await stream.finalMessage();
    expect(text).toBe('Checking both.');
    expect(message.model).toBe('claude-sonnet-4-6');
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.map((b) => b.type)).toEqual(['text', 'tool_use', 'tool_use']);
    const inputs = message.content.flatMap((b) => (b.type === 'tool_use' ? [b.input] : []));
    expect(inputs).toEqual([{ city: 'Oslo' }, { city: 'Rome' }]);
    expect(message.usage).toMatchObject({ input_tokens: 80, output_tokens: 25 });
  });

  it('should relay a Claude thinking stream that the SDK reads back whole', async () => {
    const stream = clientReturning(
      relay('stream-thinking-text.sse'),
      'text/event-stream',
    ).messages.stream(params);
    const message = await stream.finalMessage();
    expect(message.content).toEqual([
      {
        type: 'thinking',
        thinking: expect.stringContaining('So the GCD is 21.'),
        signature: expect.stringMatching(/^EqQB/),
      },
      { type: 'text', text: 'The greatest common divisor of 1071 and 462 is **21**.' },
    ]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({
      input_tokens: 36,
      cache_read_input_tokens: 1800,
      output_tokens: 142,
    });
  });

  it('should relay a Claude text + tool stream to messages.create({stream: true})', async () => {
    const client = clientReturning(relay('stream-text-tool.sse'), 'text/event-stream');
    const events = await client.messages.create({ ...params, stream: true });
    const types: string[] = [];
    let json = '';
    for await (const ev of events) {
      types.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'input_json_delta') {
        json += ev.delta.partial_json;
      }
    }
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(JSON.parse(json)).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' });
  });

  it('should make the SDK raise the error an upstream sent mid-stream', async () => {
    const stream = clientReturning(
      relay('stream-error-overloaded.sse'),
      'text/event-stream',
    ).messages.stream(params);
    await expect(stream.finalMessage()).rejects.toMatchObject({
      error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
  });

  it('should make the SDK raise typed errors from buildError bodies', async () => {
    const body = JSON.stringify(
      claudeCodec.buildError({
        status: 429,
        type: 'rate_limit_error',
        message: 'Too many requests',
      }),
    );
    const error: unknown = await clientReturning(body, 'application/json', 429)
      .messages.create(params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error).toMatchObject({
      status: 429,
      error: { error: { type: 'rate_limit_error', message: 'Too many requests' } },
    });
  });
});
