import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRRequest, IRStreamEvent } from '@app/llm/ir/types';
import { geminiCliCodec } from '@app/llm/formats/gemini-cli';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { translateRequest, translateResponse } from '@app/llm/translate';

/** Parsed JSON, read loosely in assertions. */
type Json = ReturnType<typeof JSON.parse>;

const FIXTURES = join(__dirname, '../../../../../test/fixtures/gemini-cli');
const raw = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const fixture = (name: string): Json => JSON.parse(raw(name));

const ctx = (init: Partial<TranslationContext> = {}): TranslationContext =>
  createContext({
    upstreamModel: 'gemini-2.5-pro',
    requestedModel: 'gemini-2.5-pro',
    project: 'my-project-123',
    ...init,
  });

const sut = geminiCliCodec;

const openaiIR = (): IRRequest => ({
  model: 'gpt-alias',
  system: [{ type: 'text', text: 'Be brief.' }],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
  sampling: { temperature: 0.5 },
  stream: true,
  sourceFormat: 'openai',
  extra: { user: 'u-1' },
});

describe('gemini-cli request envelope', () => {
  it('should wrap a Gemini body as {model, project, request}', () => {
    expect(sut.buildRequest(openaiIR(), ctx())).toEqual({
      model: 'gemini-2.5-pro',
      project: 'my-project-123',
      request: {
        contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        generationConfig: { temperature: 0.5 },
      },
    });
    expect(sut.buildRequest(openaiIR(), ctx({ project: undefined }))).not.toHaveProperty('project');
  });

  it('should parse the envelope a Gemini CLI client sends', () => {
    const ir = sut.parseRequest(fixture('generate-content-request.json'), ctx({ stream: true }));

    expect(ir).toMatchObject({
      sourceFormat: 'gemini-cli',
      stream: true,
      system: [
        {
          type: 'text',
          text: 'You are an interactive CLI agent specializing in software engineering tasks.',
        },
      ],
      reasoning: { budget: -1, includeThoughts: true },
      sampling: { temperature: 0, topP: 1 },
      extra: {
        session_id: '6f1e0c52-2d3b-4a8e-9c47-0b8d2f5e7a19',
        $envelope: { user_prompt_id: 'a1b2c3d4e5f6########2' },
      },
    });
    expect(ir.messages.map((m) => m.content[0].type)).toEqual(['text', 'tool_call', 'tool_result']);
    expect(ir.messages[2].content[0]).toMatchObject({
      callId: 'call_0_list_directory',
      content: [{ type: 'text', text: 'README.md\npackage.json\nsrc/' }],
    });
    expect(ir.tools?.[0].parameters).toMatchObject({ required: ['path'] });
  });

  it('should take the model from the envelope when the URL did not name one', () => {
    const ir = sut.parseRequest(
      { model: 'gemini-2.5-flash', request: { contents: [] } },
      ctx({ requestedModel: '' }),
    );
    expect(ir.model).toBe('gemini-2.5-flash');
  });

  it('should report errors inside the envelope with their full path', () => {
    expect(() => sut.parseRequest({ model: 'm' }, ctx())).toThrow('(at request)');
    expect(() => sut.parseRequest({ request: { contents: {} } }, ctx())).toThrow(
      'contents must be an array (at request.contents)',
    );
  });

  it('should pass envelope and inner fields through between Gemini CLI ends only', () => {
    const body = fixture('generate-content-request.json');
    const same = translateRequest(
      'gemini-cli',
      'gemini-cli',
      body,
      ctx({ upstreamModel: 'gemini-2.5-flash' }),
    );

    expect(same).toMatchObject({
      model: 'gemini-2.5-flash',
      project: 'my-project-123',
      user_prompt_id: body.user_prompt_id,
      request: { session_id: body.request.session_id },
    });
    expect(same.request).toMatchObject({
      contents: [
        body.request.contents[0],
        {
          role: 'model',
          parts: [
            {
              ...body.request.contents[1].parts[0],
              functionCall: expect.objectContaining(body.request.contents[1].parts[0].functionCall),
            },
          ],
        },
        {
          role: 'user',
          parts: [
            {
              functionResponse: {
                id: 'call_0_list_directory',
                name: 'list_directory',
                response: { output: 'README.md\npackage.json\nsrc/' },
              },
            },
          ],
        },
      ],
    });

    // The public Gemini API rejects Code Assist fields, so they stay behind.
    const plain = translateRequest('gemini-cli', 'gemini', body, ctx());
    expect(plain).not.toHaveProperty('session_id');
    expect(plain).not.toHaveProperty('user_prompt_id');
    expect(plain).not.toHaveProperty('request');
  });
});

