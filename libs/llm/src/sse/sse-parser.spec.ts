import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { SSEEvent } from '@app/llm/ir/types';
import { SSEParser, formatSSE } from '@app/llm/sse/sse-parser';

const FIXTURES = join(__dirname, '../../../../test/fixtures');
const fixture = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');

/** The events of a whole text, the WHATWG way, line by line (the oracle). */
function reference(input: string): SSEEvent[] {
  const out: SSEEvent[] = [];
  let data: string[] = [];
  let event: string | undefined;
  let id: string | undefined;
  let has = false;
  const dispatch = (): void => {
    if (has && (data.length > 0 || event !== undefined)) {
      const ev: SSEEvent = { data: data.join('\n') };
      if (event !== undefined) ev.event = event;
      if (id !== undefined) ev.id = id;
      out.push(ev);
    }
    data = [];
    event = undefined;
    has = false;
  };
  for (const line of input.split(/\r\n|\r|\n/)) {
    if (line === '') dispatch();
    else if (line.startsWith(':')) continue;
    else {
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      if (field === 'data') data.push(value);
      if (field === 'event') event = value;
      if (field === 'data' || field === 'event') has = true;
    }
  }
  dispatch();
  return out;
}

/** Feed `input` in pieces of `size`; collect events and their raw text. */
function frame(input: string, size: number) {
  const sut = new SSEParser();
  const events = [];
  let out = '';
  for (let i = 0; i < input.length; i += size) {
    events.push(...sut.push(input.slice(i, i + size)));
    out += sut.text;
  }
  events.push(...sut.end());
  out += sut.text;
  return { events, out };
}

describe(SSEParser.name, () => {
  it('should frame events by blank lines, not by reads', () => {
    const sut = new SSEParser();
    expect(sut.push('event: message_start\nda')).toEqual([]);
    expect(sut.push('ta: {"a":1}\n')).toEqual([]);
    expect(sut.push('\ndata: {"b":2}\n\n')).toEqual([
      { event: 'message_start', data: '{"a":1}' },
      { data: '{"b":2}' },
    ]);
  });

  it('should accept CRLF and CR line endings, including a CRLF split across reads', () => {
    const sut = new SSEParser();
    expect(sut.push('data: one\r')).toEqual([]);
    // A CR at the very end of a read may be half a CRLF: its event waits for the next read.
    expect(sut.push('\n\r\ndata: two\r\r')).toEqual([{ data: 'one' }]);
    expect(sut.push('data: three\n\n')).toEqual([{ data: 'two' }, { data: 'three' }]);
  });

  it('should ignore comments and join multi-line data with newlines', () => {
    const sut = new SSEParser();
    expect(sut.push(': keepalive\n\ndata: line1\ndata: line2\nid: 7\n\n')).toEqual([
      { data: 'line1\nline2', id: '7' },
    ]);
  });

  it('should deliver a final event without its blank line at end()', () => {
    const sut = new SSEParser();
    expect(sut.push('data: [DONE]')).toEqual([]);
    expect(sut.end()).toEqual([{ data: '[DONE]' }]);
  });

  it('should keep a value without the optional space after the colon', () => {
    const sut = new SSEParser();
    expect(sut.push('data:x\n\n')).toEqual([{ data: 'x' }]);
  });

  it('should survive a byte-by-byte feed', () => {
    const text = 'event: a\ndata: {"k":"v"}\n\nevent: b\ndata: 2\n\n';
    const sut = new SSEParser();
    const out = [...text].flatMap((ch) => sut.push(ch));
    expect(out).toEqual([
      { event: 'a', data: '{"k":"v"}' },
      { event: 'b', data: '2' },
    ]);
  });

  it('should frame events for output', () => {
    expect(formatSSE('{}', 'ping')).toBe('event: ping\ndata: {}\n\n');
    expect(formatSSE('[DONE]')).toBe('data: [DONE]\n\n');
  });
});

describe(`${SSEParser.name} raw text`, () => {
  it.each([
    'claude/stream-text-tool.sse',
    'openai/stream-tool-calls.sse',
    'codex/stream-reasoning-text-tool.sse',
    // Google separates events with CRLF CRLF.
    'gemini/stream-thinking-tool.sse',
  ])('should hand out %s byte for byte however it is split, with the same events', (path) => {
    const input = fixture(path);
    const whole = frame(input, input.length).events;
    for (const size of [1, 2, 7, 64]) {
      const { events, out } = frame(input, size);
      expect(events).toEqual(whole);
      // A capture that ends with its blank line comes out exactly as it went in.
      expect(out).toBe(input.trimEnd() === input ? `${input}\n\n` : input);
    }
  });

  it('should never hand out part of an event', () => {
    const sut = new SSEParser();
    expect(sut.push('event: a\ndata: {"x":')).toEqual([]);
    expect(sut.text).toBe('');
    expect(sut.push('1}\n')).toEqual([]);
    expect(sut.push('\ndata: next')).toEqual([{ event: 'a', data: '{"x":1}' }]);
    expect(sut.text).toBe('event: a\ndata: {"x":1}\n\n');
    // A final event without its blank line is completed at the end.
    expect(sut.end()).toEqual([{ data: 'next' }]);
    expect(sut.text).toBe('data: next\n\n');
  });

  it('should keep a CR that may start a CRLF until the next read', () => {
    const sut = new SSEParser();
    expect(sut.push('data: a\r\n\r')).toEqual([]);
    expect(sut.text).toBe('');
    expect(sut.push('\ndata: b\r\n\r\n')).toEqual([{ data: 'a' }, { data: 'b' }]);
    expect(sut.text).toBe('data: a\r\n\r\ndata: b\r\n\r\n');
  });

  it('should find the events of any event text however it is split', () => {
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
        expect(frame(input, size).events).toEqual(reference(input));
      }),
    );
  });
});
