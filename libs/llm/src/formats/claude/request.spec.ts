import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRMessage, IRRequest } from '@app/llm/ir/types';
import { translateRequest } from '@app/llm/translate';
import { TranslationError } from '@app/llm/util/errors';
import { claudeCodec } from '@app/llm/formats/claude';
import { CLAUDE_DEFAULT_MAX_TOKENS } from '@app/llm/formats/claude/mapping';
import { buildClaudeRequest, parseClaudeRequest } from '@app/llm/formats/claude/request';

/** Deep access into built bodies without a cast per line. */
type Loose = ReturnType<typeof JSON.parse>;

const FIXTURES = join(__dirname, '../../../../../test/fixtures/claude');
const fixture = (name: string): Loose => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const ctx = (): TranslationContext => createContext({ upstreamModel: 'claude-sonnet-4-6' });

/** An IR as another format's codec (OpenAI chat) would produce it. */
function foreignIR(messages: IRMessage[], patch: Partial<IRRequest> = {}): IRRequest {
  return {
    model: 'claude-sonnet-4-6',
    system: [],
    messages,
    sampling: {},
    stream: false,
    sourceFormat: 'openai',
    extra: {},
    ...patch,
  };
}

const user = (text: string): IRMessage => ({ role: 'user', content: [{ type: 'text', text }] });

