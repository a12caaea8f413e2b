import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRRequest, IRToolCallPart, IRToolResultPart } from '@app/llm/ir/types';
import { geminiCodec } from '@app/llm/formats/gemini';
import { translateRequest } from '@app/llm/translate';
import { TranslationError } from '@app/llm/util/errors';
import { applyModelSuffix } from '@app/llm/util/thinking';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/gemini');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

const ctx = (init: Partial<TranslationContext> = {}): TranslationContext =>
  createContext({ upstreamModel: 'gemini-2.5-pro', requestedModel: 'gemini-2.5-pro', ...init });

const sut = geminiCodec;

/** A minimal IR request from another format. */
function ir(overrides: Partial<IRRequest> = {}): IRRequest {
  return {
    model: 'gemini-2.5-pro',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    sampling: {},
    stream: false,
    sourceFormat: 'openai',
    extra: {},
    ...overrides,
  };
}

/** Parsed JSON, read loosely in assertions. */
type Body = ReturnType<typeof JSON.parse>;

describe('gemini parseRequest', () => {
  it('should read system instruction, contents and sampling, taking the model from the URL', () => {
    const result = sut.parseRequest(
      fixture('generate-content-request-text.json'),
      ctx({ requestedModel: 'gemini-2.5-flash', stream: true }),
    );

    expect(result).toMatchObject({
      model: 'gemini-2.5-flash',
      stream: true,
      sourceFormat: 'gemini',
      system: [{ type: 'text', text: 'You are a helpful assistant.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      sampling: { temperature: 0.7, maxTokens: 1024 },
      extra: {},
    });
  });

  it('should give id-less calls stable ids and pair each response with the earliest open call', () => {
    const result = sut.parseRequest(fixture('generate-content-request-tools.json'), ctx());

    const [, model, results] = result.messages;
    expect(model.role).toBe('assistant');
    const calls = model.content as IRToolCallPart[];
    expect(calls.map((c) => [c.id, c.name, JSON.parse(c.arguments)])).toEqual([
      ['call_0_get_weather', 'get_weather', { city: 'Paris', unit: 'celsius' }],
      ['call_1_get_weather', 'get_weather', { city: 'Tokyo', unit: 'celsius' }],
      ['call_2_get_time', 'get_time', { timezone: 'Europe/Paris' }],
    ]);
    expect(calls[0].signature).toMatch(/^CiQB/);
    expect(calls[1].signature).toBeUndefined();

    const answers = results.content as IRToolResultPart[];
    expect(results.role).toBe('user');
    expect(answers.map((a) => [a.callId, a.name, a.content[0]])).toEqual([
      [
        'call_0_get_weather',
        'get_weather',
        { type: 'text', text: '{"temperature":18,"condition":"cloudy"}' },
      ],
      [
        'call_1_get_weather',
        'get_weather',
        { type: 'text', text: '{"temperature":24,"condition":"sunny"}' },
      ],
      // {"output": …} is Gemini's documented plain result; it unwraps to its text.
      ['call_2_get_time', 'get_time', { type: 'text', text: '14:05' }],
    ]);
  });

  it('should keep ids stable when the same history is parsed again next turn', () => {
    const body = fixture('generate-content-request-tools.json');
    const first = JSON.stringify(sut.parseRequest(body, ctx()).messages);
    const again = JSON.stringify(sut.parseRequest(body, ctx()).messages);
    expect(again).toBe(first);
  });

  it('should pair out-of-order responses by name and honour explicit ids', () => {
    const result = sut.parseRequest(
      {
        contents: [
          {
            role: 'model',
            parts: [
              { functionCall: { name: 'a', args: {} } },
              { functionCall: { name: 'b', args: {} } },
              { functionCall: { id: 'given-1', name: 'a', args: {} } },
            ],
          },
          {
            role: 'user',
            parts: [
              { functionResponse: { name: 'b', response: { result: 'B' } } },
              { functionResponse: { id: 'given-1', name: 'a', response: { output: 'A2' } } },
              { functionResponse: { name: 'a', response: { error: 'boom' } } },
            ],
          },
        ],
      },
      ctx(),
    );

    const answers = result.messages[1].content as IRToolResultPart[];
    expect(answers.map((a) => [a.callId, a.content[0], a.isError ?? false])).toEqual([
      ['call_1_b', { type: 'text', text: 'B' }, false],
      ['given-1', { type: 'text', text: 'A2' }, false],
      ['call_0_a', { type: 'text', text: 'boom' }, true],
    ]);
  });

  it('should convert Gemini OpenAPI schemas to JSON Schema and keep parametersJsonSchema as is', () => {
    const result = sut.parseRequest(fixture('generate-content-request-tools.json'), ctx());

    expect(result.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Get the current weather for a city.',
        parameters: {
          type: 'object',
          properties: {
            city: { type: 'string', description: 'City name, e.g. Paris' },
            unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
          },
          required: ['city'],
        },
      },
      {
        name: 'get_time',
        description: 'Get the local time in an IANA time zone.',
        parameters: {
          type: 'object',
          properties: { timezone: { type: 'string' } },
          required: ['timezone'],
          additionalProperties: false,
        },
      },
    ]);
    expect(result.toolChoice).toEqual({ type: 'auto' });
    expect(result.sampling).toEqual({
      temperature: 0.2,
      topP: 0.95,
      topK: 40,
      maxTokens: 2048,
      stop: ['END'],
    });
    expect(result.reasoning).toEqual({ budget: 1024, includeThoughts: true });
    expect(result.extra).toEqual({
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
    });
  });

  it('should accept snake_case keys, inline images and file URIs', () => {
    const result = sut.parseRequest(
      fixture('generate-content-request-multimodal-snake.json'),
      ctx(),
    );

    expect(result.system).toEqual([
      { type: 'text', text: 'Describe attachments precisely.' },
      { type: 'text', text: 'Answer in English.' },
    ]);
    expect(result.messages[0].content).toEqual([
      { type: 'text', text: 'What is in this picture, and summarise the PDF.' },
      {
        type: 'image',
        source: { kind: 'base64', mediaType: 'image/png', data: expect.stringMatching(/^iVBOR/) },
      },
      {
        type: 'file',
        source: {
          kind: 'url',
          url: 'https://generativelanguage.googleapis.com/v1beta/files/abc123xyz',
          mediaType: 'application/pdf',
        },
      },
    ]);
    expect(result.sampling).toEqual({
      maxTokens: 512,
      topP: 0.9,
      n: 1,
      seed: 42,
      presencePenalty: 0.5,
      frequencyPenalty: 0.25,
    });
    expect(result.reasoning).toEqual({ budget: 0 });
  });

  it('should keep built-in tools and unmapped config in extra and read responseSchema', () => {
    const result = sut.parseRequest(fixture('generate-content-request-builtin-tools.json'), ctx());

    expect(result.tools).toBeUndefined();
    expect(result.responseFormat).toEqual({
      type: 'json_schema',
      schema: {
        type: 'object',
        properties: { winner: { type: 'string' }, year: { type: ['integer', 'null'] } },
        required: ['winner'],
      },
    });
    expect(result.extra).toMatchObject({
      tools: [{ googleSearch: {} }, { codeExecution: {} }],
      toolConfig: { retrievalConfig: { languageCode: 'en' } },
      generationConfig: { responseModalities: ['TEXT'], mediaResolution: 'MEDIA_RESOLUTION_LOW' },
      cachedContent: 'cachedContents/tour-de-france-notes',
      labels: { team: 'sports' },
    });
  });

  it('should map function calling modes to tool choices', () => {
    const choice = (functionCallingConfig: Record<string, unknown>) =>
      sut.parseRequest({ contents: [], toolConfig: { functionCallingConfig } }, ctx()).toolChoice;

    expect(choice({ mode: 'AUTO' })).toEqual({ type: 'auto' });
    expect(choice({ mode: 'ANY' })).toEqual({ type: 'required' });
    expect(choice({ mode: 'ANY', allowedFunctionNames: ['lookup'] })).toEqual({
      type: 'tool',
      name: 'lookup',
    });
    expect(choice({ mode: 'NONE' })).toEqual({ type: 'none' });
  });

  it('should read thinkingLevel (Gemini 3) as a reasoning level', () => {
    const result = sut.parseRequest(
      { contents: [], generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH' } } },
      ctx(),
    );
    expect(result.reasoning).toEqual({ level: 'high' });
  });

  it('should reject bodies that are not Gemini requests with the offending path', () => {
    expect(() => sut.parseRequest('hello', ctx())).toThrow(TranslationError);
    expect(() => sut.parseRequest({ messages: [] }, ctx())).toThrow('(at contents)');
    expect(() =>
      sut.parseRequest({ contents: [{ role: 'user', parts: [] }, { role: 'model' }] }, ctx()),
    ).toThrow('(at contents[1].parts)');
    expect(() => sut.parseRequest({ contents: [], tools: {} }, ctx())).toThrow('(at tools)');
  });
});

describe('gemini buildRequest', () => {
  it('should map roles, system, tool calls and tool results with names found by call id', () => {
    const out: Body = sut.buildRequest(
      ir({
        system: [{ type: 'text', text: 'You are a helpful assistant.' }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Checking.' },
              {
                type: 'tool_call',
                id: 'call_abc',
                name: 'get_weather',
                arguments: '{"city":"Oslo"}',
              },
              { type: 'tool_call', id: 'call_def', name: 'get_time', arguments: '' },
            ],
          },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                callId: 'call_abc',
                content: [{ type: 'text', text: '{"temp":3}' }],
              },
              {
                type: 'tool_result',
                callId: 'call_def',
                content: [{ type: 'text', text: 'noon' }],
              },
              {
                type: 'tool_result',
                callId: 'call_xyz',
                name: 'explicit',
                isError: true,
                content: [{ type: 'text', text: 'failed' }],
              },
            ],
          },
        ],
      }),
      ctx(),
    );

    expect(out).toEqual({
      systemInstruction: { parts: [{ text: 'You are a helpful assistant.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Oslo?' }] },
        {
          role: 'model',
          parts: [
            { text: 'Checking.' },
            {
              functionCall: { id: 'call_abc', name: 'get_weather', args: { city: 'Oslo' } },
              thoughtSignature: 'skip_thought_signature_validator',
            },
            {
              functionCall: { id: 'call_def', name: 'get_time', args: {} },
              thoughtSignature: 'skip_thought_signature_validator',
            },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { id: 'call_abc', name: 'get_weather', response: { temp: 3 } } },
            {
              functionResponse: { id: 'call_def', name: 'get_time', response: { output: 'noon' } },
            },
            {
              functionResponse: { id: 'call_xyz', name: 'explicit', response: { error: 'failed' } },
            },
          ],
        },
      ],
    });
  });

  it('should keep Gemini signatures on calls and signed reasoning, and drop unsigned reasoning', () => {
    const out: Body = sut.buildRequest(
      ir({
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'foreign thoughts' },
              { type: 'reasoning', text: 'signed', signature: 'sig-r' },
              { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}', signature: 'sig-c' },
            ],
          },
        ],
      }),
      ctx(),
    );

    expect(out.contents[0].parts).toEqual([
      { text: 'signed', thought: true, thoughtSignature: 'sig-r' },
      { functionCall: { id: 'c1', name: 'f', args: {} }, thoughtSignature: 'sig-c' },
    ]);
  });

  it('should clean tool schemas, omit empty parameters and shorten long names reversibly', () => {
    const c = ctx();
    const long = `mcp__filesystem__${'very_long_tool_name_'.repeat(4)}`;
    const out: Body = sut.buildRequest(
      ir({
        tools: [
          {
            name: 'search',
            description: 'Search docs',
            parameters: {
              type: 'object',
              $schema: 'http://json-schema.org/draft-07/schema#',
              additionalProperties: false,
              properties: { q: { type: ['string', 'null'] }, kind: { const: 'doc' } },
              required: ['q'],
            },
          },
          { name: long, parameters: { type: 'object', properties: {} } },
        ],
        toolChoice: { type: 'tool', name: long },
      }),
      c,
    );

    const [search, shortened] = out.tools[0].functionDeclarations;
    expect(search).toEqual({
      name: 'search',
      description: 'Search docs',
      parameters: {
        type: 'object',
        properties: {
          q: { type: 'string', nullable: true },
          kind: { type: 'string', enum: ['doc'] },
        },
        required: ['q'],
      },
    });
    expect(shortened.parameters).toBeUndefined();
    expect(shortened.name.length).toBeLessThanOrEqual(64);
    expect(c.toolNameMap.get(shortened.name)).toBe(long);
    expect(out.toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [shortened.name] },
    });
  });

  it('should map tool choices to function calling modes', () => {
    const mode = (toolChoice: IRRequest['toolChoice']) =>
      (sut.buildRequest(ir({ toolChoice }), ctx()) as Body).toolConfig;

    expect(mode({ type: 'auto' })).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(mode({ type: 'required' })).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(mode({ type: 'none' })).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(mode(undefined)).toBeUndefined();
  });

  it('should turn the (high) model suffix into thinkingBudget 24576 with thoughts included', () => {
    const c = ctx({ requestedModel: 'gemini-2.5-pro(high)', upstreamModel: 'gemini-2.5-pro' });
    const out: Body = translateRequest(
      'gemini',
      'gemini',
      { contents: [{ role: 'user', parts: [{ text: 'Think hard' }] }] },
      c,
    );

    expect(out.generationConfig).toEqual({
      thinkingConfig: { thinkingBudget: 24576, includeThoughts: true },
    });
  });

  it('should map none to budget 0, auto to -1 and cap budgets at what Gemini accepts', () => {
    const thinking = (model: string) =>
      (sut.buildRequest(applyModelSuffix(ir({ model })), ctx()) as Body).generationConfig
        ?.thinkingConfig;

    expect(thinking('gemini-2.5-flash(none)')).toEqual({ thinkingBudget: 0 });
    expect(thinking('gemini-2.5-flash(auto)')).toEqual({
      thinkingBudget: -1,
      includeThoughts: true,
    });
    expect(thinking('gemini-2.5-pro(max)')).toEqual({
      thinkingBudget: 32768,
      includeThoughts: true,
    });
    expect(thinking('gemini-2.5-pro(2048)')).toEqual({
      thinkingBudget: 2048,
      includeThoughts: true,
    });
    expect(thinking('gemini-2.5-pro')).toBeUndefined();
  });

  it('should give Gemini 3 models a thinkingLevel instead of a budget when asked for a level', () => {
    const thinking = (model: string, level: 'low' | 'medium' | 'none') =>
      (sut.buildRequest(ir({ model, reasoning: { level } }), ctx()) as Body).generationConfig
        .thinkingConfig;

    expect(thinking('gemini-3-pro-preview', 'low')).toEqual({
      thinkingLevel: 'low',
      includeThoughts: true,
    });
    expect(thinking('gemini-3-pro-preview', 'medium')).toEqual({
      thinkingLevel: 'high',
      includeThoughts: true,
    });
    expect(thinking('gemini-3-flash-preview', 'none')).toEqual({ thinkingLevel: 'minimal' });
  });

  it('should map sampling, stop sequences (max 5), n and structured output', () => {
    const out: Body = sut.buildRequest(
      ir({
        sampling: {
          temperature: 0.3,
          topP: 0.8,
          topK: 20,
          maxTokens: 300,
          stop: ['a', 'b', 'c', 'd', 'e', 'f'],
          n: 2,
          seed: 7,
          presencePenalty: 0.1,
          frequencyPenalty: 0.2,
        },
        responseFormat: {
          type: 'json_schema',
          name: 'answer',
          schema: {
            type: 'object',
            properties: { a: { type: 'string' } },
            additionalProperties: false,
          },
        },
      }),
      ctx(),
    );

    expect(out.generationConfig).toEqual({
      temperature: 0.3,
      topP: 0.8,
      topK: 20,
      maxOutputTokens: 300,
      stopSequences: ['a', 'b', 'c', 'd', 'e'],
      candidateCount: 2,
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      responseMimeType: 'application/json',
      responseJsonSchema: {
        type: 'object',
        properties: { a: { type: 'string' } },
        additionalProperties: false,
      },
    });
    expect(
      (sut.buildRequest(ir({ responseFormat: { type: 'json_object' } }), ctx()) as Body)
        .generationConfig,
    ).toEqual({ responseMimeType: 'application/json' });
  });

  it('should send data URIs inline and URLs as fileData with a guessed MIME type', () => {
    const out: Body = sut.buildRequest(
      ir({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { kind: 'url', url: 'data:image/jpeg;base64,/9j/4AAQ' } },
              { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png?x=1' } },
              {
                type: 'file',
                source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBE' },
              },
            ],
          },
        ],
      }),
      ctx(),
    );

    expect(out.contents[0].parts).toEqual([
      { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } },
      { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/cat.png?x=1' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBE' } },
    ]);
  });

  it('should not copy extra fields from another format and skip empty texts and messages', () => {
    const out: Body = sut.buildRequest(
      ir({
        extra: { safetySettings: [], logit_bias: { 1: 2 } },
        system: [{ type: 'text', text: '' }],
        messages: [
          { role: 'assistant', content: [{ type: 'reasoning', text: 'unsigned' }] },
          { role: 'assistant', content: [{ type: 'text', text: '' }] },
          { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
        ],
      }),
      ctx(),
    );

    expect(out).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  });

  it('should round-trip a Gemini body with unknown fields and built-in tools untouched', () => {
    for (const name of [
      'generate-content-request-tools.json',
      'generate-content-request-builtin-tools.json',
    ]) {
      const body = fixture(name);
      const out: Body = sut.buildRequest(sut.parseRequest(body, ctx()), ctx());

      expect(out.safetySettings).toEqual(body.safetySettings);
      expect(out.cachedContent).toEqual(body.cachedContent);
      expect(out.labels).toEqual(body.labels);
    }

    const builtin = fixture('generate-content-request-builtin-tools.json') as Body;
    const out: Body = sut.buildRequest(sut.parseRequest(builtin, ctx()), ctx());
    expect(out.tools).toEqual(builtin.tools);
    expect(out.toolConfig).toEqual(builtin.toolConfig);
    // The client's own responseSchema goes back as it was, not re-rendered as responseJsonSchema.
    expect(out.generationConfig).toEqual(builtin.generationConfig);

    const tools = fixture('generate-content-request-tools.json') as Body;
    const again: Body = sut.buildRequest(sut.parseRequest(tools, ctx()), ctx());
    expect(again.contents[1].parts[0]).toEqual({
      functionCall: {
        id: 'call_0_get_weather',
        name: 'get_weather',
        args: { city: 'Paris', unit: 'celsius' },
      },
      thoughtSignature: tools.contents[1].parts[0].thoughtSignature,
    });
    expect(again.contents[2].parts[2]).toEqual({
      functionResponse: { id: 'call_2_get_time', name: 'get_time', response: { output: '14:05' } },
    });
    expect(again.generationConfig.thinkingConfig).toEqual({
      thinkingBudget: 1024,
      includeThoughts: true,
    });
  });

  it('should drop Code Assist session ids for the public Gemini API only', () => {
    const fromCli = ir({
      sourceFormat: 'gemini-cli',
      extra: { session_id: 's-1', labels: { a: 'b' } },
    });

    expect(sut.buildRequest(fromCli, ctx())).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
      labels: { a: 'b' },
    });
  });
});
