import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import type { IRRequest } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { openaiResponsesCodec } from '@app/llm/formats/openai-responses';
import { RESPONSES_REQUEST_STATE } from '@app/llm/formats/openai-responses/shared';

const fixture = (name: string): unknown =>
  JSON.parse(
    readFileSync(join(__dirname, '../../../../../test/fixtures/openai-responses', name), 'utf8'),
  );

const sut = openaiResponsesCodec;
const ctx = () => createContext({ upstreamModel: 'gpt-5' });

/** An IR as the OpenAI chat codec would produce it: assistant tool_calls + a tool result. */
function chatIR(over: Partial<IRRequest> = {}): IRRequest {
  return {
    model: 'gpt-5',
    system: [{ type: 'text', text: 'You are a helpful assistant.' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          {
            type: 'tool_call',
            id: 'call_abc',
            name: 'get_weather',
            arguments: '{"location":"Paris"}',
          },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            callId: 'call_abc',
            name: 'get_weather',
            content: [{ type: 'text', text: '{"temp":18}' }],
          },
        ],
      },
    ],
    tools: [
      {
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { location: { type: 'string' } } },
      },
    ],
    sampling: { temperature: 0.5, topP: 0.9, maxTokens: 512, stop: ['END'], seed: 1 },
    stream: false,
    sourceFormat: 'openai',
    extra: { logprobs: true },
    ...over,
  };
}

