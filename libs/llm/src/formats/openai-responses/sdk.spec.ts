import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRStreamEvent } from '@app/llm/ir/types';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { openaiResponsesCodec } from '@app/llm/formats/openai-responses';

/**
 * The official `openai` client must accept what we emit: our bytes are served through a fetch
 * stub (no network) and we assert on what the SDK surfaces.
 */
function clientFor(body: string, contentType: string): OpenAI {
  return new OpenAI({
    apiKey: 'x',
    baseURL: 'http://127.0.0.1:1/v1',
    maxRetries: 0,
    fetch: async () => new Response(body, { headers: { 'content-type': contentType } }),
  });
}

const ctx = (): TranslationContext =>
  createContext({ upstreamModel: 'claude-sonnet-4-5', requestedModel: 'gpt-5' });

/** A Claude-style stream in IR: thinking, text, a tool call, then usage after finish. */
const CLAUDE_LIKE: IRStreamEvent[] = [
  { type: 'start', id: 'msg_01ABC', model: 'claude-sonnet-4-5', created: 1700000000 },
  { type: 'reasoning_delta', text: 'The user wants the weather.' },
  { type: 'reasoning_signature', signature: 'EqQBCkYIBxgCKkA' },
  { type: 'text_delta', text: 'Let me ' },
  { type: 'text_delta', text: 'check.' },
  { type: 'tool_call_start', callIndex: 0, id: 'toolu_01T1x', name: 'get_weather' },
  { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"location":' },
  { type: 'tool_call_delta', callIndex: 0, argumentsDelta: ' "San Francisco, CA"}' },
  { type: 'tool_call_end', callIndex: 0 },
  { type: 'finish', stopReason: 'tool_calls' },
  {
    type: 'usage',
    usage: {
      inputTokens: 472,
      outputTokens: 89,
      reasoningTokens: 0,
      cachedTokens: 400,
      totalTokens: 561,
    },
  },
  { type: 'end' },
];

function encodeAll(events: IRStreamEvent[], c: TranslationContext = ctx()): string {
  const sut = openaiResponsesCodec.createStreamEncoder(c);
  return events.flatMap((e) => sut.push(e)).join('');
}

describe('openaiResponsesCodec with the openai SDK', () => {
  it('should let responses.create parse a non-stream body: output_text, calls and usage', async () => {
    const ir: IRResponse = {
      id: 'msg_01',
      model: 'claude-sonnet-4-5',
      created: 1700000000,
      candidates: [
        {
          index: 0,
          content: [
            { type: 'text', text: 'Checking the weather. ' },
            {
              type: 'tool_call',
              id: 'toolu_01',
              name: 'get_weather',
              arguments: '{"location":"Paris","unit":"celsius"}',
            },
          ],
          stopReason: 'tool_calls',
        },
      ],
      usage: {
        inputTokens: 50,
        outputTokens: 20,
        reasoningTokens: 0,
        cachedTokens: 10,
        totalTokens: 70,
      },
      sourceFormat: 'claude',
      extra: {},
    };
    const body = JSON.stringify(openaiResponsesCodec.buildResponse(ir, ctx()));
    const rsp = await clientFor(body, 'application/json').responses.create({
      model: 'gpt-5',
      input: 'weather?',
    });
    expect(rsp.output_text).toBe('Checking the weather. ');
    const call = rsp.output.find((o) => o.type === 'function_call');
    expect(call?.type === 'function_call' && call.call_id).toBe('toolu_01');
    expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual({
      location: 'Paris',
      unit: 'celsius',
    });
    expect(rsp.usage).toEqual({
      input_tokens: 50,
      input_tokens_details: { cached_tokens: 10 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 70,
    });
    expect(rsp.status).toBe('completed');
  });

  it('should let responses.create({stream:true}) iterate our events in order', async () => {
    const stream = await clientFor(encodeAll(CLAUDE_LIKE), 'text/event-stream').responses.create({
      model: 'gpt-5',
      input: 'weather?',
      stream: true,
    });
    let text = '';
    let args = '';
    const types: string[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
      if (ev.type === 'response.function_call_arguments.delta') args += ev.delta;
      if (ev.type === 'response.completed') completed = ev.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types[types.length - 1]).toBe('response.completed');
    expect(text).toBe('Let me check.');
    expect(JSON.parse(args)).toEqual({ location: 'San Francisco, CA' });
    expect(completed?.model).toBe('gpt-5');
    expect(completed?.usage?.input_tokens_details.cached_tokens).toBe(400);
  });

  it('should let responses.stream().finalResponse() assemble the whole response', async () => {
    const client = clientFor(encodeAll(CLAUDE_LIKE), 'text/event-stream');
    const runner = client.responses.stream({ model: 'gpt-5', input: 'weather?' });
    const deltas: string[] = [];
    runner.on('response.output_text.delta', (e) => deltas.push(e.snapshot));
    const final = await runner.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe('Let me check.');
    expect(deltas).toEqual(['Let me ', 'Let me check.']);
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call']);
    const call = final.output[2];
    expect(call.type === 'function_call' && JSON.parse(call.arguments)).toEqual({
      location: 'San Francisco, CA',
    });
    expect(call.type === 'function_call' && call.call_id).toBe('toolu_01T1x');
    expect(final.usage).toMatchObject({ input_tokens: 472, output_tokens: 89, total_tokens: 561 });
  });

  it('should surface a mid-stream failure as a failed response with its error', async () => {
    const bytes = encodeAll([
      { type: 'text_delta', text: 'partial' },
      { type: 'error', status: 500, errorType: 'api_error', message: 'upstream died' },
    ]);
    const final = await clientFor(bytes, 'text/event-stream')
      .responses.stream({ model: 'gpt-5', input: 'x' })
      .finalResponse();
    expect(final.status).toBe('failed');
    expect(final.error).toEqual({ code: 'server_error', message: 'upstream died' });
    expect(final.output_text).toBe('partial');
  });

  it('should let the SDK replay our recorded fixture streams', async () => {
    const raw = readFileSync(
      join(
        __dirname,
        '../../../../../test/fixtures/openai-responses/stream-reasoning-text-tool.sse',
      ),
      'utf8',
    );
    // Decode the capture and re-encode it as a proxy would for a Responses client.
    const c = ctx();
    const decoder = openaiResponsesCodec.createStreamDecoder(c);
    const parser = new SSEParser();
    const ir = [...parser.push(raw), ...parser.end()].flatMap((e) => decoder.push(e));
    ir.push(...decoder.end());
    const final = await clientFor(encodeAll(ir, c), 'text/event-stream')
      .responses.stream({ model: 'gpt-5', input: 'x' })
      .finalResponse();
    expect(final.output_text).toBe('Let me check the weather in Paris.');
    const reasoning = final.output[0];
    expect(reasoning.type === 'reasoning' && reasoning.summary[0].text).toMatch(/^\*\*Deciding/);
  });
});
