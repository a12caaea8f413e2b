import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRRequest } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { applyModelSuffix } from '@app/llm/util/thinking';
import { buildOpenAIRequest, parseOpenAIRequest } from '@app/llm/formats/openai/request';
import { STATE_LEGACY_FUNCTIONS, STATE_MAX_TOKENS_FIELD } from '@app/llm/formats/openai/wire';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/openai');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const ctxFor = (): TranslationContext => createContext({ upstreamModel: 'gpt-4o' });

/** A minimal IR request from another format, to build from. */
function irFrom(sourceFormat: IRRequest['sourceFormat'], over: Partial<IRRequest> = {}): IRRequest {
  return {
    model: 'gpt-4o',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    sampling: {},
    stream: false,
    sourceFormat,
    extra: {},
    ...over,
  };
}

describe(parseOpenAIRequest.name, () => {
  it('should put the system prompt into ir.system and keep one user message', () => {
    const sut = parseOpenAIRequest(fixture('chat-request-basic.json'), ctxFor());

    expect(sut.model).toBe('gpt-4o');
    expect(sut.sourceFormat).toBe('openai');
    expect(sut.system).toEqual([{ type: 'text', text: 'You are a helpful assistant.' }]);
    expect(sut.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }]);
    expect(sut.stream).toBe(false);
    expect(sut.extra).toEqual({});
  });

  it('should keep system and developer messages in order', () => {
    const sut = parseOpenAIRequest(
      {
        model: 'm',
        messages: [
          { role: 'system', content: 'first' },
          {
            role: 'developer',
            content: [
              { type: 'text', text: 'second' },
              { type: 'text', text: 'third' },
            ],
          },
          { role: 'user', content: 'q' },
        ],
      },
      ctxFor(),
    );

    expect(sut.system.map((p) => p.text)).toEqual(['first', 'second', 'third']);
  });

  it('should turn assistant tool_calls and tool messages into paired tool_call / tool_result parts', () => {
    const sut = parseOpenAIRequest(fixture('chat-request-tools.json'), ctxFor());

    expect(sut.system).toEqual([
      {
        type: 'text',
        text: 'You are a weather assistant. Always use the tools for current conditions.',
      },
    ]);
    expect(sut.messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(sut.messages[1].content).toEqual([
      {
        type: 'tool_call',
        id: 'call_8Kq2LxZ1fWm3Vd0pRj7Tn4Ha',
        name: 'get_weather',
        arguments: '{"location":"Paris, France","unit":"celsius"}',
      },
      {
        type: 'tool_call',
        id: 'call_Qz5Bv9Ym2Xc6Ns1Lk8Pw3Ed0',
        name: 'get_weather',
        arguments: '{"location":"Tokyo, Japan","unit":"celsius"}',
      },
    ]);
    // Consecutive tool messages become one user message, named from the calls they answer.
    expect(sut.messages[2].content).toEqual([
      {
        type: 'tool_result',
        callId: 'call_8Kq2LxZ1fWm3Vd0pRj7Tn4Ha',
        name: 'get_weather',
        content: [{ type: 'text', text: '{"temperature":18,"condition":"cloudy"}' }],
      },
      {
        type: 'tool_result',
        callId: 'call_Qz5Bv9Ym2Xc6Ns1Lk8Pw3Ed0',
        name: 'get_weather',
        content: [{ type: 'text', text: '{"temperature":24,"condition":"sunny"}' }],
      },
    ]);
    expect(sut.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Get the current weather for a location',
        parameters: expect.objectContaining({ required: ['location', 'unit'] }),
        strict: true,
      },
    ]);
    expect(sut.toolChoice).toEqual({ type: 'auto' });
    expect(sut.parallelToolCalls).toBe(true);
  });

  it('should merge a user turn that follows tool results into the same user message', () => {
    const sut = parseOpenAIRequest(
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'run it' },
          {
            role: 'assistant',
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'run', arguments: '{}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'done' },
          { role: 'user', content: 'and now?' },
          { role: 'user', content: 'hello?' },
        ],
      },
      ctxFor(),
    );

    expect(sut.messages).toHaveLength(4);
    expect(sut.messages[2].content.map((p) => p.type)).toEqual(['tool_result', 'text']);
    expect(sut.messages[3].content).toEqual([{ type: 'text', text: 'hello?' }]);
  });

  it('should read images, files and audio from user content parts', () => {
    const sut = parseOpenAIRequest(fixture('chat-request-multimodal.json'), ctxFor());

    const parts = sut.messages[0].content;
    expect(parts[0]).toEqual({
      type: 'text',
      text: 'Compare these two images and summarise the attached report.',
    });
    expect(parts[1]).toEqual({
      type: 'image',
      source: {
        kind: 'base64',
        mediaType: 'image/png',
        data: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      },
    });
    expect(parts[2]).toEqual({
      type: 'image',
      source: { kind: 'url', url: expect.stringMatching(/^https:\/\/upload\.wikimedia\.org\//) },
      detail: 'high',
    });
    expect(parts[3]).toEqual({
      type: 'file',
      filename: 'report.pdf',
      source: {
        kind: 'base64',
        mediaType: 'application/pdf',
        data: expect.stringMatching(/^JVBERi0/),
      },
    });
    expect(parts[4]).toEqual({
      type: 'file',
      source: { kind: 'file-id', fileId: 'file-6F2ksmvXxt4VdoqmHRw6kL' },
    });
    expect(parts[5]).toEqual({
      type: 'file',
      source: { kind: 'base64', mediaType: 'audio/wav', data: expect.stringMatching(/^UklGR/) },
    });
    expect(sut.sampling.maxTokens).toBe(300);
  });

  it('should infer the media type of bare base64 file_data from the filename', () => {
    const sut = parseOpenAIRequest(
      {
        model: 'm',
        messages: [
          {
            role: 'user',
            content: [{ type: 'file', file: { filename: 'notes.TXT', file_data: 'aGVsbG8=' } }],
          },
        ],
      },
      ctxFor(),
    );

    expect(sut.messages[0].content[0]).toEqual({
      type: 'file',
      filename: 'notes.TXT',
      source: { kind: 'base64', mediaType: 'text/plain', data: 'aGVsbG8=' },
    });
  });

  it('should map sampling, reasoning, response format, stream options and metadata', () => {
    const ctx = ctxFor();
    const sut = parseOpenAIRequest(fixture('chat-request-params.json'), ctx);

    expect(sut.reasoning).toEqual({ level: 'high', includeThoughts: true });
    expect(sut.sampling).toEqual({
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 2048,
      stop: ['\n\n\n', 'END'],
      n: 2,
      seed: 42,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
    });
    expect(sut.responseFormat).toEqual({
      type: 'json_schema',
      name: 'calendar_event',
      strict: true,
      schema: expect.objectContaining({ required: ['name', 'date', 'participants'] }),
    });
    expect(sut.stream).toBe(true);
    expect(ctx.includeUsage).toBe(true);
    expect(ctx.state[STATE_MAX_TOKENS_FIELD]).toBe('max_completion_tokens');
    expect(sut.user).toBe('user-1234');
    expect(sut.metadata).toEqual({ team: 'research' });
    expect(sut.extra).toEqual({
      stream_options: { include_usage: true, include_obfuscation: false },
      store: false,
      service_tier: 'auto',
      logit_bias: { '50256': -100 },
      prompt_cache_key: 'calendar-extractor-v2',
    });
  });

  it('should read a string stop, max_tokens, a named tool_choice and json_object', () => {
    const ctx = ctxFor();
    const sut = parseOpenAIRequest(
      {
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        stop: 'STOP',
        max_tokens: 100,
        tool_choice: { type: 'function', function: { name: 'lookup' } },
        response_format: { type: 'json_object' },
        reasoning_effort: 'none',
        top_k: 40,
        temperature: null,
      },
      ctx,
    );

    expect(sut.sampling).toEqual({ stop: ['STOP'], maxTokens: 100, topK: 40 });
    expect(ctx.state[STATE_MAX_TOKENS_FIELD]).toBeUndefined();
    expect(sut.toolChoice).toEqual({ type: 'tool', name: 'lookup' });
    expect(sut.responseFormat).toEqual({ type: 'json_object' });
    expect(sut.reasoning).toEqual({ level: 'none', includeThoughts: false });
    expect(ctx.includeUsage).toBeUndefined();
  });

  it('should read reasoning_content (or reasoning) in assistant history as a reasoning part first', () => {
    const sut = parseOpenAIRequest(
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'answer', reasoning_content: 'thinking…' },
          { role: 'user', content: 'b' },
          { role: 'assistant', content: 'again', reasoning: 'more thinking' },
        ],
      },
      ctxFor(),
    );

    expect(sut.messages[1].content).toEqual([
      { type: 'reasoning', text: 'thinking…' },
      { type: 'text', text: 'answer' },
    ]);
    expect(sut.messages[3].content[0]).toEqual({ type: 'reasoning', text: 'more thinking' });
  });

  it('should pair legacy function_call and role:function messages and remember the legacy mode', () => {
    const ctx = ctxFor();
    const sut = parseOpenAIRequest(fixture('chat-request-legacy-functions.json'), ctx);

    expect(sut.tools?.map((t) => t.name)).toEqual(['get_current_weather']);
    expect(sut.toolChoice).toEqual({ type: 'auto' });
    const call = sut.messages[1].content[0];
    const result = sut.messages[2].content[0];
    expect(call).toMatchObject({
      type: 'tool_call',
      name: 'get_current_weather',
      arguments: '{"location":"Boston, MA"}',
    });
    expect(result).toMatchObject({ type: 'tool_result', name: 'get_current_weather' });
    expect(
      call.type === 'tool_call' && result.type === 'tool_result' && call.id === result.callId,
    ).toBe(true);
    expect(ctx.state[STATE_LEGACY_FUNCTIONS]).toBe(true);
  });

  it('should keep text-part hints such as cache_control as part extras', () => {
    const sut = parseOpenAIRequest(
      {
        model: 'm',
        messages: [
          {
            role: 'user',
            content: [{ type: 'text', text: 'long doc', cache_control: { type: 'ephemeral' } }],
          },
        ],
      },
      ctxFor(),
    );

    expect(sut.messages[0].content[0]).toEqual({
      type: 'text',
      text: 'long doc',
      extra: { cache_control: { type: 'ephemeral' } },
    });
  });

  it.each([
    ['a non-object body', 'nope', undefined],
    ['a missing model', { messages: [] }, 'model'],
    ['messages that are not an array', { model: 'm', messages: 'hi' }, 'messages'],
    [
      'an unknown role',
      { model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'bot' }] },
      'messages[1].role',
    ],
    [
      'a tool message without tool_call_id',
      { model: 'm', messages: [{ role: 'tool', content: 'x' }] },
      'messages[0].tool_call_id',
    ],
    [
      'numeric content',
      { model: 'm', messages: [{ role: 'user', content: 42 }] },
      'messages[0].content',
    ],
    ['tools that are not an array', { model: 'm', messages: [], tools: {} }, 'tools'],
    [
      'a tool call without a name',
      { model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 'x', function: {} }] }] },
      'messages[0].tool_calls[0].function.name',
    ],
  ])('should reject %s with a TranslationError naming the path', (_label, body, path) => {
    let caught: unknown;
    try {
      parseOpenAIRequest(body, ctxFor());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TranslationError);
    expect((caught as TranslationError).path).toBe(path);
  });
});

