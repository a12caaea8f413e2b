import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRStopReason } from '@app/llm/ir/types';
import { STATE_ECHO } from '@app/llm/formats/openai-completions/request';
import {
  buildCompletionsResponse,
  parseCompletionsResponse,
  toCompletionFinishReason,
} from '@app/llm/formats/openai-completions/response';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/openai');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const ctxFor = (): TranslationContext => createContext({ upstreamModel: 'gpt-3.5-turbo-instruct' });

const fromClaude: IRResponse = {
  id: 'msg_01',
  model: 'claude-haiku',
  created: 1700000000,
  candidates: [
    {
      index: 0,
      content: [
        { type: 'reasoning', text: 'hidden' },
        { type: 'text', text: 'Scoop' },
        { type: 'text', text: ' joy' },
      ],
      stopReason: 'length',
    },
  ],
  usage: { inputTokens: 9, outputTokens: 2, reasoningTokens: 0, cachedTokens: 0, totalTokens: 11 },
  sourceFormat: 'claude',
  extra: { stop_sequence: null },
};

describe(parseCompletionsResponse.name, () => {
  it('should read choices[].text, finish reason and usage', () => {
    const sut = parseCompletionsResponse(fixture('completions-response.json'), ctxFor());

    expect(sut).toEqual({
      id: 'cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7',
      model: 'gpt-3.5-turbo-instruct',
      created: 1589478378,
      candidates: [
        {
          index: 0,
          content: [{ type: 'text', text: '\n\nScoop up happiness, one cone at a time!' }],
          stopReason: 'stop',
        },
      ],
      usage: {
        inputTokens: 9,
        outputTokens: 12,
        reasoningTokens: 0,
        cachedTokens: 0,
        totalTokens: 21,
      },
      sourceFormat: 'openai-completions',
      extra: { system_fingerprint: 'fp_44709d6fcb' },
    });
  });
});

describe(buildCompletionsResponse.name, () => {
  it('should build a text_completion with a cmpl id and the text parts only', () => {
    const sut = buildCompletionsResponse(fromClaude, ctxFor());

    expect(sut).toEqual({
      id: expect.stringMatching(/^cmpl-[A-Za-z0-9]{24}$/),
      object: 'text_completion',
      created: 1700000000,
      model: 'claude-haiku',
      choices: [{ text: 'Scoop joy', index: 0, logprobs: null, finish_reason: 'length' }],
      usage: expect.objectContaining({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 }),
    });
  });

  it('should prepend the prompt when the client asked for echo', () => {
    const ctx = ctxFor();
    ctx.state[STATE_ECHO] = 'Tagline: ';
    const sut = buildCompletionsResponse(fromClaude, ctx);

    expect(sut.choices).toEqual([
      { text: 'Tagline: Scoop joy', index: 0, logprobs: null, finish_reason: 'length' },
    ]);
  });

  it('should round-trip a legacy response', () => {
    const ctx = ctxFor();
    const body = fixture('completions-response.json');
    const sut = buildCompletionsResponse(parseCompletionsResponse(body, ctx), ctx);

    expect(sut).toEqual({
      ...body,
      usage: expect.objectContaining({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 }),
    });
  });

  it.each<[IRStopReason | undefined, string]>([
    ['stop', 'stop'],
    ['length', 'length'],
    ['content_filter', 'content_filter'],
    ['refusal', 'content_filter'],
    ['tool_calls', 'stop'],
    ['stop_sequence', 'stop'],
    [undefined, 'stop'],
  ])('should render stop reason %s as %s', (reason, wire) => {
    expect(toCompletionFinishReason(reason)).toBe(wire);
  });
});
