import type { RelayMessage } from '@app/proxy/relay/relay.protocol';
import { RelaySession, type RelaySocket } from '@app/proxy/relay/relay-session';

class FakeSocket implements RelaySocket {
  sent: RelayMessage[] = [];
  pings = 0;
  closedWith: { code: number; reason: string } | undefined;
  send(text: string): void {
    this.sent.push(JSON.parse(text) as RelayMessage);
  }
  ping(): void {
    this.pings++;
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
  }
}

describe(RelaySession.name, () => {
  let socket: FakeSocket;
  let heartbeats: number;
  let closed: string[];
  let sut: RelaySession;

  beforeEach(() => {
    jest.useFakeTimers();
    socket = new FakeSocket();
    heartbeats = 0;
    closed = [];
    sut = new RelaySession(
      'aistudio-test',
      socket,
      { heartbeat: () => heartbeats++, closed: (_s, reason) => closed.push(reason) },
      { readTimeoutMs: 60_000, heartbeatMs: 30_000 },
    );
  });

  afterEach(() => {
    sut.close('test over');
    jest.useRealTimers();
  });

  it('should send a request and route its frames until the terminal one', () => {
    const got: string[] = [];
    sut.request({ id: 'r1', type: 'http_request', payload: { url: 'u' } }, (m) => got.push(m.type));
    expect(socket.sent).toEqual([{ id: 'r1', type: 'http_request', payload: { url: 'u' } }]);
    sut.onText('{"id":"r1","type":"stream_start","payload":{"status":200}}');
    sut.onText('{"id":"other","type":"stream_chunk"}');
    sut.onText('{"id":"r1","type":"stream_end"}');
    sut.onText('{"id":"r1","type":"stream_chunk"}');
    expect(got).toEqual(['stream_start', 'stream_end']);
    expect(sut.pendingCount).toBe(0);
  });

  it('should answer a ping with a pong of the same id', () => {
    sut.onText('{"id":"p1","type":"ping"}');
    expect(socket.sent).toEqual([{ id: 'p1', type: 'pong' }]);
  });

  it('should ping and report a heartbeat every interval', () => {
    jest.advanceTimersByTime(30_000);
    sut.onPong();
    jest.advanceTimersByTime(30_000);
    expect(socket.pings).toBe(2);
    expect(heartbeats).toBe(2);
  });

  it('should close after the read timeout and fail what is pending', () => {
    const got: RelayMessage[] = [];
    sut.request({ id: 'r1', type: 'http_request' }, (m) => got.push(m));
    jest.advanceTimersByTime(59_000);
    sut.onPong();
    jest.advanceTimersByTime(59_000);
    expect(closed).toEqual([]);
    jest.advanceTimersByTime(2_000);
    expect(socket.closedWith).toEqual({ code: 4008, reason: 'read timeout' });
    expect(closed).toEqual(['read timeout']);
    expect(got).toEqual([
      {
        id: 'r1',
        type: 'error',
        payload: { error: expect.stringContaining('read timeout') as unknown },
      },
    ]);
  });

  it('should refuse requests once closed and stop routing forgotten ones', () => {
    const got: string[] = [];
    sut.request({ id: 'r1', type: 'http_request' }, (m) => got.push(m.type));
    sut.forget('r1');
    sut.onText('{"id":"r1","type":"http_response"}');
    expect(got).toEqual([]);
    sut.onSocketClosed('peer left');
    sut.request({ id: 'r2', type: 'http_request' }, (m) => got.push(m.type));
    expect(got).toEqual(['error']);
    expect(closed).toEqual(['peer left']);
  });
});
