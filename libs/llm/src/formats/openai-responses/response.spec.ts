import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import type { IRResponse } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { shortenToolName } from '@app/llm/util/tool-names';
import { openaiResponsesCodec } from '@app/llm/formats/openai-responses';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(
    readFileSync(join(__dirname, '../../../../../test/fixtures/openai-responses', name), 'utf8'),
  );

const sut = openaiResponsesCodec;
const ctx = () => createContext({ upstreamModel: 'gpt-5', requestedModel: 'gpt-5' });

function ir(over: Partial<IRResponse> = {}): IRResponse {
  return {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    model: 'claude-sonnet-4-5',
    created: 1700000000,
    candidates: [
      {
        index: 0,
        content: [
          { type: 'reasoning', text: 'Thinking about it', signature: 'sig' },
          { type: 'text', text: 'Let me check.' },
          {
            type: 'tool_call',
            id: 'toolu_01A',
            name: 'get_weather',
            arguments: '{"city":"Paris"}',
          },
        ],
        stopReason: 'tool_calls',
      },
    ],
    usage: {
      inputTokens: 120,
      outputTokens: 40,
      reasoningTokens: 10,
      cachedTokens: 100,
      totalTokens: 160,
    },
    sourceFormat: 'claude',
    extra: {},
    ...over,
  };
}

describe('openaiResponsesCodec.parseResponse', () => {
  it('should read text, ids, stop reason and usage of a completed response', () => {
    const out = sut.parseResponse(fixture('response-text.json'), ctx());
    expect(out.id).toBe('resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b');
    expect(out.model).toBe('gpt-4.1-2025-04-14');
    expect(out.created).toBe(1741476542);
    expect(out.candidates).toHaveLength(1);
    expect(out.candidates[0].stopReason).toBe('stop');
    expect(out.candidates[0].content).toEqual([
      { type: 'text', text: expect.stringMatching(/^In a peaceful grove/) },
    ]);
    expect(out.usage).toEqual({
      inputTokens: 36,
      outputTokens: 87,
      reasoningTokens: 0,
      cachedTokens: 0,
      totalTokens: 123,
    });
  });

  it('should read reasoning and function calls and stop with tool_calls', () => {
    const out = sut.parseResponse(fixture('response-tool-call.json'), ctx());
    expect(out.candidates[0].stopReason).toBe('tool_calls');
    expect(out.candidates[0].content).toEqual([
      {
        type: 'reasoning',
        text: '**Looking up the weather**\n\nThe user asks about Paris, so I should call get_weather.',
        id: 'rs_6820f383d7c08191846711c5df8233bc0ac5ba57aafcbac7',
      },
      {
        type: 'tool_call',
        id: 'call_Vx3Nq2uDk8YqL0tWb7RrA1sE',
        name: 'get_weather',
        arguments: '{"location":"Paris, France","unit":"celsius"}',
      },
    ]);
    expect(out.usage).toMatchObject({ cachedTokens: 64, reasoningTokens: 192, totalTokens: 292 });
  });

  it('should map incomplete max_output_tokens to length and content_filter to content_filter', () => {
    expect(
      sut.parseResponse(fixture('response-incomplete.json'), ctx()).candidates[0].stopReason,
    ).toBe('length');
    const filtered = {
      ...fixture('response-incomplete.json'),
      incomplete_details: { reason: 'content_filter' },
    };
    expect(sut.parseResponse(filtered, ctx()).candidates[0].stopReason).toBe('content_filter');
  });

  it('should map a failed response to error and a refusal to refusal', () => {
    const failed = {
      ...fixture('response-text.json'),
      status: 'failed',
      output: [],
      error: { code: 'server_error', message: 'boom' },
    };
    const out = sut.parseResponse(failed, ctx());
    expect(out.candidates[0].stopReason).toBe('error');
    expect(out.extra.error).toEqual({ code: 'server_error', message: 'boom' });
    const refusal = {
      ...fixture('response-text.json'),
      output: [
        {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'refusal', refusal: "I can't help with that." }],
        },
      ],
    };
    const r = sut.parseResponse(refusal, ctx());
    expect(r.candidates[0]).toMatchObject({
      stopReason: 'refusal',
      content: [{ type: 'text', text: "I can't help with that." }],
    });
  });

  it('should restore tool names shortened on the way up', () => {
    const c = ctx();
    const long = `mcp__server__${'x'.repeat(70)}`;
    const short = shortenToolName(long, c);
    const body = fixture('response-tool-call.json');
    const output = body.output as Record<string, unknown>[];
    output[1] = { ...output[1], name: short };
    const part = sut.parseResponse(body, c).candidates[0].content[1];
    expect(part).toMatchObject({ type: 'tool_call', name: long });
  });

  it('should accept a response.completed payload and reject bodies without output', () => {
    const wrapped = { type: 'response.completed', response: fixture('response-text.json') };
    expect(sut.parseResponse(wrapped, ctx()).id).toMatch(/^resp_67ccd2/);
    expect(() => sut.parseResponse({ id: 'x' }, ctx())).toThrow(TranslationError);
    expect(() => sut.parseResponse('nope', ctx())).toThrow(TranslationError);
  });
});

