import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRRequest, IRStreamEvent } from '@app/llm/ir/types';
import { antigravityCodec, antigravitySessionId } from '@app/llm/formats/antigravity';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { translateRequest } from '@app/llm/translate';

/** Parsed JSON, read loosely in assertions. */
type Json = ReturnType<typeof JSON.parse>;

const FIXTURES = join(__dirname, '../../../../../test/fixtures');
const raw = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const fixture = (name: string): Json => JSON.parse(raw(name));

const ctx = (init: Partial<TranslationContext> = {}): TranslationContext =>
  createContext({
    upstreamModel: 'claude-sonnet-4-5-thinking',
    requestedModel: 'claude-sonnet-4-5',
    project: 'bright-wave-4k2p9',
    ...init,
  });

const sut = antigravityCodec;

const request = (overrides: Partial<IRRequest> = {}): IRRequest => ({
  model: 'claude-sonnet-4-5',
  system: [],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Show me the README.' }] }],
  sampling: {},
  stream: true,
  sourceFormat: 'claude',
  extra: {},
  ...overrides,
});

/** Parsed JSON, read loosely in assertions. */
type Body = ReturnType<typeof JSON.parse>;

describe('antigravity request envelope', () => {
  it('should add the Antigravity envelope fields and a session id', () => {
    const out: Body = sut.buildRequest(request(), ctx());

    expect(out).toMatchObject({
      project: 'bright-wave-4k2p9',
      model: 'claude-sonnet-4-5-thinking',
      userAgent: 'antigravity',
      requestType: 'agent',
      request: { contents: [{ role: 'user', parts: [{ text: 'Show me the README.' }] }] },
    });
    expect(out.requestId).toMatch(/^agent-[0-9a-f-]{36}$/);
    expect(out.request.sessionId).toMatch(/^-\d+$/);
  });

  it('should derive the session id from the first user text and give each request its own id', () => {
    const a: Body = sut.buildRequest(request(), ctx());
    const b: Body = sut.buildRequest(
      request({
        messages: [
          ...request().messages,
          { role: 'assistant', content: [{ type: 'text', text: 'Here it is.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
        ],
      }),
      ctx(),
    );
    const other = antigravitySessionId(
      request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Different' }] }] }),
    );

    expect(b.request.sessionId).toBe(a.request.sessionId);
    expect(other).not.toBe(a.request.sessionId);
    expect(b.requestId).not.toBe(a.requestId);
  });

  it('should switch Claude models to VALIDATED tool calling with placeholders for bare tools', () => {
    const out: Body = sut.buildRequest(
      request({
        tools: [
          { name: 'list_tabs', parameters: { type: 'object', properties: {} } },
          {
            name: 'read_file',
            parameters: { type: 'object', properties: { path: { type: 'string' } } },
          },
        ],
        toolChoice: { type: 'auto' },
      }),
      ctx(),
    );

    expect(out.request.toolConfig).toEqual({ functionCallingConfig: { mode: 'VALIDATED' } });
    const [bare, withArgs] = out.request.tools[0].functionDeclarations;
    expect(bare.parameters).toMatchObject({ required: ['reason'] });
    expect(withArgs.parameters).toEqual({
      type: 'object',
      properties: { path: { type: 'string' } },
    });
  });

  it('should leave Gemini models and explicit tool choices alone', () => {
    const tools = [{ name: 'f', parameters: { type: 'object', properties: {} } }];
    const gemini: Body = sut.buildRequest(
      request({ tools, toolChoice: { type: 'auto' } }),
      ctx({ upstreamModel: 'gemini-3-pro-preview' }),
    );
    expect(gemini.request.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(gemini.request.tools[0].functionDeclarations[0].parameters).toBeUndefined();

    const none: Body = sut.buildRequest(request({ tools, toolChoice: { type: 'none' } }), ctx());
    expect(none.request.toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
  });

  it('should drop safetySettings and clean response schemas', () => {
    const out: Body = translateRequest(
      'gemini',
      'antigravity',
      {
        contents: [{ role: 'user', parts: [{ text: 'JSON please' }] }],
        safetySettings: [{ category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_NONE' }],
        generationConfig: {
          responseMimeType: 'application/json',
          responseJsonSchema: {
            $schema: 'https://json-schema.org/draft/2020-12/schema',
            type: 'object',
            properties: { n: { type: 'integer', exclusiveMinimum: 0 } },
          },
        },
      },
      ctx({ upstreamModel: 'gemini-2.5-flash' }),
    );

    expect(out.request).not.toHaveProperty('safetySettings');
    expect(out.request.generationConfig.responseJsonSchema).toEqual({
      type: 'object',
      properties: { n: { type: 'integer', description: 'exclusiveMinimum: 0' } },
    });
  });

  it('should parse its own envelope, keeping call ids and signatures', () => {
    const body = fixture('antigravity/generate-content-request.json');
    const ir = sut.parseRequest(body, ctx());

    expect(ir.sourceFormat).toBe('antigravity');
    expect(ir.messages[1].content).toEqual([
      {
        type: 'reasoning',
        text: "I'll read it with read_file.",
        signature: expect.stringMatching(/^EqQB/),
      },
      {
        type: 'tool_call',
        id: 'toolu_vrtx_01Hq5Ca9Lw3y2ZsBn8rTgX4M',
        name: 'read_file',
        arguments: '{"path":"README.md"}',
      },
    ]);
    expect(ir.messages[2].content[0]).toMatchObject({
      callId: 'toolu_vrtx_01Hq5Ca9Lw3y2ZsBn8rTgX4M',
    });
    expect(ir.toolChoice).toEqual({ type: 'auto' });

    // Antigravity → Antigravity keeps the client's session; the request id is always fresh.
    const out: Body = sut.buildRequest(ir, ctx());
    expect(out.request.sessionId).toBe(body.request.sessionId);
    expect(out.requestId).not.toBe(body.requestId);
    expect(out.request.toolConfig).toEqual({ functionCallingConfig: { mode: 'VALIDATED' } });
    expect(out.request.contents[1].parts[0]).toEqual(body.request.contents[1].parts[0]);
  });
});

describe('antigravity responses and streams', () => {
  it('should unwrap a response with signed thoughts', () => {
    const ir = sut.parseResponse(fixture('antigravity/generate-content-response.json'), ctx());

    expect(ir.candidates[0]).toMatchObject({
      stopReason: 'stop',
      content: [
        {
          type: 'reasoning',
          text: 'The README has a single heading.',
          signature: expect.stringMatching(/^EpwB/),
        },
        { type: 'text', text: expect.stringContaining('Switchboard') },
      ],
    });
    expect(ir.usage).toMatchObject({ inputTokens: 1902, outputTokens: 41, totalTokens: 1943 });
  });

  it('should decode a Claude-backed stream with the upstream call id and finish tool_calls', () => {
    const decoder = sut.createStreamDecoder(ctx());
    const parser = new SSEParser();
    const events: IRStreamEvent[] = [
      ...parser.push(raw('antigravity/stream-thinking-tool.sse')),
      ...parser.end(),
    ].flatMap((e) => decoder.push(e));
    events.push(...decoder.end());

    expect(events.filter((e) => e.type !== 'start' && e.type !== 'usage')).toEqual([
      { type: 'reasoning_delta', text: 'The user wants the README. ' },
      { type: 'reasoning_delta', text: "I'll read it with read_file." },
      { type: 'reasoning_signature', signature: expect.stringMatching(/^EqQB/) },
      {
        type: 'tool_call_start',
        callIndex: 0,
        id: 'toolu_vrtx_01Hq5Ca9Lw3y2ZsBn8rTgX4M',
        name: 'read_file',
      },
      { type: 'tool_call_delta', callIndex: 0, argumentsDelta: '{"path":"README.md"}' },
      { type: 'tool_call_end', callIndex: 0 },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'end' },
    ]);
  });

  it('should encode stream chunks inside {"response"}', () => {
    const encoder = sut.createStreamEncoder(ctx());
    const frames = [
      ...encoder.push({ type: 'text_delta', text: 'Hi' }),
      ...encoder.push({ type: 'finish', stopReason: 'stop' }),
      ...encoder.push({ type: 'end' }),
    ];
    const chunks = new SSEParser().push(frames.join('')).map((e) => JSON.parse(e.data));

    expect(chunks.map((c) => c.response.candidates[0].finishReason ?? null)).toEqual([
      null,
      'STOP',
    ]);
    expect(chunks[0].response.modelVersion).toBe('claude-sonnet-4-5');
  });
});
