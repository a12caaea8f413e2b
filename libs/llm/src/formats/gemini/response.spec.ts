import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRToolCallPart } from '@app/llm/ir/types';
import { geminiCodec } from '@app/llm/formats/gemini';
import { TranslationError } from '@app/llm/util/errors';
import { shortenToolName } from '@app/llm/util/tool-names';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/gemini');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

const ctx = (): TranslationContext =>
  createContext({ upstreamModel: 'gemini-2.5-pro', requestedModel: 'my-alias' });

const sut = geminiCodec;

/** Parsed JSON, read loosely in assertions. */
type Body = ReturnType<typeof JSON.parse>;

/** One candidate with the given parts and finishReason. */
const withParts = (parts: unknown[], finishReason = 'STOP') => ({
  candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
});

describe('gemini parseResponse', () => {
  it('should read text, finish reason, usage, model version and response id', () => {
    const result = sut.parseResponse(fixture('generate-content-response-text.json'), ctx());

    expect(result).toMatchObject({
      id: 'mT9KaPXxH4C1nvgPpP6kiQ8',
      model: 'gemini-2.5-flash',
      sourceFormat: 'gemini',
      candidates: [
        {
          index: 0,
          content: [{ type: 'text', text: 'Hello! How can I help you today?' }],
          stopReason: 'stop',
        },
      ],
      usage: {
        inputTokens: 9,
        outputTokens: 9,
        reasoningTokens: 0,
        cachedTokens: 0,
        totalTokens: 18,
      },
    });
  });

  it('should call STOP after a function call tool_calls and count thoughts as output', () => {
    const result = sut.parseResponse(
      fixture('generate-content-response-function-call.json'),
      ctx(),
    );
    const [candidate] = result.candidates;

    expect(candidate.stopReason).toBe('tool_calls');
    expect(candidate.content[0]).toEqual({
      type: 'reasoning',
      text: expect.stringContaining('I will call get_weather'),
    });
    const call = candidate.content[1] as IRToolCallPart;
    expect(call).toMatchObject({ type: 'tool_call', name: 'get_weather' });
    expect(call.id).toMatch(/^call_/);
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris', unit: 'celsius' });
    expect(call.signature).toMatch(/^CtwB/);
    expect(result.usage).toEqual({
      inputTokens: 112,
      outputTokens: 89,
      reasoningTokens: 68,
      cachedTokens: 64,
      totalTokens: 201,
    });
  });

  it('should give each id-less call of a response a distinct id', () => {
    const result = sut.parseResponse(
      withParts([
        { functionCall: { name: 'f', args: {} } },
        { functionCall: { name: 'f', args: {} } },
      ]),
      ctx(),
    );
    const [a, b] = result.candidates[0].content as IRToolCallPart[];
    expect(a.id).not.toBe(b.id);
  });

  it('should map every Gemini finish reason', () => {
    const stop = (reason: string) => sut.parseResponse(withParts([{ text: 'x' }], reason), ctx());
    const cases: [string, string][] = [
      ['STOP', 'stop'],
      ['MAX_TOKENS', 'length'],
      ['SAFETY', 'content_filter'],
      ['RECITATION', 'content_filter'],
      ['BLOCKLIST', 'content_filter'],
      ['PROHIBITED_CONTENT', 'content_filter'],
      ['SPII', 'content_filter'],
      ['MALFORMED_FUNCTION_CALL', 'error'],
      ['OTHER', 'stop'],
    ];
    for (const [gemini, expected] of cases) {
      expect([gemini, stop(gemini).candidates[0].stopReason]).toEqual([gemini, expected]);
    }
  });

  it('should turn a blocked prompt into an empty content_filter candidate', () => {
    const result = sut.parseResponse(fixture('generate-content-response-blocked.json'), ctx());

    expect(result.candidates).toEqual([{ index: 0, content: [], stopReason: 'content_filter' }]);
    expect(result.usage?.inputTokens).toBe(8);
    expect(result.extra.promptFeedback).toMatchObject({ blockReason: 'SAFETY' });
  });

  it('should restore tool names shortened on the way up', () => {
    const c = ctx();
    const long = `mcp__server__${'x'.repeat(80)}`;
    const short = shortenToolName(long, c);
    const result = sut.parseResponse(withParts([{ functionCall: { name: short, args: {} } }]), c);
    expect((result.candidates[0].content[0] as IRToolCallPart).name).toBe(long);
  });

  it('should keep signatures on text parts and render built-in tool parts as text', () => {
    const result = sut.parseResponse(
      withParts([
        { executableCode: { language: 'PYTHON', code: 'print(1+1)' } },
        { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '2\n' } },
        { text: 'The answer is 2.', thoughtSignature: 'sig-t' },
      ]),
      ctx(),
    );

    expect(result.candidates[0].content).toEqual([
      expect.objectContaining({ type: 'text', text: '```python\nprint(1+1)\n```' }),
      expect.objectContaining({ type: 'text', text: '```\n2\n\n```' }),
      { type: 'text', text: 'The answer is 2.', extra: { thoughtSignature: 'sig-t' } },
    ]);
  });

  it('should reject a body whose candidates are not an array', () => {
    expect(() => sut.parseResponse({ candidates: {} }, ctx())).toThrow(TranslationError);
    expect(() => sut.parseResponse([], ctx())).toThrow(TranslationError);
  });
});

