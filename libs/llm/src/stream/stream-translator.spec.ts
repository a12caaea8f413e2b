import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext } from '@app/llm/codec';
import { StreamCollector } from '@app/llm/ir/collect';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { StreamTranslator } from '@app/llm/stream/stream-translator';

const FIXTURES = join(__dirname, '../../../../test/fixtures');
const capture = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');
const ctx = () => createContext({ upstreamModel: 'up', requestedModel: 'client-model' });

/** Event names of a Claude SSE text. */
const names = (text: string): (string | undefined)[] =>
  new SSEParser().push(text).map((e) => e.event);

describe(StreamTranslator.name, () => {
  it('should translate a capture and read usage, the finish and the output on the way', () => {
    const sut = new StreamTranslator('openai', 'claude', ctx());
    const out = sut.push(capture('openai/stream-text.sse')) + sut.flush() + sut.end();
    expect(names(out)[0]).toBe('message_start');
    expect(names(out).at(-1)).toBe('message_stop');
    expect(sut.finished).toBe(true);
    expect(sut.ended).toBe(true);
    expect(sut.failure).toBeUndefined();
    expect(sut.usage?.inputTokens).toBeGreaterThan(0);
    expect(sut.outputChars).toBeGreaterThan(0);
    expect(sut.contentType).toBe('text/event-stream');
  });

  it('should give the same bytes however the upstream text is split', () => {
    const text = capture('claude/stream-thinking-text.sse');
    const whole = new StreamTranslator('claude', 'openai', ctx());
    const want = whole.push(text) + whole.flush() + whole.end();
    const sut = new StreamTranslator('claude', 'openai', ctx());
    let out = '';
    for (let i = 0; i < text.length; i += 7) out += sut.push(text.slice(i, i + 7));
    out += sut.flush() + sut.end();
    // Ids and timestamps are made per stream; everything else is the same.
    const strip = (s: string) => s.replace(/"(id|created)":("[^"]*"|\d+)/g, '');
    expect(strip(out)).toBe(strip(want));
  });

  it('should write nothing while no event is complete', () => {
    const sut = new StreamTranslator('openai', 'claude', ctx());
    const text = capture('openai/stream-text.sse');
    const cut = text.indexOf('\n\n');
    expect(sut.push(text.slice(0, cut))).toBe('');
    expect(sut.push(text.slice(cut))).toContain('message_start');
  });

  it('should end the client stream with an error and write nothing after it', () => {
    const sut = new StreamTranslator('openai', 'claude', ctx());
    const text = capture('openai/stream-text.sse');
    sut.push(text.slice(0, text.indexOf('data:', 10)));
    expect(sut.finished).toBe(false);
    const out = sut.fail({ status: 504, type: 'timeout_error', message: 'stalled' });
    expect(names(out)).toEqual(['error']);
    expect(out).toContain('stalled');
    expect(sut.failure).toEqual({ status: 504, type: 'timeout_error', message: 'stalled' });
    expect(sut.ended).toBe(true);
    expect(sut.end()).toBe('');
  });

  it("should report an upstream's own error event as its failure", () => {
    const sut = new StreamTranslator('claude', 'openai', ctx());
    const out = sut.push(capture('claude/stream-error-overloaded.sse')) + sut.flush() + sut.end();
    expect(sut.finished).toBe(true);
    expect(sut.failure).toMatchObject({ status: 529, type: 'overloaded_error' });
    expect(out).toContain('"error"');
  });

  it('should feed any encoder, such as a collector that writes nothing', () => {
    const c = ctx();
    const collector = new StreamCollector(c);
    const sut = new StreamTranslator('openai', collector, c);
    expect(sut.push(capture('openai/stream-text.sse')) + sut.flush() + sut.end()).toBe('');
    const ir = collector.result();
    expect(ir.candidates[0].content).toEqual([{ type: 'text', text: expect.any(String) }]);
    expect(ir.usage).toEqual(sut.usage);
  });
});
