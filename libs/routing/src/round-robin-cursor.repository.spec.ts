import type { RedisService } from '@app/storage';
import { RoundRobinCursorRepository } from '@app/routing/round-robin-cursor.repository';

/** Counters of one fake Redis shared by several connections; `up` false makes them fail. */
class FakeServer {
  readonly counters = new Map<string, number>();
  readonly ttls = new Map<string, number>();
  up = true;
}

function fakeRedis(server: FakeServer, ready = () => server.up): RedisService {
  const check = () => {
    if (!server.up) throw new Error('Connection is closed.');
  };
  return {
    get isReady() {
      return ready();
    },
    key: (...parts: (string | number)[]) => `t:${parts.join(':')}`,
    command: {
      incr: async (k: string) => {
        check();
        const n = (server.counters.get(k) ?? 0) + 1;
        server.counters.set(k, n);
        return n;
      },
      expire: async (k: string, s: number) => {
        check();
        server.ttls.set(k, s);
        return 1;
      },
    },
  } as unknown as RedisService;
}

describe(RoundRobinCursorRepository.name, () => {
  let server: FakeServer;

  beforeEach(() => {
    server = new FakeServer();
  });

  it('should share one cursor per bucket between replicas', async () => {
    const sut = new RoundRobinCursorRepository(fakeRedis(server));
    const peer = new RoundRobinCursorRepository(fakeRedis(server));
    const seen = [await sut.next('b'), await peer.next('b'), await sut.next('b')];
    expect(seen).toEqual([1, 2, 3]);
    expect(await peer.next('other')).toBe(1);
    expect([...server.counters.keys()]).toEqual(['t:routing:rr:b', 't:routing:rr:other']);
  });

  it('should let an idle cursor expire after a day', async () => {
    const sut = new RoundRobinCursorRepository(fakeRedis(server));
    await sut.next('b');
    await sut.next('b');
    await new Promise((r) => setImmediate(r));
    expect(server.ttls.get('t:routing:rr:b')).toBe(24 * 3600);
  });

  it('should count in process while Redis is down', async () => {
    const sut = new RoundRobinCursorRepository(fakeRedis(server));
    server.up = false;
    expect([await sut.next('b'), await sut.next('b')]).toEqual([1, 2]);
  });

  it('should fall back to the local count when a command fails on a "ready" connection', async () => {
    const sut = new RoundRobinCursorRepository(fakeRedis(server, () => true));
    server.up = false;
    expect([await sut.next('b'), await sut.next('b')]).toEqual([1, 2]);
  });
});