describe('gemini buildResponse', () => {
  const fromClaude: IRResponse = {
    id: 'msg_01',
    model: 'my-alias',
    created: 1700000000,
    sourceFormat: 'claude',
    extra: { container: 'ignored' },
    candidates: [
      {
        index: 0,
        stopReason: 'tool_calls',
        content: [
          { type: 'reasoning', text: 'Need the weather.', signature: 'claude-sig' },
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        ],
      },
    ],
    usage: {
      inputTokens: 100,
      outputTokens: 50,
      reasoningTokens: 20,
      cachedTokens: 40,
      totalTokens: 150,
    },
  };

  it('should render parts, STOP for tool calls and usageMetadata with thoughts split out', () => {
    expect(sut.buildResponse(fromClaude, ctx())).toEqual({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Need the weather.', thought: true, thoughtSignature: 'claude-sig' },
              { text: 'Let me check.' },
              { functionCall: { id: 'toolu_1', name: 'get_weather', args: { city: 'Oslo' } } },
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: 100,
        candidatesTokenCount: 30,
        thoughtsTokenCount: 20,
        cachedContentTokenCount: 40,
        totalTokenCount: 150,
      },
      modelVersion: 'my-alias',
      responseId: 'msg_01',
    });
  });

  it('should map IR stop reasons to Gemini finish reasons', () => {
    const finish = (stopReason: IRResponse['candidates'][0]['stopReason']) =>
      (
        sut.buildResponse(
          { ...fromClaude, candidates: [{ index: 0, content: [], stopReason }] },
          ctx(),
        ) as Body
      ).candidates[0].finishReason;

    expect(finish('stop')).toBe('STOP');
    expect(finish('length')).toBe('MAX_TOKENS');
    expect(finish('content_filter')).toBe('SAFETY');
    expect(finish('stop_sequence')).toBe('STOP');
    expect(finish('error')).toBe('OTHER');
  });

  it('should round-trip a Gemini response with its candidate and top-level extras', () => {
    const body = fixture('generate-content-response-function-call.json') as Body;
    const out = sut.buildResponse(sut.parseResponse(body, ctx()), ctx()) as Body;

    expect(out.candidates[0].safetyRatings).toEqual(body.candidates[0].safetyRatings);
    expect(out.candidates[0].content.parts[1]).toEqual({
      functionCall: expect.objectContaining({
        name: 'get_weather',
        args: { city: 'Paris', unit: 'celsius' },
      }),
      thoughtSignature: body.candidates[0].content.parts[1].thoughtSignature,
    });
    expect(out.usageMetadata).toEqual({
      promptTokenCount: 112,
      candidatesTokenCount: 21,
      thoughtsTokenCount: 68,
      cachedContentTokenCount: 64,
      totalTokenCount: 201,
    });

    const blocked = fixture('generate-content-response-blocked.json') as Body;
    const again = sut.buildResponse(sut.parseResponse(blocked, ctx()), ctx()) as Body;
    expect(again.promptFeedback).toEqual(blocked.promptFeedback);
    expect(again.candidates[0].finishReason).toBe('SAFETY');
  });
});
