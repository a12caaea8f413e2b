import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRRequest } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import {
  STATE_ECHO,
  buildCompletionsRequest,
  parseCompletionsRequest,
} from '@app/llm/formats/openai-completions/request';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/openai');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

const ctxFor = (): TranslationContext => createContext({ upstreamModel: 'gpt-3.5-turbo-instruct' });

describe(parseCompletionsRequest.name, () => {
  it('should turn the prompt into one user message and map the sampling fields', () => {
    const ctx = ctxFor();
    const sut = parseCompletionsRequest(fixture('completions-request.json'), ctx);

    expect(sut).toEqual({
      model: 'gpt-3.5-turbo-instruct',
      system: [],
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: 'Write a tagline for an ice cream shop.' }],
        },
      ],
      sampling: { maxTokens: 32, temperature: 0.7, topP: 1, n: 1, stop: ['\n'] },
      stream: false,
      user: 'user-5678',
      sourceFormat: 'openai-completions',
      extra: { suffix: '\n\n-- The Scoop Team', logprobs: null, best_of: 1 },
    });
    expect(ctx.state[STATE_ECHO]).toBeUndefined();
  });

  it('should accept an array of prompts, echo and stream options', () => {
    const ctx = ctxFor();
    const sut = parseCompletionsRequest(
      {
        model: 'm',
        prompt: ['Once upon', ' a time'],
        echo: true,
        stream: true,
        stream_options: { include_usage: true },
        stop: 'END',
        seed: 7,
        presence_penalty: 0.1,
        frequency_penalty: 0.2,
      },
      ctx,
    );

    expect(sut.messages[0].content).toEqual([
      { type: 'text', text: 'Once upon' },
      { type: 'text', text: ' a time' },
    ]);
    expect(sut.stream).toBe(true);
    expect(sut.sampling).toEqual({
      stop: ['END'],
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
    });
    expect(ctx.includeUsage).toBe(true);
    expect(ctx.state[STATE_ECHO]).toBe('Once upon a time');
  });

  it.each([
    ['token-id prompts', { model: 'm', prompt: [1212, 318] }, 'prompt'],
    ['a missing prompt', { model: 'm' }, 'prompt'],
    ['a missing model', { prompt: 'x' }, 'model'],
  ])('should reject %s with a TranslationError naming the path', (_label, body, path) => {
    let caught: unknown;
    try {
      parseCompletionsRequest(body, ctxFor());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TranslationError);
    expect((caught as TranslationError).path).toBe(path);
  });
});

describe(buildCompletionsRequest.name, () => {
  it('should rebuild a legacy request with its unknown fields', () => {
    const ctx = ctxFor();
    const body = fixture('completions-request.json');
    const sut = buildCompletionsRequest(parseCompletionsRequest(body, ctx), ctx);

    const { echo: _echo, ...rest } = body;
    expect(sut).toEqual(rest);
  });

  it('should flatten a chat conversation into one prompt and always ask for stream usage', () => {
    const ir: IRRequest = {
      model: 'gpt-3.5-turbo-instruct',
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] },
      ],
      sampling: { maxTokens: 5 },
      stream: true,
      sourceFormat: 'claude',
      extra: { anthropic_beta: ['x'] },
    };
    const sut = buildCompletionsRequest(ir, ctxFor());

    expect(sut).toEqual({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'Be brief.\n\nHi\n\nHello',
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});