describe('openaiResponsesCodec.parseRequest', () => {
  it('should turn a string input into one user message', () => {
    const ir = sut.parseRequest(fixture('request-text.json'), ctx());
    expect(ir.model).toBe('gpt-4.1');
    expect(ir.system).toEqual([]);
    expect(ir.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Tell me a three sentence bedtime story about a unicorn.' },
        ],
      },
    ]);
    expect(ir.stream).toBe(false);
    expect(ir.sourceFormat).toBe('openai-responses');
  });

  it('should map instructions, developer messages, reasoning, calls and outputs of a multi-turn body', () => {
    const ir = sut.parseRequest(fixture('request-tools.json'), ctx());
    expect(ir.system.map((s) => s.text)).toEqual([
      'You are a concise weather assistant.',
      'Always answer in metric units.',
    ]);
    expect(ir.messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    const [, assistant, results, answer, followUp] = ir.messages;
    expect(assistant.content).toEqual([
      {
        type: 'reasoning',
        text: '**Checking both cities**\n\nI need the weather tool for Paris and for Tokyo.',
        encrypted: expect.stringMatching(/^gAAAAAB/),
        id: 'rs_6820f383d7c08191846711c5df8233bc0ac5ba57aafcbac7',
      },
      {
        type: 'tool_call',
        id: 'call_Vx3Nq2uDk8YqL0tWb7RrA1sE',
        name: 'get_weather',
        arguments: '{"location":"Paris, France","unit":"celsius"}',
      },
      {
        type: 'tool_call',
        id: 'call_9KpR4mTz0cJhW2eYs6LqB8dN',
        name: 'get_weather',
        arguments: '{"location":"Tokyo, Japan","unit":"celsius"}',
      },
    ]);
    // Both parallel results answer one turn, so they share one user message, names filled in.
    expect(results.content).toEqual([
      {
        type: 'tool_result',
        callId: 'call_Vx3Nq2uDk8YqL0tWb7RrA1sE',
        name: 'get_weather',
        content: [{ type: 'text', text: '{"temperature":18,"conditions":"light rain"}' }],
      },
      {
        type: 'tool_result',
        callId: 'call_9KpR4mTz0cJhW2eYs6LqB8dN',
        name: 'get_weather',
        content: [{ type: 'text', text: '{"temperature":24,"conditions":"sunny"}' }],
      },
    ]);
    expect(answer.content).toEqual([
      { type: 'text', text: 'Paris: 18 °C with light rain. Tokyo: 24 °C and sunny.' },
    ]);
    expect(followUp.content).toEqual([
      { type: 'text', text: 'Thanks! Should I take an umbrella in Paris?' },
    ]);
  });

  it('should map tools, tool choice, reasoning, limits and keep unknown fields in extra', () => {
    const ir = sut.parseRequest(fixture('request-tools.json'), ctx());
    expect(ir.tools).toEqual([
      expect.objectContaining({
        name: 'get_weather',
        strict: true,
        description: expect.any(String),
      }),
    ]);
    expect(ir.tools?.[0].parameters).toMatchObject({ required: ['location', 'unit'] });
    expect(ir.toolChoice).toEqual({ type: 'auto' });
    expect(ir.parallelToolCalls).toBe(true);
    expect(ir.reasoning).toEqual({ level: 'high', summary: 'auto', includeThoughts: true });
    expect(ir.sampling).toEqual({ maxTokens: 2048 });
    expect(ir.user).toBe('user-1234');
    expect(ir.metadata).toEqual({ conversation: 'c-77' });
    expect(ir.extra).toEqual({
      tools: [{ type: 'web_search_preview', search_context_size: 'low' }],
      store: false,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'weather-session-42',
      service_tier: 'auto',
      truncation: 'auto',
      text: { verbosity: 'low' },
    });
  });

  it('should parse images and files as data URIs, URLs and file ids', () => {
    const ir = sut.parseRequest(fixture('request-multimodal.json'), ctx());
    const parts = ir.messages[0].content;
    expect(parts[0]).toMatchObject({ type: 'text' });
    expect(parts[1]).toEqual({
      type: 'image',
      source: { kind: 'base64', mediaType: 'image/png', data: expect.stringMatching(/^iVBORw0K/) },
      detail: 'high',
    });
    expect(parts[2]).toEqual({
      type: 'image',
      source: {
        kind: 'url',
        url: 'https://upload.wikimedia.org/wikipedia/commons/3/3f/Fronalpstock_big.jpg',
      },
      detail: 'auto',
    });
    expect(parts[3]).toEqual({
      type: 'file',
      source: {
        kind: 'base64',
        mediaType: 'application/pdf',
        data: expect.stringMatching(/^JVBERi/),
      },
      filename: 'report.pdf',
    });
    expect(parts[4]).toEqual({
      type: 'file',
      source: { kind: 'file-id', fileId: 'file-6F2ksmvXxt4VdoqmHRw6kL' },
    });
  });

  it('should read system messages, JSON schema output and sampling', () => {
    const ir = sut.parseRequest(fixture('request-structured.json'), ctx());
    expect(ir.system).toEqual([{ type: 'text', text: 'Extract the event information.' }]);
    expect(ir.messages).toHaveLength(1);
    expect(ir.responseFormat).toEqual({
      type: 'json_schema',
      name: 'calendar_event',
      strict: true,
      schema: expect.objectContaining({ required: ['name', 'date', 'participants'] }),
    });
    expect(ir.sampling).toEqual({ temperature: 0.2, topP: 0.9 });
  });

  it('should keep the client body in the context for the response echo', () => {
    const c = ctx();
    const body = fixture('request-structured.json');
    sut.parseRequest(body, c);
    expect(c.state[RESPONSES_REQUEST_STATE]).toBe(body);
  });

  it('should carry the raw input when it holds items the IR cannot represent', () => {
    const input = [
      { role: 'user', content: 'hi' },
      { type: 'compaction', id: 'cmp_1', encrypted_content: 'gAAA' },
      { type: 'item_reference', id: 'msg_9' },
    ];
    const ir = sut.parseRequest({ model: 'gpt-5', input }, ctx());
    expect(ir.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
    expect(ir.extra.input).toBe(input);
  });

  it.each([
    ['a non-object body', 'hello', undefined],
    ['a numeric input', { model: 'm', input: 42 }, 'input'],
    ['an item without type or role', { model: 'm', input: [{ content: 'x' }] }, 'input[0]'],
    ['an unknown role', { model: 'm', input: [{ role: 'tool', content: 'x' }] }, 'input[0].role'],
    [
      'non-array content',
      { model: 'm', input: [{ role: 'user', content: 5 }] },
      'input[0].content',
    ],
    ['tools that are not an array', { model: 'm', input: 'x', tools: {} }, 'tools'],
    [
      'a function_call_output without call_id',
      { model: 'm', input: [{ type: 'function_call_output', output: 'x' }] },
      'input[0].call_id',
    ],
  ])('should reject %s with a TranslationError and its path', (_name, body, path) => {
    let caught: unknown;
    try {
      sut.parseRequest(body, ctx());
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TranslationError);
    expect((caught as TranslationError).path).toBe(path);
  });
});

