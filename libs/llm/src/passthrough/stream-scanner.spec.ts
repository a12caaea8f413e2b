import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import { codecFor } from '@app/llm/formats';
import type { IRStreamEvent, IRUsage, SSEEvent, WireFormat } from '@app/llm/ir/types';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { createStreamScanner } from '@app/llm/passthrough/stream-scanner';

const FIXTURES = join(__dirname, '../../../../test/fixtures');
const events = (path: string): SSEEvent[] => {
  const parser = new SSEParser();
  return [...parser.push(readFileSync(join(FIXTURES, path), 'utf8')), ...parser.end()];
};

/** What the translating path's decoder makes of the same stream. */
function decoded(format: WireFormat, evs: SSEEvent[]) {
  const decoder = codecFor(format).createStreamDecoder(createContext({ upstreamModel: 'm' }));
  const out: IRStreamEvent[] = [];
  for (const ev of evs) out.push(...decoder.push(ev));
  let usage: IRUsage | undefined;
  let finished = false;
  let error: Extract<IRStreamEvent, { type: 'error' }> | undefined;
  let chars = 0;
  for (const e of out) {
    if (e.type === 'usage') usage = e.usage;
    if (e.type === 'finish') finished = true;
    if (e.type === 'error') {
      finished = true;
      error ??= e;
    }
    if (e.type === 'text_delta' || e.type === 'reasoning_delta') chars += e.text.length;
    if (e.type === 'tool_call_delta') chars += e.argumentsDelta.length;
  }
  return { usage, finished, error, chars };
}

describe(createStreamScanner.name, () => {
  it.each<[WireFormat, string, boolean]>([
    ['claude', 'claude/stream-text.sse', true],
    ['claude', 'claude/stream-text-tool.sse', true],
    ['claude', 'claude/stream-thinking-text.sse', true],
    ['claude', 'claude/stream-parallel-tools.sse', true],
    ['claude', 'claude/stream-max-tokens.sse', true],
    ['openai', 'openai/stream-text.sse', true],
    ['openai', 'openai/stream-tool-calls.sse', true],
    ['openai', 'openai/stream-reasoning.sse', true],
    ['openai-responses', 'openai-responses/stream-text.sse', true],
    ['openai-responses', 'openai-responses/stream-reasoning-text-tool.sse', true],
    ['openai-responses', 'openai-responses/stream-incomplete.sse', true],
    ['codex', 'codex/stream-text.sse', true],
    ['codex', 'codex/stream-reasoning-text-tool.sse', true],
    ['gemini', 'gemini/stream-text.sse', false],
    ['gemini', 'gemini/stream-thinking-tool.sse', false],
    ['gemini-cli', 'gemini-cli/stream-text-tool.sse', false],
  ])(
    'should read %s %s as the translating decoder does (usage, end), parsing few events',
    (format, path, hasTerminator) => {
      const evs = events(path);
      const want = decoded(format, evs);
      const sut = createStreamScanner(format, createContext({ upstreamModel: 'm' }));
      for (const ev of evs) sut.push(ev);
      expect(sut.usage).toEqual(want.usage);
      expect(sut.usage?.inputTokens).toBeGreaterThan(0);
      expect(sut.finished).toBe(true);
      expect(sut.terminated).toBe(hasTerminator);
      expect(sut.failure).toBeUndefined();
      // Escapes count as written; close enough for an estimate of a cut stream. (Gemini sends
      // tool arguments as objects, not counted: its chunks all carry usage anyway.)
      expect(sut.outputChars).toBeLessThanOrEqual(want.chars * 1.3 + 4);
      if (format.startsWith('gemini')) expect(sut.outputChars).toBeGreaterThan(0);
      else expect(sut.outputChars).toBeGreaterThanOrEqual(want.chars * 0.8);
    },
  );

  it.each<[WireFormat, string]>([
    ['claude', 'claude/stream-error-overloaded.sse'],
    ['openai', 'openai/stream-error.sse'],
    ['openai-responses', 'openai-responses/stream-failed.sse'],
    ['gemini', 'gemini/stream-error.sse'],
  ])('should report the error of %s %s with the status the decoder gives it', (format, path) => {
    const evs = events(path);
    const want = decoded(format, evs);
    const sut = createStreamScanner(format, createContext({ upstreamModel: 'm' }));
    for (const ev of evs) sut.push(ev);
    expect(want.error).toBeDefined();
    expect(sut.failure).toEqual({
      status: want.error?.status,
      type: want.error?.errorType,
      message: want.error?.message,
    });
    expect(sut.finished).toBe(true);
  });

  it('should not call a stream cut before its end finished', () => {
    const evs = events('claude/stream-text.sse');
    const sut = createStreamScanner('claude', createContext({ upstreamModel: 'm' }));
    for (const ev of evs.slice(0, 4)) sut.push(ev);
    expect(sut.finished).toBe(false);
    expect(sut.terminated).toBe(false);
    // message_start already said how many tokens went in.
    expect(sut.usage?.inputTokens).toBeGreaterThan(0);
    expect(sut.outputChars).toBeGreaterThan(0);
  });

  it('should remember the response id and model of a Responses stream (for a failure event)', () => {
    const sut = createStreamScanner('codex', createContext({ upstreamModel: 'm' }));
    for (const ev of events('codex/stream-text.sse').slice(0, 2)) sut.push(ev);
    expect(sut.responseId).toMatch(/^resp_/);
    expect(sut.responseModel).toBeTruthy();
  });
});
