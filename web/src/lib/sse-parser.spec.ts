import { SseParser } from './sse-parser';

describe(SseParser.name, () => {
  let sut: SseParser;

  beforeEach(() => {
    sut = new SseParser();
  });

  it('should parse a named event with JSON data', () => {
    expect(sut.push('event: request\ndata: {"a":1}\n\n')).toEqual([
      { event: 'request', data: '{"a":1}' },
    ]);
  });

  it('should default the event name to message and join multi-line data', () => {
    expect(sut.push('data: one\ndata: two\n\n')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('should hold a partial event until its blank line arrives', () => {
    expect(sut.push('event: log\nda')).toEqual([]);
    expect(sut.push('ta: x\n')).toEqual([]);
    expect(sut.push('\n')).toEqual([{ event: 'log', data: 'x' }]);
  });

  it('should treat CRLF split across chunks as one line end', () => {
    expect(sut.push('data: a\r')).toEqual([]);
    expect(sut.push('\n\r\n')).toEqual([{ event: 'message', data: 'a' }]);
  });

  it('should accept bare CR line ends', () => {
    expect(sut.push('event: e\rdata: v\r\rdata: w\r\r')).toEqual([{ event: 'e', data: 'v' }]);
    // the final CR could still be half of a CRLF: the next byte settles it
    expect(sut.push(': ping\r')).toEqual([{ event: 'message', data: 'w' }]);
  });

  it('should ignore comments such as heartbeats', () => {
    expect(sut.push(': ping\n\nevent: connected\ndata: {}\n\n')).toEqual([
      { event: 'connected', data: '{}' },
    ]);
  });

  it('should not dispatch an event without data and reset its name', () => {
    expect(sut.push('event: lonely\n\ndata: later\n\n')).toEqual([
      { event: 'message', data: 'later' },
    ]);
  });

  it('should keep only one leading space of a value and keep the last id', () => {
    expect(sut.push('id: 7\ndata:  spaced\n\n')).toEqual([
      { event: 'message', data: ' spaced', id: '7' },
    ]);
  });

  it('should deliver many events from one chunk in order', () => {
    const chunk = Array.from({ length: 5 }, (_, i) => `event: request\ndata: ${i}\n\n`).join('');
    expect(sut.push(chunk).map((e) => e.data)).toEqual(['0', '1', '2', '3', '4']);
  });
});