describe('openaiResponsesCodec.buildRequest', () => {
  it('should give an OpenAI-style tool call and result the same call_id as function_call and function_call_output', () => {
    const out = sut.buildRequest(chatIR(), ctx());
    expect(out.instructions).toBe('You are a helpful assistant.');
    expect(out.input).toEqual([
      {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'Weather in Paris?' }],
      },
      {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Checking.', annotations: [] }],
      },
      {
        type: 'function_call',
        call_id: 'call_abc',
        name: 'get_weather',
        arguments: '{"location":"Paris"}',
      },
      { type: 'function_call_output', call_id: 'call_abc', output: '{"temp":18}' },
    ]);
  });

  it('should map sampling, declare tools non-strict and drop fields Responses lacks', () => {
    const out = sut.buildRequest(chatIR(), ctx());
    expect(out).toMatchObject({
      model: 'gpt-5',
      temperature: 0.5,
      top_p: 0.9,
      max_output_tokens: 512,
      stream: false,
    });
    expect(out.tools).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { location: { type: 'string' } } },
        strict: false,
      },
    ]);
    // stop / seed have no Responses field; chat-only extras must not leak across formats.
    expect(out).not.toHaveProperty('stop');
    expect(out).not.toHaveProperty('seed');
    expect(out).not.toHaveProperty('logprobs');
  });

  it('should shorten tool names over 64 characters everywhere and remember the originals', () => {
    const long = `mcp__filesystem__${'read_text_file_with_a_really_long_name_'.repeat(2)}`;
    const c = ctx();
    const ir = chatIR({
      tools: [{ name: long, parameters: { type: 'object' } }],
      toolChoice: { type: 'tool', name: long },
      messages: [
        {
          role: 'assistant',
          content: [{ type: 'tool_call', id: 'call_1', name: long, arguments: '{}' }],
        },
      ],
    });
    const out = sut.buildRequest(ir, c);
    const tools = out.tools as { name: string }[];
    expect(tools[0].name.length).toBeLessThanOrEqual(64);
    expect(out.tool_choice).toEqual({ type: 'function', name: tools[0].name });
    expect((out.input as { name?: string }[])[0].name).toBe(tools[0].name);
    expect(c.toolNameMap.get(tools[0].name)).toBe(long);
  });

  it.each([
    [
      { budget: 24576, includeThoughts: true },
      { effort: 'high', summary: 'auto' },
    ],
    [{ level: 'low' as const }, { effort: 'low' }],
    [{ level: 'auto' as const, includeThoughts: true }, { summary: 'auto' }],
    [{ level: 'none' as const, includeThoughts: false }, { effort: 'none' }],
    [
      { budget: 100000, summary: 'detailed' },
      { effort: 'max', summary: 'detailed' },
    ],
  ])('should map reasoning %j to %j', (reasoning, expected) => {
    const out = sut.buildRequest(chatIR({ reasoning }), ctx());
    expect(out.reasoning).toEqual(expected);
  });

  it('should render images and files as data URIs, URLs and ids, and image tool output as parts', () => {
    const ir = chatIR({
      system: [],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: 'AAA' } },
            { type: 'image', source: { kind: 'url', url: 'https://x/y.png' }, detail: 'low' },
            {
              type: 'file',
              source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVB' },
              filename: 'a.pdf',
            },
            { type: 'file', source: { kind: 'file-id', fileId: 'file-1' } },
            {
              type: 'tool_result',
              callId: 'call_1',
              content: [
                { type: 'text', text: 'screenshot:' },
                { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'PNG' } },
              ],
            },
          ],
        },
      ],
    });
    const out = sut.buildRequest(ir, ctx());
    expect(out).not.toHaveProperty('instructions');
    expect(out.input).toEqual([
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_image', detail: 'auto', image_url: 'data:image/jpeg;base64,AAA' },
          { type: 'input_image', detail: 'low', image_url: 'https://x/y.png' },
          { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVB' },
          { type: 'input_file', file_id: 'file-1' },
        ],
      },
      {
        type: 'function_call_output',
        call_id: 'call_1',
        output: [
          { type: 'input_text', text: 'screenshot:' },
          { type: 'input_image', detail: 'auto', image_url: 'data:image/png;base64,PNG' },
        ],
      },
    ]);
  });

  it('should replay only reasoning that Responses can read back', () => {
    const ir = chatIR({
      system: [],
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'claude thinking', signature: 'sig' },
            { type: 'reasoning', text: 'summary', encrypted: 'gAAA', id: 'rs_1' },
            { type: 'text', text: 'ok' },
          ],
        },
      ],
    });
    expect(sut.buildRequest(ir, ctx()).input).toEqual([
      {
        type: 'reasoning',
        id: 'rs_1',
        summary: [{ type: 'summary_text', text: 'summary' }],
        encrypted_content: 'gAAA',
      },
      {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'ok', annotations: [] }],
      },
    ]);
  });

  it('should send extra system parts as developer messages and JSON schema as text.format', () => {
    const ir = chatIR({
      system: [
        { type: 'text', text: 'first' },
        { type: 'text', text: 'second' },
      ],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      responseFormat: { type: 'json_schema', schema: { type: 'object' } },
    });
    const out = sut.buildRequest(ir, ctx());
    expect(out.instructions).toBe('first');
    expect((out.input as unknown[])[0]).toEqual({
      type: 'message',
      role: 'developer',
      content: [{ type: 'input_text', text: 'second' }],
    });
    expect(out.text).toEqual({
      format: { type: 'json_schema', name: 'response', schema: { type: 'object' } },
    });
  });

  it('should pass metadata only when OpenAI can take it', () => {
    const withNumber = sut.buildRequest(
      chatIR({ sourceFormat: 'claude', metadata: { user_id: 'u', n: 1 } }),
      ctx(),
    );
    expect(withNumber).not.toHaveProperty('metadata');
    const strings = sut.buildRequest(chatIR({ metadata: { a: 'b' } }), ctx());
    expect(strings.metadata).toEqual({ a: 'b' });
  });

  it('should round-trip a Responses body with its unknown fields, built-in tools and text options', () => {
    const body = fixture('request-tools.json') as Record<string, unknown>;
    const c = ctx();
    const out = sut.buildRequest(sut.parseRequest(body, c), c);
    expect(out).toMatchObject({
      model: 'o4-mini',
      instructions: 'You are a concise weather assistant.',
      store: false,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'weather-session-42',
      truncation: 'auto',
      service_tier: 'auto',
      tool_choice: 'auto',
      parallel_tool_calls: true,
      reasoning: { effort: 'high', summary: 'auto' },
      max_output_tokens: 2048,
      text: { verbosity: 'low' },
      user: 'user-1234',
      metadata: { conversation: 'c-77' },
    });
    expect(out.tools).toEqual(body.tools);
    const input = out.input as Record<string, unknown>[];
    expect(input.map((i) => i.type)).toEqual([
      'message',
      'message',
      'reasoning',
      'function_call',
      'function_call',
      'function_call_output',
      'function_call_output',
      'message',
      'message',
    ]);
    expect(input[0]).toMatchObject({ role: 'developer' });
    expect(input[3]).toMatchObject({ call_id: 'call_Vx3Nq2uDk8YqL0tWb7RrA1sE' });
    expect(input[5]).toMatchObject({ call_id: 'call_Vx3Nq2uDk8YqL0tWb7RrA1sE' });
  });

  it('should pass opaque input items through only within the Responses family', () => {
    const input = [
      { role: 'user', content: 'hi' },
      { type: 'compaction', id: 'cmp_1', encrypted_content: 'gAAA' },
    ];
    const c = ctx();
    const ir = sut.parseRequest({ model: 'gpt-5', input }, c);
    expect(sut.buildRequest(ir, c).input).toBe(input);
    const foreign = sut.buildRequest({ ...ir, sourceFormat: 'claude' }, c);
    expect(foreign.input).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
    ]);
  });
});