describe('gemini-cli response envelope', () => {
  it('should unwrap {"response":{…}} and keep the traceId for Gemini CLI clients', () => {
    const body = fixture('generate-content-response.json');
    const ir = sut.parseResponse(body, ctx());

    expect(ir).toMatchObject({
      id: '_0JKaJTqHoKqnvgP2Jm6-Aw',
      created: Math.floor(Date.parse('2025-09-30T11:42:07.518723Z') / 1000),
      candidates: [
        {
          stopReason: 'stop',
          content: [{ type: 'text', text: expect.stringContaining('README.md') }],
        },
      ],
      usage: {
        inputTokens: 5184,
        outputTokens: 76,
        reasoningTokens: 58,
        cachedTokens: 4096,
        totalTokens: 5260,
      },
    });

    const out = translateResponse('gemini-cli', 'gemini-cli', body, ctx());
    expect(out.traceId).toBe('4f1b2a9c3d7e8f60');
    expect(out.response).toMatchObject({
      candidates: [
        {
          content: body.response.candidates[0].content,
          finishReason: 'STOP',
          avgLogprobs: -0.2146,
        },
      ],
      usageMetadata: { totalTokenCount: 5260 },
      responseId: '_0JKaJTqHoKqnvgP2Jm6-Aw',
    });
    expect(translateResponse('gemini-cli', 'gemini', body, ctx())).not.toHaveProperty('response');
  });

  it('should accept a bare Gemini response too', () => {
    const ir = sut.parseResponse(
      { candidates: [{ content: { parts: [{ text: 'hi' }] }, finishReason: 'STOP' }] },
      ctx(),
    );
    expect(ir.candidates[0].content).toEqual([{ type: 'text', text: 'hi' }]);
  });
});

describe('gemini-cli streams', () => {
  function decode(text: string): IRStreamEvent[] {
    const decoder = sut.createStreamDecoder(ctx());
    const parser = new SSEParser();
    return [...parser.push(text), ...parser.end()]
      .flatMap((e) => decoder.push(e))
      .concat(decoder.end());
  }

  it('should decode wrapped chunks like Gemini ones', () => {
    const events = decode(raw('stream-text-tool.sse'));

    expect(events.map((e) => e.type)).toEqual([
      'start',
      'usage',
      'text_delta',
      'tool_call_start',
      'tool_call_delta',
      'tool_call_end',
      'usage',
      'finish',
      'end',
    ]);
    expect(events[3]).toMatchObject({
      name: 'list_directory',
      signature: expect.stringMatching(/^CsoB/),
    });
    expect(JSON.parse((events[4] as { argumentsDelta: string }).argumentsDelta)).toEqual({
      path: '/home/user/project',
    });
    expect(events[7]).toEqual({ type: 'finish', stopReason: 'tool_calls' });
  });

  it('should wrap every chunk in {"response"} but leave error chunks bare', () => {
    const encoder = sut.createStreamEncoder(ctx());
    const frames = [
      ...encoder.push({ type: 'text_delta', text: 'Hello' }),
      ...encoder.push({
        type: 'error',
        status: 429,
        errorType: 'rate_limit_error',
        message: 'quota',
      }),
    ];
    const parser = new SSEParser();
    const chunks = parser.push(frames.join('')).map((e) => JSON.parse(e.data));

    expect(chunks[0].response.candidates[0].content.parts).toEqual([{ text: 'Hello' }]);
    expect(chunks[1]).toEqual({
      error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' },
    });
  });

  it('should surface a bare error chunk from the upstream as an error event', () => {
    const decoder = sut.createStreamDecoder(ctx());
    expect(
      decoder.push({
        data: '{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}',
      }),
    ).toEqual([{ type: 'error', status: 429, errorType: 'rate_limit_error', message: 'quota' }]);
  });
});