describe('openaiResponsesCodec.buildResponse', () => {
  it('should render reasoning, message and function_call items in order with usage', () => {
    const out = sut.buildResponse(ir(), ctx());
    expect(out).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'claude-sonnet-4-5',
      created_at: 1700000000,
      error: null,
      incomplete_details: null,
      usage: {
        input_tokens: 120,
        input_tokens_details: { cached_tokens: 100 },
        output_tokens: 40,
        output_tokens_details: { reasoning_tokens: 10 },
        total_tokens: 160,
      },
    });
    expect(out.id).toMatch(/^resp_/);
    const output = out.output as Record<string, unknown>[];
    expect(output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(output[0]).toMatchObject({
      id: expect.stringMatching(/^rs_/),
      summary: [{ type: 'summary_text', text: 'Thinking about it' }],
    });
    // A Claude signature is not Responses encrypted content.
    expect(output[0]).not.toHaveProperty('encrypted_content');
    expect(output[1]).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: 'Let me check.', annotations: [] }],
    });
    expect(output[2]).toMatchObject({
      id: expect.stringMatching(/^fc_/),
      status: 'completed',
      call_id: 'toolu_01A',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
  });

  it('should mark a length stop as incomplete with max_output_tokens', () => {
    const out = sut.buildResponse(
      ir({
        candidates: [{ index: 0, content: [{ type: 'text', text: 'cut' }], stopReason: 'length' }],
      }),
      ctx(),
    );
    expect(out.status).toBe('incomplete');
    expect(out.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect((out.output as Record<string, unknown>[])[0].status).toBe('incomplete');
  });

  it('should echo the client request settings when the client spoke Responses', () => {
    const c = ctx();
    const body = JSON.parse(
      readFileSync(
        join(__dirname, '../../../../../test/fixtures/openai-responses/request-tools.json'),
        'utf8',
      ),
    ) as Record<string, unknown>;
    sut.parseRequest(body, c);
    const out = sut.buildResponse(ir(), c);
    expect(out).toMatchObject({
      instructions: 'You are a concise weather assistant.',
      tools: body.tools,
      tool_choice: 'auto',
      store: false,
      max_output_tokens: 2048,
      reasoning: { effort: 'high', summary: 'auto' },
      metadata: { conversation: 'c-77' },
    });
  });

  it('should keep encrypted reasoning and round-trip through parseResponse', () => {
    const c = ctx();
    const src = sut.parseResponse(fixture('response-tool-call.json'), c);
    const rebuilt = sut.parseResponse(sut.buildResponse(src, c), c);
    expect(rebuilt.candidates).toEqual(src.candidates);
    expect(rebuilt.usage).toEqual(src.usage);

    const enc = sut.buildResponse(
      ir({
        candidates: [
          {
            index: 0,
            content: [{ type: 'reasoning', text: '', encrypted: 'gAAA' }],
            stopReason: 'stop',
          },
        ],
      }),
      c,
    );
    expect((enc.output as Record<string, unknown>[])[0]).toMatchObject({
      type: 'reasoning',
      summary: [],
      encrypted_content: 'gAAA',
    });
  });
});
