import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { SSEFramer } from '@app/llm/passthrough/sse-framer';

const FIXTURES = join(__dirname, '../../../../test/fixtures');
const text = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');

/** Feed `input` in pieces of `size`; collect events and forwarded text. */
function frame(input: string, size: number) {
  const sut = new SSEFramer();
  const events = [];
  let out = '';
  for (let i = 0; i < input.length; i += size) {
    const f = sut.push(input.slice(i, i + size));
    events.push(...f.events);
    out += f.text;
  }
  const tail = sut.end();
  events.push(...tail.events);
  out += tail.text;
  return { events, out };
}

describe(SSEFramer.name, () => {
  it.each([
    'claude/stream-text-tool.sse',
    'openai/stream-tool-calls.sse',
    'codex/stream-reasoning-text-tool.sse',
    // Google separates events with CRLF CRLF.
    'gemini/stream-thinking-tool.sse',
  ])('should forward %s byte for byte however it is split, with the same events', (path) => {
    const input = text(path);
    const parser = new SSEParser();
    const want = [...parser.push(input), ...parser.end()];
    for (const size of [1, 2, 7, 64, input.length]) {
      const { events, out } = frame(input, size);
      expect(events).toEqual(want);
      // A capture that ends with its blank line comes out exactly as it went in.
      expect(out).toBe(input.trimEnd() === input ? `${input}\n\n` : input);
    }
  });

  it('should never hand out part of an event', () => {
    const sut = new SSEFramer();
    expect(sut.push('event: a\ndata: {"x":')).toEqual({ events: [], text: '' });
    expect(sut.push('1}\n')).toEqual({ events: [], text: '' });
    expect(sut.push('\ndata: next')).toEqual({
      events: [{ event: 'a', data: '{"x":1}' }],
      text: 'event: a\ndata: {"x":1}\n\n',
    });
    // A final event without its blank line is completed at the end.
    expect(sut.end()).toEqual({ events: [{ data: 'next' }], text: 'data: next\n\n' });
  });

  it('should keep a CR that may start a CRLF until the next read', () => {
    const sut = new SSEFramer();
    expect(sut.push('data: a\r\n\r')).toEqual({ events: [], text: '' });
    expect(sut.push('\ndata: b\r\n\r\n')).toEqual({
      events: [{ data: 'a' }, { data: 'b' }],
      text: 'data: a\r\n\r\ndata: b\r\n\r\n',
    });
  });

  it('should agree with SSEParser on any split of any event text', () => {
    const line = fc.constantFrom(
      'data: {"a":1}',
      'event: x',
      ': comment',
      'data:',
      'id: 7',
      'retry: 5',
      '',
    );
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    const doc = fc.array(fc.tuple(line, eol), { maxLength: 30 }).map((ls) => ls.flat().join(''));
    fc.assert(
      fc.property(doc, fc.integer({ min: 1, max: 9 }), (input, size) => {
        const parser = new SSEParser();
        const want = [...parser.push(input), ...parser.end()];
        expect(frame(input, size).events).toEqual(want);
      }),
    );
  });
});
