import type { RedisService } from '@app/storage';
import { cooldownFor } from '@app/routing/cooldown.policy';
import { ALL_MODELS } from '@app/routing/credential-state.policy';
import { CredentialStateRepository } from '@app/routing/credential-state.repository';

/** One in-memory "Redis server" shared by several fake connections. */
class FakeServer {
  readonly hashes = new Map<string, Map<string, string>>();
  readonly subscribers = new Map<string, Set<(m: string) => void>>();
  up = true;
}

/** Just the RedisService surface the repository uses; fails like the real one when "down". */
class FakeRedis {
  constructor(private readonly server: FakeServer) {}

  get isReady(): boolean {
    return this.server.up;
  }

  key(...parts: (string | number)[]): string {
    return `t:${parts.join(':')}`;
  }

  private check(): void {
    if (!this.server.up) throw new Error('Connection is closed.');
  }

  readonly command = {
    hset: async (k: string, f: string, v: string) => {
      this.check();
      const h = this.server.hashes.get(k) ?? new Map<string, string>();
      h.set(f, v);
      this.server.hashes.set(k, h);
      return 1;
    },
    hdel: async (k: string, f: string) => {
      this.check();
      return this.server.hashes.get(k)?.delete(f) ? 1 : 0;
    },
    hgetall: async (k: string) => {
      this.check();
      return Object.fromEntries(this.server.hashes.get(k) ?? []);
    },
  };

  async publish(channel: string, message: string): Promise<boolean> {
    if (!this.server.up) return false;
    for (const h of this.server.subscribers.get(channel) ?? []) h(message);
    return true;
  }

  subscribe(channel: string, handler: (m: string) => void): () => void {
    const set = this.server.subscribers.get(channel) ?? new Set();
    set.add(handler);
    this.server.subscribers.set(channel, set);
    return () => set.delete(handler);
  }
}