describe('claudeCodec requests', () => {
  describe(parseClaudeRequest.name, () => {
    it('should read a string system prompt and a string message', () => {
      const ir = claudeCodec.parseRequest(fixture('messages-request-basic.json'), ctx());
      expect(ir.system).toEqual([{ type: 'text', text: 'You are a helpful assistant.' }]);
      expect(ir.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }]);
      expect(ir.sampling).toEqual({ maxTokens: 1024 });
      expect(ir.model).toBe('claude-sonnet-4-6');
      expect(ir.stream).toBe(false);
      expect(ir.sourceFormat).toBe('claude');
      expect(ir.extra).toEqual({});
    });

    it('should read system blocks, tools, tool choice, sampling, metadata and unknown fields', () => {
      const ir = claudeCodec.parseRequest(fixture('messages-request-tools.json'), ctx());
      expect(ir.system).toEqual([
        {
          type: 'text',
          text: 'You are a weather assistant. Use the tools when you need live data.',
        },
        {
          type: 'text',
          text: 'Always answer in metric units.',
          extra: { cache_control: { type: 'ephemeral' } },
        },
      ]);
      expect(ir.tools?.map((t) => t.name)).toEqual(['get_weather', 'get_time']);
      expect(ir.tools?.[0]).toMatchObject({
        description: 'Get the current weather in a given location',
        parameters: { type: 'object', required: ['location'] },
      });
      expect(ir.extra.tools).toEqual([
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
      ]);
      expect(ir.extra.service_tier).toBe('auto');
      expect(ir.toolChoice).toEqual({ type: 'auto' });
      expect(ir.parallelToolCalls).toBe(true);
      expect(ir.user).toBe('user-7f3a9c');
      expect(ir.sampling).toEqual({
        maxTokens: 4096,
        temperature: 0.2,
        topK: 40,
        stop: ['</answer>'],
      });
    });

    it('should read images, tool_use and tool_result blocks with ids and names kept', () => {
      const ir = claudeCodec.parseRequest(fixture('messages-request-tools.json'), ctx());
      const [first, assistant, results] = ir.messages;
      expect(first.content[1]).toEqual({
        type: 'image',
        source: { kind: 'base64', mediaType: 'image/png', data: expect.any(String) },
      });
      expect(assistant.role).toBe('assistant');
      expect(assistant.content.map((p) => p.type)).toEqual(['text', 'tool_call', 'tool_call']);
      const call = assistant.content[1];
      expect(call).toMatchObject({ id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather' });
      expect(call.type === 'tool_call' && JSON.parse(call.arguments)).toEqual({
        location: 'Paris, France',
        unit: 'celsius',
      });
      expect(results.content).toEqual([
        {
          type: 'tool_result',
          callId: 'toolu_01A09q90qw90lq917835lq9',
          name: 'get_weather',
          content: [{ type: 'text', text: '15 degrees, light rain' }],
        },
        {
          type: 'tool_result',
          callId: 'toolu_01B7sQmPq4Zr2nVx8cT5wLkd',
          name: 'get_time',
          content: [{ type: 'text', text: 'unknown timezone service failure' }],
          isError: true,
        },
      ]);
    });

    it('should read enabled thinking and thinking / redacted_thinking history as reasoning', () => {
      const ir = claudeCodec.parseRequest(fixture('messages-request-thinking.json'), ctx());
      expect(ir.reasoning).toEqual({ budget: 10000, includeThoughts: true });
      const [reasoning, redacted] = ir.messages[1].content;
      expect(reasoning).toEqual({
        type: 'reasoning',
        text: '2^61 - 1 is a Mersenne number. I should verify with the primality tool.',
        signature: expect.stringMatching(/^EqQB/),
      });
      expect(redacted).toEqual({
        type: 'reasoning',
        text: '',
        encrypted: expect.stringMatching(/^EmwK/),
      });
    });

    it('should read adaptive thinking with effort and a structured output schema', () => {
      const ir = claudeCodec.parseRequest(
        fixture('messages-request-adaptive-structured.json'),
        ctx(),
      );
      expect(ir.reasoning).toEqual({ budget: -1, level: 'high', includeThoughts: true });
      expect(ir.responseFormat).toMatchObject({
        type: 'json_schema',
        schema: { required: ['name', 'email', 'plan'] },
      });
    });

    it('should read disabled thinking as budget 0 and effort alone as a level', () => {
      const off = claudeCodec.parseRequest(
        { model: 'm', max_tokens: 1, messages: [], thinking: { type: 'disabled' } },
        ctx(),
      );
      expect(off.reasoning).toEqual({ budget: 0, includeThoughts: false });
      const effort = claudeCodec.parseRequest(
        { model: 'm', max_tokens: 1, messages: [], output_config: { effort: 'low' } },
        ctx(),
      );
      expect(effort.reasoning).toEqual({ level: 'low' });
    });

    it('should read every document source as a file part and image url / file sources', () => {
      const ir = claudeCodec.parseRequest(fixture('messages-request-documents.json'), ctx());
      const parts = ir.messages[0].content;
      expect(parts[0]).toEqual({
        type: 'file',
        source: { kind: 'base64', mediaType: 'application/pdf', data: expect.any(String) },
        filename: 'q3-report.pdf',
      });
      expect(parts[1]).toEqual({
        type: 'file',
        source: {
          kind: 'url',
          url: 'https://assets.example.com/papers/attention.pdf',
          mediaType: 'application/pdf',
        },
      });
      expect(parts[2]).toMatchObject({
        type: 'file',
        filename: 'facts.txt',
        source: { kind: 'base64', mediaType: 'text/plain' },
      });
      const text = parts[2].type === 'file' && parts[2].source.kind === 'base64' && parts[2].source;
      expect(text && Buffer.from(text.data, 'base64').toString('utf8')).toBe(
        'Grass is green. The sky is blue.',
      );
      expect(parts[3]).toEqual({
        type: 'file',
        source: { kind: 'file-id', fileId: 'file_011CNha8iCJcU1wXNR6q4V8w' },
      });
      expect(parts[4]).toEqual({
        type: 'image',
        source: { kind: 'url', url: 'https://upload.example.org/cat.jpg' },
      });
      expect(parts[5]).toEqual({
        type: 'image',
        source: { kind: 'file-id', fileId: 'file_011CPMxVD3fHLUhvTqtsQA5w' },
      });
      expect(parts[6]).toEqual({
        type: 'text',
        text: 'Summarise these documents in three bullet points.',
      });
    });

    it('should map tool_choice any / tool / none and disable_parallel_tool_use', () => {
      const parse = (tool_choice: unknown): IRRequest =>
        claudeCodec.parseRequest({ model: 'm', messages: [], tool_choice }, ctx());
      expect(parse({ type: 'any' }).toolChoice).toEqual({ type: 'required' });
      expect(parse({ type: 'none' }).toolChoice).toEqual({ type: 'none' });
      expect(parse({ type: 'tool', name: 'get_weather' }).toolChoice).toEqual({
        type: 'tool',
        name: 'get_weather',
      });
      expect(parse({ type: 'auto', disable_parallel_tool_use: true }).parallelToolCalls).toBe(
        false,
      );
    });

    it.each([
      ['a non-object body', 'hello', undefined],
      ['messages that are not an array', { model: 'm', messages: {} }, 'messages'],
      ['a message that is not an object', { model: 'm', messages: [1] }, 'messages[0]'],
      [
        'an unknown role inside messages',
        {
          model: 'm',
          messages: [
            { role: 'user', content: 'a' },
            { role: 'tool', content: 'b' },
          ],
        },
        'messages[1].role',
      ],
      [
        'numeric content',
        { model: 'm', messages: [{ role: 'user', content: 5 }] },
        'messages[0].content',
      ],
      ['tools that are not an array', { model: 'm', messages: [], tools: {} }, 'tools'],
      [
        'a tool without a name',
        { model: 'm', messages: [], tools: [{ input_schema: {} }] },
        'tools[0].name',
      ],
      ['a numeric system', { model: 'm', messages: [], system: 3 }, 'system'],
    ])('should reject %s with a TranslationError and its path', (_name, body, path) => {
      let error: unknown;
      try {
        claudeCodec.parseRequest(body, ctx());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TranslationError);
      expect((error as TranslationError).path).toBe(path);
    });
  });

  describe(`${buildClaudeRequest.name} for a Claude client (same format)`, () => {
    const roundTrip = (body: unknown): Loose => {
      const c = ctx();
      return claudeCodec.buildRequest(claudeCodec.parseRequest(body, c), c);
    };

    /**
     * The canonical spelling of equivalent Claude content: message content as blocks, a
     * tool_result holding one plain text block as a string.
     */
    const canonical = (messages: Loose[]): Loose[] =>
      messages.map((m) => ({
        ...m,
        content:
          typeof m.content === 'string'
            ? [{ type: 'text', text: m.content }]
            : m.content.map((b: Loose) =>
                b.type === 'tool_result' &&
                Array.isArray(b.content) &&
                b.content.length === 1 &&
                Object.keys(b.content[0]).length === 2 &&
                b.content[0].type === 'text'
                  ? { ...b, content: b.content[0].text }
                  : b,
              ),
      }));

    it('should reproduce a tool conversation with cache_control, server tools and extras', () => {
      const body = fixture('messages-request-tools.json');
      const out = roundTrip(body);
      expect(out.system).toEqual(body.system);
      expect(out.tools).toEqual(body.tools);
      expect(out.messages).toEqual(canonical(body.messages));
      expect(out.messages[2].content[1].cache_control).toEqual({ type: 'ephemeral' });
      expect(out.metadata).toEqual(body.metadata);
      expect(out.service_tier).toBe('auto');
      expect(out.temperature).toBe(0.2);
      expect(out.top_k).toBe(40);
      expect(out.stop_sequences).toEqual(['</answer>']);
      expect(out.max_tokens).toBe(4096);
      expect(out.tool_choice).toEqual({ type: 'auto' });
    });

    it('should keep signed thinking, redacted thinking and the thinking config', () => {
      const body = fixture('messages-request-thinking.json');
      const out = roundTrip(body);
      expect(out.messages).toEqual(canonical(body.messages));
      expect(out.thinking).toEqual({ type: 'enabled', budget_tokens: 10000 });
      expect(out.max_tokens).toBe(16000);
    });

    it('should keep adaptive thinking, effort and the output format', () => {
      const body = fixture('messages-request-adaptive-structured.json');
      const out = roundTrip(body);
      expect(out.thinking).toEqual({ type: 'adaptive' });
      expect(out.output_config).toEqual(body.output_config);
      expect(out.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: body.messages[0].content }] },
      ]);
    });

    it('should keep every document and image source with its extras', () => {
      const body = fixture('messages-request-documents.json');
      expect(roundTrip(body).messages).toEqual(body.messages);
    });

    it('should pass blocks the IR has no slot for through unchanged', () => {
      const serverUse = {
        type: 'server_tool_use',
        id: 'srvtoolu_01',
        name: 'web_search',
        input: { query: 'weather paris' },
      };
      const searchResult = {
        type: 'web_search_tool_result',
        tool_use_id: 'srvtoolu_01',
        content: [{ type: 'web_search_result', url: 'https://example.com', title: 'x' }],
      };
      const body = {
        model: 'm',
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: [serverUse, searchResult, { type: 'text', text: 'Sunny' }],
          },
        ],
      };
      expect(roundTrip(body).messages[1].content).toEqual([
        serverUse,
        searchResult,
        { type: 'text', text: 'Sunny' },
      ]);
    });

    it('should let a model suffix override the thinking of the body', () => {
      const c = ctx();
      c.upstreamModel = 'claude-sonnet-4-6';
      const body = {
        ...fixture('messages-request-adaptive-structured.json'),
        model: 'claude-sonnet-4-6(8192)',
      };
      const out: Loose = translateRequest('claude', 'claude', body, c);
      expect(out.model).toBe('claude-sonnet-4-6');
      expect(out.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
      expect(out.output_config).toEqual({ format: body.output_config.format });
    });
  });

  describe(`${buildClaudeRequest.name} for another format's client`, () => {
    const build = (ir: IRRequest): Loose => claudeCodec.buildRequest(ir, ctx());

    it('should turn a system message into one text block and keep one user message', () => {
      const out = build(
        foreignIR([user('Hello')], {
          system: [{ type: 'text', text: 'You are a helpful assistant.' }],
        }),
      );
      expect(out.system).toEqual([{ type: 'text', text: 'You are a helpful assistant.' }]);
      expect(out.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }]);
      expect(out.max_tokens).toBe(CLAUDE_DEFAULT_MAX_TOKENS);
      expect(out).not.toHaveProperty('thinking');
      expect(out).not.toHaveProperty('stream');
    });

    it('should pair tool_use and tool_result by the same id, results first in their turn', () => {
      const out = build(
        foreignIR([
          user('Weather in Paris and Rome?'),
          {
            role: 'assistant',
            content: [
              { type: 'text', text: '' },
              {
                type: 'tool_call',
                id: 'call_abc',
                name: 'get_weather',
                arguments: '{"city":"Paris"}',
              },
              {
                type: 'tool_call',
                id: 'call_def',
                name: 'get_weather',
                arguments: '{"city":"Rome"}',
              },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', callId: 'call_abc', content: [{ type: 'text', text: '15C' }] },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Also, thanks!' },
              {
                type: 'tool_result',
                callId: 'call_def',
                content: [{ type: 'text', text: '21C' }],
                isError: true,
              },
            ],
          },
        ]),
      );
      expect(out.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'call_abc', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'call_def', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_abc', content: '15C' },
            { type: 'tool_result', tool_use_id: 'call_def', content: '21C', is_error: true },
            { type: 'text', text: 'Also, thanks!' },
          ],
        },
      ]);
    });

    it('should map ids Claude would reject the same way in tool_use and tool_result', () => {
      const out = build(
        foreignIR([
          user('go'),
          {
            role: 'assistant',
            content: [{ type: 'tool_call', id: 'fc.1/x', name: 't', arguments: '{}' }],
          },
          { role: 'user', content: [{ type: 'tool_result', callId: 'fc.1/x', content: [] }] },
        ]),
      );
      expect(out.messages[1].content[0].id).toBe('fc_1_x');
      expect(out.messages[2].content[0]).toEqual({ type: 'tool_result', tool_use_id: 'fc_1_x' });
    });

    it('should start with a user turn and merge consecutive turns of the same role', () => {
      const out = build(
        foreignIR([
          { role: 'assistant', content: [{ type: 'text', text: 'Hi, I am the bot.' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'Ask me anything.' }] },
          user('one'),
          { role: 'user', content: [{ type: 'text', text: '   ' }] },
          user('two'),
        ]),
      );
      expect(out.messages.map((m: Loose) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(out.messages[0].content).toEqual([{ type: 'text', text: '.' }]);
      expect(out.messages[1].content).toHaveLength(2);
      expect(out.messages[2].content).toEqual([
        { type: 'text', text: 'one' },
        { type: 'text', text: 'two' },
      ]);
    });

    it('should render tools, required / named / none choices and parallel_tool_calls false', () => {
      const tools = [
        {
          name: 'lookup',
          description: 'Look up',
          parameters: { properties: { q: { type: 'string' } } },
        },
      ];
      const out = build(
        foreignIR([user('x')], {
          tools,
          toolChoice: { type: 'required' },
          parallelToolCalls: false,
        }),
      );
      expect(out.tools).toEqual([
        {
          name: 'lookup',
          description: 'Look up',
          input_schema: { type: 'object', properties: { q: { type: 'string' } } },
        },
      ]);
      expect(out.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
      expect(
        build(foreignIR([user('x')], { tools, toolChoice: { type: 'tool', name: 'lookup' } }))
          .tool_choice,
      ).toEqual({ type: 'tool', name: 'lookup' });
      expect(
        build(foreignIR([user('x')], { tools, toolChoice: { type: 'none' } })).tool_choice,
      ).toEqual({ type: 'none' });
      expect(build(foreignIR([user('x')], { parallelToolCalls: false }))).not.toHaveProperty(
        'tool_choice',
      );
    });

    it('should not copy extras or server tools of another format', () => {
      const out = build(
        foreignIR([user('x')], {
          extra: { logit_bias: { 1: 2 }, tools: [{ type: 'web_search_20250305' }] },
          system: [
            { type: 'text', text: 's', extra: { cache_control: { type: 'ephemeral' }, foo: 1 } },
          ],
        }),
      );
      expect(out).not.toHaveProperty('logit_bias');
      expect(out).not.toHaveProperty('tools');
      expect(out.system).toEqual([
        { type: 'text', text: 's', cache_control: { type: 'ephemeral' } },
      ]);
    });

    it('should map sampling and keep temperature over top_p', () => {
      const out = build(
        foreignIR([user('x')], {
          sampling: { temperature: 0.7, topP: 0.9, topK: 5, maxTokens: 300, stop: ['END'], n: 2 },
          user: 'u-1',
          stream: true,
        }),
      );
      expect(out).toMatchObject({
        temperature: 0.7,
        top_k: 5,
        max_tokens: 300,
        stop_sequences: ['END'],
        metadata: { user_id: 'u-1' },
        stream: true,
      });
      expect(out).not.toHaveProperty('top_p');
      expect(out).not.toHaveProperty('n');
    });

    it.each([
      [{ level: 'high' as const }, { type: 'enabled', budget_tokens: 24576 }],
      [{ budget: 500 }, { type: 'enabled', budget_tokens: 1024 }],
      [{ level: 'minimal' as const }, { type: 'enabled', budget_tokens: 1024 }],
      [{ budget: -1 }, { type: 'adaptive' }],
      [{ level: 'auto' as const }, { type: 'adaptive' }],
    ])('should turn reasoning %j into thinking %j', (reasoning, thinking) => {
      expect(build(foreignIR([user('x')], { reasoning })).thinking).toEqual(thinking);
    });

    it('should leave thinking out for level none and budget 0', () => {
      expect(build(foreignIR([user('x')], { reasoning: { level: 'none' } }))).not.toHaveProperty(
        'thinking',
      );
      expect(build(foreignIR([user('x')], { reasoning: { budget: 0 } }))).not.toHaveProperty(
        'thinking',
      );
    });

    it('should keep max_tokens above the thinking budget and drop sampling Claude rejects', () => {
      const out = build(
        foreignIR([user('x')], {
          reasoning: { level: 'high' },
          sampling: { maxTokens: 1000, temperature: 0.3, topP: 0.5, topK: 10 },
        }),
      );
      expect(out.thinking.budget_tokens).toBe(24576);
      expect(out.max_tokens).toBe(25576);
      expect(out).not.toHaveProperty('temperature');
      expect(out).not.toHaveProperty('top_p');
      expect(out).not.toHaveProperty('top_k');
      const defaults = build(foreignIR([user('x')], { reasoning: { budget: 10000 } }));
      expect(defaults.max_tokens).toBe(10000 + CLAUDE_DEFAULT_MAX_TOKENS);
      const roomy = build(
        foreignIR([user('x')], {
          reasoning: { budget: 2000 },
          sampling: { maxTokens: 4000, temperature: 1 },
        }),
      );
      expect(roomy.max_tokens).toBe(4000);
      expect(roomy.temperature).toBe(1);
    });

    it('should drop thinking when a tool is forced', () => {
      const tools = [{ name: 't', parameters: { type: 'object' } }];
      const out = build(
        foreignIR([user('x')], {
          tools,
          toolChoice: { type: 'required' },
          reasoning: { level: 'medium' },
        }),
      );
      expect(out).not.toHaveProperty('thinking');
      expect(out.tool_choice).toEqual({ type: 'any' });
    });

    it('should drop thinking when the pending tool turn has no thinking block to send back', () => {
      const out = build(
        foreignIR(
          [
            user('x'),
            {
              role: 'assistant',
              content: [
                { type: 'reasoning', text: 'I should call t' },
                { type: 'tool_call', id: 'call_1', name: 't', arguments: '{}' },
              ],
            },
            { role: 'user', content: [{ type: 'tool_result', callId: 'call_1', content: [] }] },
          ],
          { reasoning: { level: 'medium' }, tools: [{ name: 't', parameters: {} }] },
        ),
      );
      expect(out).not.toHaveProperty('thinking');
      expect(out.messages[1].content).toEqual([
        { type: 'tool_use', id: 'call_1', name: 't', input: {} },
      ]);
    });

    it('should send a JSON schema as output_config.format and ask for JSON in words otherwise', () => {
      const schema = { type: 'object', properties: { a: { type: 'number' } } };
      const structured = build(
        foreignIR([user('x')], {
          responseFormat: { type: 'json_schema', name: 'thing', schema, strict: true },
        }),
      );
      expect(structured.output_config).toEqual({ format: { type: 'json_schema', schema } });
      const jsonMode = build(foreignIR([user('x')], { responseFormat: { type: 'json_object' } }));
      expect(jsonMode.system).toEqual([
        { type: 'text', text: expect.stringContaining('valid JSON object') },
      ]);
    });

    it('should render images by URL, data URI and file id', () => {
      const out = build(
        foreignIR([
          {
            role: 'user',
            content: [
              { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } },
              { type: 'image', source: { kind: 'url', url: 'data:image/jpeg;base64,/9j/4AAQ' } },
              { type: 'image', source: { kind: 'file-id', fileId: 'file_1' } },
            ],
          },
        ]),
      );
      expect(out.messages[0].content).toEqual([
        { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
        { type: 'image', source: { type: 'file', file_id: 'file_1' } },
      ]);
    });

    it('should render PDFs and text files as documents and note unsupported files', () => {
      const text = Buffer.from('a,b\n1,2', 'utf8').toString('base64');
      const out = build(
        foreignIR([
          {
            role: 'user',
            content: [
              {
                type: 'file',
                filename: 'r.pdf',
                source: { kind: 'url', url: 'data:application/pdf;base64,JVBERi0x' },
              },
              {
                type: 'file',
                filename: 'd.csv',
                source: { kind: 'base64', mediaType: 'text/csv', data: text },
              },
              {
                type: 'file',
                filename: 'w.docx',
                source: { kind: 'base64', mediaType: 'application/msword', data: 'AAAA' },
              },
            ],
          },
        ]),
      );
      expect(out.messages[0].content).toEqual([
        {
          type: 'document',
          source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' },
          title: 'r.pdf',
        },
        {
          type: 'document',
          source: { type: 'text', media_type: 'text/plain', data: 'a,b\n1,2' },
          title: 'd.csv',
        },
        { type: 'text', text: '[file w.docx (application/msword) not supported by Claude]' },
      ]);
    });

    it('should drop reasoning that Claude cannot verify', () => {
      const out = build(
        foreignIR([
          user('x'),
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'thoughts', signature: 'gemini-sig' },
              { type: 'text', text: 'answer' },
            ],
          },
        ]),
      );
      expect(out.messages[1].content).toEqual([{ type: 'text', text: 'answer' }]);
    });
  });
});