describe(buildOpenAIRequest.name, () => {
  it('should rebuild the tool conversation with the same ids, tool messages and roles', () => {
    const ctx = ctxFor();
    const sut = buildOpenAIRequest(
      parseOpenAIRequest(fixture('chat-request-tools.json'), ctx),
      ctx,
    );

    expect(sut.messages).toEqual([
      {
        role: 'system',
        content: 'You are a weather assistant. Always use the tools for current conditions.',
      },
      { role: 'user', content: "What's the weather like in Paris and in Tokyo right now?" },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_8Kq2LxZ1fWm3Vd0pRj7Tn4Ha',
            type: 'function',
            function: {
              name: 'get_weather',
              arguments: '{"location":"Paris, France","unit":"celsius"}',
            },
          },
          {
            id: 'call_Qz5Bv9Ym2Xc6Ns1Lk8Pw3Ed0',
            type: 'function',
            function: {
              name: 'get_weather',
              arguments: '{"location":"Tokyo, Japan","unit":"celsius"}',
            },
          },
        ],
      },
      {
        role: 'tool',
        tool_call_id: 'call_8Kq2LxZ1fWm3Vd0pRj7Tn4Ha',
        content: '{"temperature":18,"condition":"cloudy"}',
      },
      {
        role: 'tool',
        tool_call_id: 'call_Qz5Bv9Ym2Xc6Ns1Lk8Pw3Ed0',
        content: '{"temperature":24,"condition":"sunny"}',
      },
      {
        role: 'assistant',
        content: 'It is 18°C and cloudy in Paris, and 24°C and sunny in Tokyo.',
      },
      { role: 'user', content: 'Thanks! And in Berlin?' },
    ]);
    expect(sut.tools).toEqual(fixture('chat-request-tools.json').tools);
    expect(sut.tool_choice).toBe('auto');
    expect(sut.parallel_tool_calls).toBe(true);
  });

  it('should place tool messages before the rest of a user turn and carry tool-result images', () => {
    const sut = buildOpenAIRequest(
      irFrom('claude', {
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                callId: 'toolu_01',
                content: [
                  { type: 'text', text: 'screenshot taken' },
                  {
                    type: 'image',
                    source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' },
                  },
                ],
              },
              { type: 'text', text: 'What do you see?' },
              { type: 'tool_result', callId: 'toolu_02', content: [], isError: true },
            ],
          },
        ],
      }),
      ctxFor(),
    );

    expect(sut.messages).toEqual([
      { role: 'tool', tool_call_id: 'toolu_01', content: 'screenshot taken' },
      { role: 'tool', tool_call_id: 'toolu_02', content: '' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          { type: 'text', text: 'What do you see?' },
        ],
      },
    ]);
  });

  it('should shorten tool names over 64 characters everywhere and remember the originals', () => {
    const longName = `mcp__workspace_filesystem__${'read_multiple_files_with_metadata_'.repeat(2)}v2`;
    const ctx = ctxFor();
    const sut = buildOpenAIRequest(
      irFrom('claude', {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'read' }] },
          {
            role: 'assistant',
            content: [
              { type: 'tool_call', id: 'toolu_1', name: longName, arguments: '{"paths":[]}' },
            ],
          },
        ],
        tools: [{ name: longName, parameters: { type: 'object' } }],
        toolChoice: { type: 'tool', name: longName },
      }),
      ctx,
    );

    const tools = sut.tools as { function: { name: string } }[];
    const short = tools[0].function.name;
    expect(longName.length).toBeGreaterThan(64);
    expect(short.length).toBeLessThanOrEqual(64);
    expect(sut.tool_choice).toEqual({ type: 'function', function: { name: short } });
    const assistant = (sut.messages as Record<string, unknown>[])[1];
    expect(assistant.tool_calls).toEqual([
      { id: 'toolu_1', type: 'function', function: { name: short, arguments: '{"paths":[]}' } },
    ]);
    expect(ctx.toolNameMap.get(short)).toBe(longName);
  });

  it.each([
    [{ level: 'high' as const }, 'claude', 'high'],
    [{ budget: 10000 }, 'claude', 'high'],
    [{ budget: 2000 }, 'gemini', 'medium'],
    [{ budget: 512 }, 'gemini', 'minimal'],
    [{ budget: 0 }, 'claude', 'none'],
    [{ level: 'none' as const }, 'openai-responses', 'none'],
    [{ level: 'xhigh' as const }, 'openai-responses', 'xhigh'],
    [{ level: 'max' as const }, 'claude', 'xhigh'],
    [{ budget: 128000 }, 'claude', 'xhigh'],
    [{ level: 'max' as const }, 'openai', 'max'],
    [{ level: 'auto' as const }, 'claude', undefined],
    [{ budget: -1 }, 'gemini', undefined],
  ] as const)(
    'should render reasoning %j from %s as reasoning_effort %s',
    (reasoning, source, effort) => {
      const sut = buildOpenAIRequest(irFrom(source, { reasoning }), ctxFor());

      expect(sut.reasoning_effort).toBe(effort);
    },
  );

  it('should let a model-name suffix override reasoning_effort from the body', () => {
    const ctx = ctxFor();
    const ir = applyModelSuffix(
      parseOpenAIRequest(
        {
          model: 'gpt-5(8192)',
          reasoning_effort: 'low',
          messages: [{ role: 'user', content: 'x' }],
        },
        ctx,
      ),
    );
    const sut = buildOpenAIRequest(ir, ctx);

    expect(sut.model).toBe('gpt-5');
    expect(sut.reasoning_effort).toBe('medium');
  });

  it('should always ask for usage in streams and keep other stream options of an OpenAI client', () => {
    const ctx = ctxFor();
    const fromOpenAI = buildOpenAIRequest(
      parseOpenAIRequest(fixture('chat-request-params.json'), ctx),
      ctx,
    );
    const fromClaude = buildOpenAIRequest(irFrom('claude', { stream: true }), ctxFor());
    const nonStream = buildOpenAIRequest(
      irFrom('openai', { extra: { stream_options: { include_usage: true } } }),
      ctxFor(),
    );

    expect(fromOpenAI.stream_options).toEqual({ include_usage: true, include_obfuscation: false });
    expect(fromClaude.stream).toBe(true);
    expect(fromClaude.stream_options).toEqual({ include_usage: true });
    expect(nonStream).not.toHaveProperty('stream_options');
    expect(nonStream).not.toHaveProperty('stream');
  });

  it('should pass unknown fields through only when the client spoke OpenAI chat', () => {
    const extra = { store: true, logit_bias: { '1': 5 } };
    const same = buildOpenAIRequest(irFrom('openai', { extra }), ctxFor());
    const other = buildOpenAIRequest(irFrom('claude', { extra }), ctxFor());

    expect(same).toMatchObject(extra);
    expect(other).not.toHaveProperty('store');
    expect(other).not.toHaveProperty('logit_bias');
  });

  it('should render all sampling fields, using max_completion_tokens only when the client did', () => {
    const ctx = ctxFor();
    const fromOpenAI = buildOpenAIRequest(
      parseOpenAIRequest(fixture('chat-request-params.json'), ctx),
      ctx,
    );
    const fromClaude = buildOpenAIRequest(
      irFrom('claude', {
        sampling: { temperature: 1, topP: 0.5, topK: 20, maxTokens: 4096, stop: ['###'] },
      }),
      ctxFor(),
    );

    expect(fromOpenAI).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 2048,
      stop: ['\n\n\n', 'END'],
      n: 2,
      seed: 42,
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      reasoning_effort: 'high',
      user: 'user-1234',
      metadata: { team: 'research' },
      response_format: fixture('chat-request-params.json').response_format,
    });
    expect(fromOpenAI).not.toHaveProperty('max_tokens');
    expect(fromClaude).toMatchObject({
      temperature: 1,
      top_p: 0.5,
      max_tokens: 4096,
      stop: ['###'],
    });
    // top_k is not an OpenAI parameter; api.openai.com would reject it.
    expect(fromClaude).not.toHaveProperty('top_k');
    expect(fromClaude).not.toHaveProperty('max_completion_tokens');
  });

  it('should name an unnamed JSON schema and only send metadata of OpenAI-family sources', () => {
    const sut = buildOpenAIRequest(
      irFrom('gemini', {
        responseFormat: { type: 'json_schema', schema: { type: 'object' } },
        metadata: { user_id: 'u1' },
      }),
      ctxFor(),
    );

    expect(sut.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema: { type: 'object' } },
    });
    expect(sut).not.toHaveProperty('metadata');
  });

  it('should render system parts as system messages and reasoning as reasoning_content', () => {
    const sut = buildOpenAIRequest(
      irFrom('claude', {
        system: [
          { type: 'text', text: 'Be terse.', extra: { cache_control: { type: 'ephemeral' } } },
          { type: 'text', text: 'Answer in French.' },
        ],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'The user greets me.', signature: 'sig' },
              { type: 'text', text: 'Bonjour.' },
              { type: 'tool_call', id: 'toolu_9', name: 'wave', arguments: '' },
            ],
          },
        ],
      }),
      ctxFor(),
    );

    expect(sut.messages).toEqual([
      { role: 'system', content: 'Be terse.' },
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'Hi' },
      {
        role: 'assistant',
        content: 'Bonjour.',
        reasoning_content: 'The user greets me.',
        tool_calls: [
          { id: 'toolu_9', type: 'function', function: { name: 'wave', arguments: '{}' } },
        ],
      },
    ]);
  });

  it('should render images, files and audio as Chat Completions content parts', () => {
    const ctx = ctxFor();
    const sut = buildOpenAIRequest(
      parseOpenAIRequest(fixture('chat-request-multimodal.json'), ctx),
      ctx,
    );

    const original = fixture('chat-request-multimodal.json').messages as Record<string, unknown>[];
    expect(sut.messages).toEqual(original);
  });

  it('should render media from other formats that Chat Completions spells differently', () => {
    const sut = buildOpenAIRequest(
      irFrom('claude', {
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'file',
                source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBER' },
              },
              {
                type: 'file',
                source: { kind: 'url', url: 'https://example.com/a.pdf' },
                filename: 'a.pdf',
              },
              { type: 'file', source: { kind: 'base64', mediaType: 'audio/mpeg', data: 'SUQz' } },
              { type: 'image', source: { kind: 'file-id', fileId: 'file-abc' } },
            ],
          },
        ],
      }),
      ctxFor(),
    );

    expect((sut.messages as Record<string, unknown>[])[0].content).toEqual([
      {
        type: 'file',
        file: { filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBER' },
      },
      { type: 'text', text: '[file a.pdf: https://example.com/a.pdf]' },
      { type: 'input_audio', input_audio: { data: 'SUQz', format: 'mp3' } },
      { type: 'file', file: { file_id: 'file-abc' } },
    ]);
  });

  it('should give a parameterless tool an empty object schema and drop tool settings without tools', () => {
    const withTool = buildOpenAIRequest(
      irFrom('gemini', { tools: [{ name: 'now', parameters: {} }], parallelToolCalls: false }),
      ctxFor(),
    );
    const withoutTools = buildOpenAIRequest(
      irFrom('claude', { parallelToolCalls: false, toolChoice: { type: 'none' } }),
      ctxFor(),
    );

    expect(withTool.tools).toEqual([
      {
        type: 'function',
        function: { name: 'now', parameters: { type: 'object', properties: {} } },
      },
    ]);
    expect(withTool.parallel_tool_calls).toBe(false);
    expect(withoutTools).not.toHaveProperty('parallel_tool_calls');
    expect(withoutTools).not.toHaveProperty('tool_choice');
  });
});
