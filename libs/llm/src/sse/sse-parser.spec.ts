import { JSONArrayStreamParser, SSEParser, formatSSE } from '@app/llm/sse/sse-parser';

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
    expect(sut.push('\n\r\ndata: two\r\r')).toEqual([{ data: 'one' }, { data: 'two' }]);
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

describe(JSONArrayStreamParser.name, () => {
  it('should yield each array element as it completes, across reads', () => {
    const sut = new JSONArrayStreamParser();
    expect(sut.push('[{"a":"x]}"')).toEqual([]);
    expect(sut.push(',"b":[1,2]}\r\n,{"c"')).toEqual([{ data: '{"a":"x]}","b":[1,2]}' }]);
    expect(sut.push(':{"d":"\\""}}]')).toEqual([{ data: '{"c":{"d":"\\""}}' }]);
  });
});
