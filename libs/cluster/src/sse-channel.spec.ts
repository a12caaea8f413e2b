import { EventEmitter } from 'node:events';
import { CONNECTED_COMMENT, SseChannel, type SseSink } from '@app/cluster/sse-channel';

/** A socket-like sink whose buffer only empties when told to. */
class FakeSink extends EventEmitter implements SseSink {
  writableLength = 0;
  writableEnded = false;
  destroyed = false;
  status = 0;
  headers: Record<string, unknown> = {};
  readonly frames: string[] = [];
  /** When true, written bytes stay "in the socket buffer". */
  stuck = false;

  writeHead(status: number, headers: Record<string, unknown>): this {
    this.status = status;
    this.headers = headers;
    return this;
  }
  write(chunk: string): boolean {
    this.frames.push(chunk);
    if (this.stuck) this.writableLength += Buffer.byteLength(chunk);
    return !this.stuck;
  }
  end(): this {
    this.writableEnded = true;
    this.emit('close');
    return this;
  }
  destroy(): this {
    this.destroyed = true;
    this.emit('close');
    return this;
  }
}

describe(SseChannel.name, () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('should open with the event-stream headers and a connected frame', () => {
    const sink = new FakeSink();
    const sut = new SseChannel(sink);
    sut.open();
    expect(sink.status).toBe(200);
    expect(sink.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(sink.frames[0]).toBe('event: connected\ndata: {}\n\n');
    expect(sut.send({ status_code: 500 })).toBe(true);
    expect(sink.frames[1]).toBe('data: {"status_code":500}\n\n');
    expect(sut.send({}, 'named')).toBe(true);
    expect(sink.frames[2]).toBe('event: named\ndata: {}\n\n');
    sut.close();
  });

  it('should open with a comment when asked, so every data frame is an item', () => {
    const sink = new FakeSink();
    const sut = new SseChannel(sink);
    sut.open(CONNECTED_COMMENT);
    expect(sink.frames[0]).toBe(': connected\n\n');
    sut.close();
  });

  it('should send a comment heartbeat every interval', () => {
    jest.useFakeTimers();
    const sink = new FakeSink();
    const sut = new SseChannel(sink, { heartbeatMs: 15_000 });
    sut.open();
    jest.advanceTimersByTime(45_000);
    expect(sink.frames.filter((f) => f === ': ping\n\n')).toHaveLength(3);
    sut.close();
    jest.advanceTimersByTime(30_000);
    expect(sink.frames.filter((f) => f === ': ping\n\n')).toHaveLength(3);
  });

  it('should drop events for a slow client instead of buffering them, and count them', () => {
    const sink = new FakeSink();
    let dropped = 0;
    const sut = new SseChannel(sink, { highWaterBytes: 100, onDrop: () => dropped++ });
    sut.open();
    sink.stuck = true;
    const payload = { text: 'x'.repeat(60) };
    const results = Array.from({ length: 50 }, () => sut.send(payload));
    // two frames fit under the mark, everything after is dropped: memory stays bounded
    expect(results.filter(Boolean)).toHaveLength(2);
    expect(dropped).toBe(48);
    expect(sink.writableLength).toBeLessThan(100 + 200);
    // once the socket drains, events flow again
    sink.writableLength = 0;
    expect(sut.send(payload)).toBe(true);
  });

  it('should disconnect a client that stays too slow for too long', () => {
    jest.useFakeTimers();
    const sink = new FakeSink();
    let cut = 0;
    const sut = new SseChannel(sink, {
      highWaterBytes: 10,
      slowLimitMs: 5000,
      onSlowDisconnect: () => cut++,
    });
    sut.open();
    sink.stuck = true;
    sink.writableLength = 1000;
    sut.send({});
    jest.advanceTimersByTime(6000);
    sut.send({});
    expect(cut).toBe(1);
    expect(sink.destroyed).toBe(true);
    expect(sut.isClosed).toBe(true);
  });

  it('should run close handlers once when the client leaves', () => {
    const sink = new FakeSink();
    const sut = new SseChannel(sink);
    let closed = 0;
    sut.onClose(() => closed++);
    sut.open();
    sink.emit('close');
    sut.close();
    expect(closed).toBe(1);
    expect(sut.send({})).toBe(false);
    sut.onClose(() => closed++); // registered after close: runs at once
    expect(closed).toBe(2);
  });
});
