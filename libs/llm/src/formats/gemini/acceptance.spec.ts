import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { StreamTranslator } from '@app/llm/stream/stream-translator';
import { translateRequest, translateResponse } from '@app/llm/translate';

// The acceptance examples that involve Gemini, run through the real codec registry.

const FIXTURES = join(__dirname, '../../../../../test/fixtures');
const raw = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');

/** Parsed JSON, read loosely in assertions. */
type Json = ReturnType<typeof JSON.parse>;

describe('Gemini acceptance', () => {
  it('should send gemini-2.5-pro(high) from an OpenAI client as thinkingBudget 24576', () => {
    const out: Json = translateRequest(
      'openai',
      'gemini',
      { model: 'gemini-2.5-pro(high)', messages: [{ role: 'user', content: 'Prove it.' }] },
      createContext({ upstreamModel: 'gemini-2.5-pro', requestedModel: 'gemini-2.5-pro(high)' }),
    );

    expect(out.generationConfig.thinkingConfig).toEqual({
      thinkingBudget: 24576,
      includeThoughts: true,
    });
    expect(out).not.toHaveProperty('model');
  });

  it('should report a Gemini STOP after a function call as tool_calls to OpenAI clients', () => {
    const ctx = createContext({
      upstreamModel: 'gemini-2.5-pro',
      requestedModel: 'gemini-2.5-pro',
    });
    const body: Json = translateResponse(
      'gemini',
      'openai',
      JSON.parse(raw('gemini/generate-content-response-function-call.json')),
      ctx,
    );

    expect(body.choices[0].finish_reason).toBe('tool_calls');
    expect(JSON.parse(body.choices[0].message.tool_calls[0].function.arguments)).toEqual({
      city: 'Paris',
      unit: 'celsius',
    });
    expect(body.usage).toMatchObject({
      prompt_tokens: 112,
      completion_tokens: 89,
      total_tokens: 201,
    });
  });

  it('should stream a Gemini tool call to an OpenAI client with parseable arguments', () => {
    const t = new StreamTranslator(
      'gemini',
      'openai',
      createContext({ upstreamModel: 'gemini-2.5-pro', requestedModel: 'gemini-2.5-pro' }),
    );
    const frames = t.push(raw('gemini/stream-thinking-tool.sse')) + t.flush() + t.end();
    const chunks: Json[] = new SSEParser()
      .push(frames)
      .filter((e) => e.data !== '[DONE]')
      .map((e) => JSON.parse(e.data));

    const deltas = chunks.flatMap((c: Json) => c.choices.map((ch: Json) => ch.delta));
    const args = deltas
      .flatMap((d: Json) => d.tool_calls ?? [])
      .map((tc: Json) => tc.function?.arguments ?? '')
      .join('');
    expect(JSON.parse(args)).toEqual({
      city: 'Paris',
      unit: 'celsius',
      details: { hourly: true, days: 2 },
    });
    expect(deltas.map((d: Json) => d.content ?? '').join('')).toBe(
      'Let me check the weather in Paris for you.',
    );
    expect(chunks.flatMap((c: Json) => c.choices.map((ch: Json) => ch.finish_reason))).toContain(
      'tool_calls',
    );
    expect(frames.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
