import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import type { IRRequest } from '@app/llm/ir/types';
import { StreamTranslator } from '@app/llm/stream/stream-translator';
import { translateRequest } from '@app/llm/translate';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { codexCodec, parseCodexResetSeconds } from '@app/llm/formats/codex';

const fixture = (path: string): string =>
  readFileSync(join(__dirname, '../../../../../test/fixtures', path), 'utf8');

const sut = codexCodec;
const ctx = () => createContext({ upstreamModel: 'gpt-5-codex' });

function chatIR(over: Partial<IRRequest> = {}): IRRequest {
  return {
    model: 'gpt-5-codex',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    sampling: { temperature: 0.3, topP: 0.8, maxTokens: 1000 },
    stream: false,
    user: 'u-1',
    sourceFormat: 'openai',
    extra: {},
    ...over,
  };
}

describe('codexCodec.buildRequest', () => {
  it('should always stream, never store, include encrypted reasoning and drop rejected fields', () => {
    const out = sut.buildRequest(chatIR(), ctx());
    expect(out).toMatchObject({
      model: 'gpt-5-codex',
      instructions: '',
      stream: true,
      store: false,
      include: ['reasoning.encrypted_content'],
      parallel_tool_calls: true,
    });
    for (const key of ['max_output_tokens', 'temperature', 'top_p', 'user']) {
      expect(out).not.toHaveProperty(key);
    }
  });

  it('should keep the first system text as instructions and send the rest as developer messages', () => {
    const out = sut.buildRequest(
      chatIR({
        system: [
          { type: 'text', text: 'You are a coding agent.' },
          { type: 'text', text: 'Project rules: use tabs.' },
        ],
      }),
      ctx(),
    );
    expect(out.instructions).toBe('You are a coding agent.');
    expect(out.input).toEqual([
      {
        type: 'message',
        role: 'developer',
        content: [{ type: 'input_text', text: 'Project rules: use tabs.' }],
      },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] },
    ]);
  });

  it('should keep the client parallel_tool_calls and replay encrypted reasoning without ids', () => {
    const out = sut.buildRequest(
      chatIR({
        parallelToolCalls: false,
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 's', encrypted: 'gAAA', id: 'rs_1' },
              { type: 'reasoning', text: 'stored only', id: 'rs_2' },
            ],
          },
        ],
      }),
      ctx(),
    );
    expect(out.parallel_tool_calls).toBe(false);
    expect(out.input).toEqual([
      {
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: 's' }],
        encrypted_content: 'gAAA',
      },
    ]);
  });

  it('should forward a Codex CLI body through the Responses client format with Codex rules', () => {
    const body = JSON.parse(fixture('codex/request.json')) as Record<string, unknown>;
    const c = ctx();
    const out = translateRequest(
      'openai-responses',
      'codex',
      { ...body, max_output_tokens: 100, truncation: 'auto', service_tier: 'flex' },
      c,
    );
    expect(out).toMatchObject({
      model: 'gpt-5-codex',
      instructions: body.instructions,
      tools: body.tools,
      tool_choice: 'auto',
      parallel_tool_calls: false,
      reasoning: { effort: 'medium', summary: 'auto' },
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: '0199e7b2-5c1d-7a40-9f3e-2b8c6d4a1e07',
    });
    for (const key of ['max_output_tokens', 'truncation', 'service_tier']) {
      expect(out).not.toHaveProperty(key);
    }
    const input = out.input as Record<string, unknown>[];
    expect(input.map((i) => i.type)).toEqual([
      'message',
      'message',
      'reasoning',
      'function_call',
      'function_call_output',
    ]);
    expect(input[3]).toMatchObject({ call_id: 'call_Kq2Lw8Nn5Rr1Tt7Yy3Uu9Ii0', name: 'shell' });
    expect(input[4]).toMatchObject({ call_id: 'call_Kq2Lw8Nn5Rr1Tt7Yy3Uu9Ii0' });
  });

  it('should keep the priority tier, rename preview built-ins and turn passthrough system roles into developer', () => {
    const c = ctx();
    const out = translateRequest(
      'openai-responses',
      'codex',
      {
        model: 'gpt-5',
        input: [
          { role: 'system', content: 'sys' },
          { type: 'item_reference', id: 'msg_1' },
        ],
        tools: [{ type: 'web_search_preview' }],
        tool_choice: { type: 'web_search_preview' },
        service_tier: 'priority',
        include: ['file_search_call.results'],
      },
      c,
    );
    expect(out).toMatchObject({
      service_tier: 'priority',
      tools: [{ type: 'web_search' }],
      tool_choice: { type: 'web_search' },
      include: ['file_search_call.results', 'reasoning.encrypted_content'],
      input: [
        { role: 'developer', content: 'sys' },
        { type: 'item_reference', id: 'msg_1' },
      ],
    });
  });
});

describe('codexCodec responses', () => {
  it('should translate a Codex stream for a Responses client with the requested model', () => {
    const c = createContext({ upstreamModel: 'gpt-5-codex', requestedModel: 'my-codex' });
    const sut = new StreamTranslator('codex', 'openai-responses', c);
    const raw = fixture('codex/stream-text.sse');
    const frames = new SSEParser().push(sut.push(raw) + sut.flush() + sut.end());
    const last = JSON.parse(frames[frames.length - 1].data) as {
      type: string;
      response: Record<string, unknown>;
    };
    expect(last.type).toBe('response.completed');
    expect(last.response).toMatchObject({
      model: 'my-codex',
      status: 'completed',
      output: [
        { type: 'reasoning', summary: [], encrypted_content: expect.stringMatching(/^gAAAA/) },
        {
          type: 'message',
          content: [{ type: 'output_text', text: 'There are **42** TypeScript files in `src`.' }],
        },
      ],
      usage: { input_tokens: 4890, input_tokens_details: { cached_tokens: 4480 } },
    });
    expect(sut.usage).toMatchObject({ inputTokens: 4890, reasoningTokens: 38 });
  });

  it('should tag parsed requests and responses with the codex format', () => {
    const body = JSON.parse(fixture('codex/request.json')) as Record<string, unknown>;
    expect(sut.parseRequest(body, ctx()).sourceFormat).toBe('codex');
    const rsp = JSON.parse(fixture('openai-responses/response-text.json')) as Record<
      string,
      unknown
    >;
    expect(sut.parseResponse(rsp, ctx()).sourceFormat).toBe('codex');
  });
});

describe(parseCodexResetSeconds.name, () => {
  const now = 1760446213000; // 17387 s before resets_at in the fixture

  it('should prefer resets_in_seconds', () => {
    expect(parseCodexResetSeconds(fixture('codex/error-429-usage-limit.json'), now)).toBe(17387);
  });

  it('should fall back to resets_at against the clock', () => {
    const body = JSON.stringify({ error: { type: 'usage_limit_reached', resets_at: 1760446273 } });
    expect(parseCodexResetSeconds(body, now)).toBe(60);
    expect(parseCodexResetSeconds(body, 1760446300000)).toBeUndefined();
  });

  it('should accept numeric strings and top-level fields, and ignore junk', () => {
    expect(parseCodexResetSeconds('{"error":{"resets_in_seconds":"90.2"}}')).toBe(91);
    expect(parseCodexResetSeconds('{"resets_in_seconds":5}')).toBe(5);
    expect(parseCodexResetSeconds('{"error":{"message":"nope"}}')).toBeUndefined();
    expect(parseCodexResetSeconds('not json')).toBeUndefined();
    expect(parseCodexResetSeconds('[1]')).toBeUndefined();
  });
});