describe(CredentialStateRepository.name, () => {
  let server: FakeServer;
  let clock: number;
  let sut: CredentialStateRepository;
  let peer: CredentialStateRepository;

  const make = () =>
    new CredentialStateRepository(new FakeRedis(server) as unknown as RedisService, {
      refreshMs: 60_000,
      now: () => clock,
    });

  beforeEach(() => {
    server = new FakeServer();
    clock = 1_000_000;
    sut = make();
    peer = make();
    sut.start();
    peer.start();
  });

  afterEach(() => {
    sut.stop();
    peer.stop();
  });

  it('should bench a credential for one model only, until the cooldown ends', async () => {
    await sut.recordFailure('idx1', 'm1', cooldownFor({ status: 500, level: 0 }), {
      status: 500,
      message: 'boom',
    });
    expect(sut.availability('idx1', 'm1')).toEqual({ available: false, until: clock + 60_000 });
    expect(sut.availability('idx1', 'm2').available).toBe(true);
    expect(sut.availability('idx2', 'm1').available).toBe(true);
    expect(sut.get('idx1', 'm1')?.lastError).toEqual({ status: 500, message: 'boom', at: clock });
    clock += 60_001;
    expect(sut.availability('idx1', 'm1').available).toBe(true);
  });

  it('should announce a change so another replica respects it at once', async () => {
    await sut.recordFailure('idx1', 'm1', cooldownFor({ status: 401, level: 0 }), { status: 401 });
    expect(peer.availability('idx1', 'm1').available).toBe(false);
    await peer.recordSuccess('idx1', 'm1');
    expect(sut.availability('idx1', 'm1').available).toBe(true);
    expect(server.hashes.get('t:routing:state')?.size ?? 0).toBe(0);
  });

  it('should keep the failure level across 429s and clear it on success', async () => {
    for (let i = 0; i < 3; i++) {
      const level = sut.get('i', 'm')?.level ?? 0;
      await sut.recordFailure('i', 'm', cooldownFor({ status: 429, level }), { status: 429 });
    }
    expect(sut.get('i', 'm')?.level).toBe(3);
    await sut.recordSuccess('i', 'm');
    expect(sut.get('i', 'm')).toBeUndefined();
  });

  it('should not shorten a longer cooldown already in place', async () => {
    await sut.recordFailure('i', 'm', cooldownFor({ status: 404, level: 0 }), { status: 404 });
    const until = sut.availability('i', 'm').until;
    await sut.recordFailure('i', 'm', cooldownFor({ status: 500, level: 0 }), { status: 500 });
    expect(sut.availability('i', 'm').until).toBe(until);
  });

  it('should not write to Redis on a success with nothing to clear', async () => {
    const spy = jest.spyOn(server.hashes, 'get');
    await sut.recordSuccess('i', 'm');
    expect(spy).not.toHaveBeenCalled();
  });

  it('should apply a whole-credential quota to every model and survive a success', async () => {
    await sut.setQuotaExceeded('i', ALL_MODELS, clock + 3_600_000);
    expect(sut.availability('i', 'any-model')).toEqual({
      available: false,
      until: clock + 3_600_000,
    });
    expect(peer.availability('i', 'other').available).toBe(false);
    await sut.recordFailure('i', 'm', cooldownFor({ status: 500, level: 0 }), { status: 500 });
    await sut.setQuotaExceeded('i', 'm', clock + 10_000);
    await sut.recordSuccess('i', 'm');
    expect(sut.get('i', 'm')).toMatchObject({
      cooldownUntil: 0,
      quotaExceededUntil: clock + 10_000,
    });
  });

  it('should keep working from local state while Redis is down, and push it once Redis is back', async () => {
    server.up = false;
    await sut.recordFailure('i', 'm', cooldownFor({ status: 403, level: 0 }), { status: 403 });
    expect(sut.availability('i', 'm').available).toBe(false);
    expect(peer.availability('i', 'm').available).toBe(true);

    server.up = true;
    expect(await sut.refresh()).toBe(true);
    expect(await peer.refresh()).toBe(true);
    expect(peer.availability('i', 'm').available).toBe(false);
  });

  it('should drop local entries cleared elsewhere when it reloads (missed notification)', async () => {
    await sut.recordFailure('i', 'm', cooldownFor({ status: 500, level: 0 }), { status: 500 });
    server.hashes.get('t:routing:state')!.clear(); // as if a peer cleared it and the message was lost
    clock += 1;
    await peer.refresh();
    await sut.refresh();
    expect(sut.get('i', 'm')).toBeUndefined();
  });

  it('should forget inactive entries untouched for a day when it reloads', async () => {
    await sut.recordFailure('i', 'm', cooldownFor({ status: 500, level: 0 }), { status: 500 });
    await sut.recordFailure('j', 'm', cooldownFor({ status: 404, level: 0 }), { status: 404 });
    clock += 25 * 3600 * 1000;
    await sut.refresh();
    expect(sut.get('i', 'm')).toBeUndefined();
    expect(sut.get('j', 'm')).toBeUndefined();
    expect([...(server.hashes.get('t:routing:state')?.keys() ?? [])]).toEqual([]);
  });

  it('should keep an entry whose cooldown is still running however old it is', async () => {
    await sut.setQuotaExceeded('i', ALL_MODELS, clock + 7 * 24 * 3600 * 1000);
    clock += 2 * 24 * 3600 * 1000;
    await sut.refresh();
    expect(sut.availability('i', 'm').available).toBe(false);
  });

  it('should ignore malformed notifications', async () => {
    const handlers = [...(server.subscribers.get('routing-state') ?? [])];
    for (const h of handlers) {
      h('not json');
      h(JSON.stringify({ from: 'x', f: 'i|m', v: { c: 'bad' } }));
    }
    expect(sut.entries()).toEqual([]);
  });

  it('should list its entries', async () => {
    await sut.recordFailure('i', 'm', cooldownFor({ status: 500, level: 0 }), { status: 500 });
    expect(peer.entries()).toEqual([{ authIndex: 'i', model: 'm', state: sut.get('i', 'm') }]);
    await sut.clear('i');
    expect(peer.entries()).toEqual([]);
  });
});
