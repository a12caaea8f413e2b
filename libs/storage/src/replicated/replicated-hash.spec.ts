import type { RedisService } from '@app/storage/redis.service';
import { ReplicatedHash, type ReplicatedHashCodec } from '@app/storage/replicated/replicated-hash';

/** One in-memory "Redis server" shared by several fake connections. */
class FakeServer {
  readonly hashes = new Map<string, Map<string, string>>();
  readonly subscribers = new Map<string, Set<(m: string) => void>>();
  readonly published: string[] = [];
  up = true;
}

function fakeRedis(server: FakeServer): RedisService {
  const check = () => {
    if (!server.up) throw new Error('Connection is closed.');
  };
  const hash = (k: string) => {
    const h = server.hashes.get(k) ?? new Map<string, string>();
    server.hashes.set(k, h);
    return h;
  };
  return {
    get isReady() {
      return server.up;
    },
    command: {
      hset: async (k: string, f: string, v: string) => {
        check();
        hash(k).set(f, v);
        return 1;
      },
      hdel: async (k: string, f: string) => {
        check();
        return hash(k).delete(f) ? 1 : 0;
      },
      hgetall: async (k: string) => {
        check();
        return Object.fromEntries(hash(k));
      },
    },
    publish: async (channel: string, message: string) => {
      if (!server.up) return false;
      server.published.push(message);
      for (const h of server.subscribers.get(channel) ?? []) h(message);
      return true;
    },
    subscribe: (channel: string, handler: (m: string) => void) => {
      const set = server.subscribers.get(channel) ?? new Set();
      set.add(handler);
      server.subscribers.set(channel, set);
      return () => set.delete(handler);
    },
  } as unknown as RedisService;
}

interface Value {
  n: number;
  t: number;
}

const codec: ReplicatedHashCodec<Value> = {
  encode: (v) => [v.n, v.t],
  decode: (s) =>
    Array.isArray(s) && typeof s[0] === 'number' && typeof s[1] === 'number'
      ? { n: s[0], t: s[1] }
      : undefined,
  version: (v) => v.t,
  isStale: (v, now) => v.n === 0 && v.t < now - 1000,
};

describe(ReplicatedHash.name, () => {
  let server: FakeServer;
  let clock: number;
  let sut: ReplicatedHash<Value>;
  let peer: ReplicatedHash<Value>;

  const make = () =>
    new ReplicatedHash(fakeRedis(server), {
      key: 'h',
      channel: 'ch',
      codec,
      refreshMs: 60_000,
      now: () => clock,
    });

  beforeEach(() => {
    server = new FakeServer();
    clock = 10_000;
    sut = make();
    peer = make();
    sut.start();
    peer.start();
  });

  afterEach(() => {
    sut.stop();
    peer.stop();
  });

  it('should store the encoded value and announce it to other replicas', async () => {
    await sut.set('a', { n: 1, t: clock });
    expect(server.hashes.get('h')?.get('a')).toBe('[1,10000]');
    expect(JSON.parse(server.published[0])).toEqual({
      from: sut.instanceId,
      f: 'a',
      v: [1, 10000],
    });
    expect(peer.get('a')).toEqual({ n: 1, t: clock });
    await peer.set('a', null);
    expect(sut.get('a')).toBeUndefined();
    expect(server.hashes.get('h')?.size).toBe(0);
  });

  it('should ignore an announcement older than what it holds', async () => {
    await sut.set('a', { n: 2, t: clock });
    const [handler] = [...(server.subscribers.get('ch') ?? [])];
    handler(JSON.stringify({ from: 'other', f: 'a', v: [1, clock - 1] }));
    expect(sut.get('a')).toEqual({ n: 2, t: clock });
    handler(JSON.stringify({ from: 'other', f: 'a', v: [3, clock + 1] }));
    expect(sut.get('a')).toEqual({ n: 3, t: clock + 1 });
  });

  it('should ignore malformed announcements and its own', () => {
    for (const h of server.subscribers.get('ch') ?? []) {
      h('not json');
      h(JSON.stringify({ from: 'x', f: 'a', v: 'bad' }));
      h(JSON.stringify({ from: 'x', v: [1, 1] }));
    }
    expect([...sut.entries()]).toEqual([]);
  });

  it('should keep local changes while Redis is down and push them once it is back', async () => {
    server.up = false;
    await sut.set('a', { n: 1, t: clock });
    await sut.set('b', { n: 1, t: clock });
    await sut.set('b', null);
    expect(sut.get('a')).toEqual({ n: 1, t: clock });
    expect(await sut.refresh()).toBe(false);
    expect(peer.get('a')).toBeUndefined();
    server.up = true;
    expect(await sut.refresh()).toBe(true);
    expect(await peer.refresh()).toBe(true);
    expect(peer.get('a')).toEqual({ n: 1, t: clock });
    expect(peer.fields()).toEqual(['a']);
  });

  it('should drop local values deleted elsewhere and take newer ones on reload', async () => {
    await sut.set('a', { n: 1, t: clock });
    await sut.set('b', { n: 1, t: clock });
    server.hashes.get('h')!.delete('a'); // as if a peer's delete message was lost
    server.hashes.get('h')!.set('b', JSON.stringify([5, clock + 5]));
    clock += 1;
    await sut.refresh();
    expect(sut.get('a')).toBeUndefined();
    expect(sut.get('b')).toEqual({ n: 5, t: clock + 4 });
  });

  it('should delete stale values from Redis when it reloads', async () => {
    await sut.set('idle', { n: 0, t: clock });
    await sut.set('busy', { n: 1, t: clock });
    clock += 5000;
    await sut.refresh();
    await new Promise((r) => setImmediate(r));
    expect(sut.get('idle')).toBeUndefined();
    expect(sut.get('busy')).toEqual({ n: 1, t: clock - 5000 });
    expect([...server.hashes.get('h')!.keys()]).toEqual(['busy']);
  });

  it('should skip values Redis holds in a form it cannot read', async () => {
    server.hashes.set(
      'h',
      new Map([
        ['x', 'not json'],
        ['y', '"str"'],
      ]),
    );
    expect(await sut.refresh()).toBe(true);
    expect(sut.fields()).toEqual([]);
  });
});
