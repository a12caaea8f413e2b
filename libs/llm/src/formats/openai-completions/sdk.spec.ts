import OpenAI from 'openai';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRStreamEvent } from '@app/llm/ir/types';
import { openaiCompletionsCodec } from '@app/llm/formats/openai-completions';

// The official SDK must accept the legacy completions we emit (fetch stub, no network).

const ctxFor = (over: Partial<TranslationContext> = {}): TranslationContext =>
  createContext({
    upstreamModel: 'gemini-2.5-flash',
    requestedModel: 'gpt-3.5-turbo-instruct',
    ...over,
  });

function clientServing(body: string, contentType: string): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test',
    baseURL: 'http://127.0.0.1:1/v1',
    maxRetries: 0,
    fetch: async () => new Response(body, { headers: { 'content-type': contentType } }),
  });
}

const PARAMS = {
  model: 'gpt-3.5-turbo-instruct',
  prompt: 'Write a tagline for an ice cream shop.',
};

describe('openai SDK acceptance (legacy completions)', () => {
  it('should accept a non-stream text_completion', async () => {
    const ir: IRResponse = {
      id: 'resp-1',
      model: 'gpt-3.5-turbo-instruct',
      created: 1700000000,
      candidates: [
        { index: 0, content: [{ type: 'text', text: 'Scoop up happiness!' }], stopReason: 'stop' },
      ],
      usage: {
        inputTokens: 9,
        outputTokens: 4,
        reasoningTokens: 0,
        cachedTokens: 0,
        totalTokens: 13,
      },
      sourceFormat: 'gemini',
      extra: {},
    };
    const body = JSON.stringify(openaiCompletionsCodec.buildResponse(ir, ctxFor()));
    const completion = await clientServing(body, 'application/json').completions.create(PARAMS);

    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0].text).toBe('Scoop up happiness!');
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({
      prompt_tokens: 9,
      completion_tokens: 4,
      total_tokens: 13,
    });
  });

  it('should stream text_completion chunks the SDK iterates', async () => {
    const encoder = openaiCompletionsCodec.createStreamEncoder(ctxFor({ includeUsage: true }));
    const events: IRStreamEvent[] = [
      { type: 'text_delta', text: 'Scoop' },
      { type: 'text_delta', text: ' up happiness!' },
      { type: 'finish', stopReason: 'length' },
      {
        type: 'usage',
        usage: {
          inputTokens: 9,
          outputTokens: 4,
          reasoningTokens: 0,
          cachedTokens: 0,
          totalTokens: 13,
        },
      },
      { type: 'end' },
    ];
    const bytes = events.flatMap((ev) => encoder.push(ev)).join('');
    const stream = await clientServing(bytes, 'text/event-stream').completions.create({
      ...PARAMS,
      stream: true,
      stream_options: { include_usage: true },
    });

    let text = '';
    let finish: string | null = null;
    let total: number | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        text += choice.text;
        finish = choice.finish_reason ?? finish;
      }
      if (chunk.usage) total = chunk.usage.total_tokens;
    }

    expect(text).toBe('Scoop up happiness!');
    expect(finish).toBe('length');
    expect(total).toBe(13);
  });
});
