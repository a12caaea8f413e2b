import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type TranslationContext } from '@app/llm/codec';
import type { IRStreamEvent, SSEEvent } from '@app/llm/ir/types';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { openaiCompletionsCodec } from '@app/llm/formats/openai-completions';
import { STATE_ECHO } from '@app/llm/formats/openai-completions/request';
import { CompletionsStreamEncoder } from '@app/llm/formats/openai-completions/stream';

const FIXTURES = join(__dirname, '../../../../../test/fixtures/openai');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

const ctxFor = (over: Partial<TranslationContext> = {}): TranslationContext =>
  createContext({ upstreamModel: 'gpt-3.5-turbo-instruct', ...over });

function sseEvents(text: string): SSEEvent[] {
  const parser = new SSEParser();
  return [...parser.push(text), ...parser.end()];
}

interface CompletionChunk {
  id: string;
  object: string;
  model: string;
  choices: { text: string; index: number; logprobs: null; finish_reason: string | null }[];
  usage?: Record<string, number>;
}

function chunksOf(frames: string[]): CompletionChunk[] {
  const events = sseEvents(frames.join(''));
  expect(events[events.length - 1].data).toBe('[DONE]');
  return events.slice(0, -1).map((ev) => JSON.parse(ev.data) as CompletionChunk);
}

describe(CompletionsStreamEncoder.name, () => {
  it('should emit text_completion chunks, a finish chunk, the usage chunk and [DONE]', () => {
    const sut = new CompletionsStreamEncoder(
      ctxFor({ requestedModel: 'instruct', includeUsage: true }),
    );
    const frames = (
      [
        { type: 'start', id: 'msg_1', model: 'claude', created: 1700000000 },
        { type: 'reasoning_delta', text: 'ignored' },
        { type: 'text_delta', text: 'Scoop' },
        { type: 'tool_call_start', callIndex: 0, id: 'c', name: 'ignored' },
        { type: 'text_delta', text: ' joy' },
        { type: 'finish', stopReason: 'length' },
        {
          type: 'usage',
          usage: {
            inputTokens: 9,
            outputTokens: 2,
            reasoningTokens: 0,
            cachedTokens: 0,
            totalTokens: 11,
          },
        },
        { type: 'end' },
      ] as IRStreamEvent[]
    ).flatMap((ev) => sut.push(ev));

    const chunks = chunksOf(frames);
    expect(chunks.map((c) => c.choices[0]?.text)).toEqual(['Scoop', ' joy', '', undefined]);
    for (const c of chunks) {
      expect(c).toMatchObject({ id: chunks[0].id, object: 'text_completion', model: 'instruct' });
    }
    expect(chunks[0].id).toMatch(/^cmpl-/);
    expect(chunks[2].choices[0]).toEqual({
      text: '',
      index: 0,
      logprobs: null,
      finish_reason: 'length',
    });
    expect(chunks[3].choices).toEqual([]);
    expect(chunks[3].usage).toMatchObject({
      prompt_tokens: 9,
      completion_tokens: 2,
      total_tokens: 11,
    });
  });

  it('should repeat the prompt first when echo was asked, even without a start event', () => {
    const ctx = ctxFor();
    ctx.state[STATE_ECHO] = 'Q: ';
    const sut = new CompletionsStreamEncoder(ctx);
    const frames = (
      [
        { type: 'text_delta', text: 'A' },
        { type: 'finish', stopReason: 'stop' },
        { type: 'end' },
      ] as IRStreamEvent[]
    ).flatMap((ev) => sut.push(ev));

    expect(chunksOf(frames).map((c) => c.choices[0].text)).toEqual(['Q: ', 'A', '']);
  });

  it('should render an error payload, then [DONE], then nothing', () => {
    const sut = new CompletionsStreamEncoder(ctxFor());
    const frames = sut.push({
      type: 'error',
      status: 500,
      errorType: 'api_error',
      message: 'boom',
    });

    expect(frames).toEqual([
      'data: {"error":{"message":"boom","type":"api_error","param":null,"code":null}}\n\n',
      'data: [DONE]\n\n',
    ]);
    expect(sut.push({ type: 'end' })).toEqual([]);
  });
});

describe('openai-completions stream decoding', () => {
  it('should decode a legacy stream capture and re-encode it unchanged in content', () => {
    const ctx = ctxFor({ includeUsage: true });
    const decoder = openaiCompletionsCodec.createStreamDecoder(ctx);
    const encoder = openaiCompletionsCodec.createStreamEncoder(ctx);
    const events: IRStreamEvent[] = [];
    for (const ev of sseEvents(fixture('completions-stream.sse'))) events.push(...decoder.push(ev));
    events.push(...decoder.end());

    expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
    expect(events.find((e) => e.type === 'finish')).toEqual({ type: 'finish', stopReason: 'stop' });
    const chunks = chunksOf(events.flatMap((ev) => encoder.push(ev)));
    const text = chunks.map((c) => c.choices[0]?.text ?? '').join('');
    expect(text).toBe('\n\nScoop up happiness, one cone at a time!');
    expect(chunks[0].id).toBe('cmpl-9zTq2mWbX4kR7vLp1sYd8NfHcE3aJ');
    expect(chunks[chunks.length - 1].usage).toMatchObject({
      prompt_tokens: 9,
      completion_tokens: 12,
    });
  });
});
