import { Logger } from '@nestjs/common';
import { PauseService } from '@app/proxy';
import type { RedisService } from '@app/storage';
import { PROXY_PAUSE_CHANNEL, ProxyPauseService } from '@app/gateway/control/proxy-pause.service';

function fakeRedis(store: Map<string, string>) {
  const handlers = new Map<string, (m: string) => void>();
  const published: [string, string][] = [];
  let ready = true;
  const redis = {
    get isReady() {
      return ready;
    },
    key: (...p: string[]) => `t:${p.join(':')}`,
    waitReady: async () => ready,
    subscribe: (ch: string, fn: (m: string) => void) => {
      handlers.set(ch, fn);
      return () => handlers.delete(ch);
    },
    publish: async (ch: string, m: string) => {
      published.push([ch, m]);
      return true;
    },
    command: {
      on: () => undefined,
      off: () => undefined,
      get: async (k: string) => store.get(k) ?? null,
      set: async (k: string, v: string) => {
        if (!ready) throw new Error("Stream isn't writeable");
        store.set(k, v);
        return 'OK';
      },
      del: async (k: string) => Number(store.delete(k)),
    },
  };
  return {
    redis: redis as unknown as RedisService,
    handlers,
    published,
    down: () => (ready = false),
  };
}

describe(ProxyPauseService.name, () => {
  beforeAll(() => Logger.overrideLogger(false));

  let store: Map<string, string>;
  let proxy: PauseService;
  let r: ReturnType<typeof fakeRedis>;
  let sut: ProxyPauseService;

  beforeEach(() => {
    store = new Map();
    proxy = new PauseService();
    r = fakeRedis(store);
    sut = new ProxyPauseService(r.redis, proxy, 'gw-1');
  });

  afterEach(() => sut.onApplicationShutdown());

  it('should come up paused when the shared flag says so', async () => {
    store.set('t:control:proxy-paused', JSON.stringify({ paused: true, at: 5, by: 'gw-0' }));
    await sut.onApplicationBootstrap();
    expect(proxy.isClusterPaused).toBe(true);
    expect(sut.pausedAt).toBe(5);
  });

  it('should set the flag, pause at once and announce it; resume clears it', async () => {
    await sut.onApplicationBootstrap();
    await sut.pause();
    expect(proxy.isClusterPaused).toBe(true);
    expect(JSON.parse(store.get('t:control:proxy-paused') ?? '{}')).toMatchObject({
      paused: true,
      by: 'gw-1',
    });
    expect(r.published.map(([ch, m]) => [ch, JSON.parse(m).paused])).toEqual([
      [PROXY_PAUSE_CHANNEL, true],
    ]);
    await sut.resume();
    expect(proxy.isClusterPaused).toBe(false);
    expect(store.has('t:control:proxy-paused')).toBe(false);
    expect(sut.pausedAt).toBeUndefined();
  });

  it('should follow announcements from other replicas and ignore garbage', async () => {
    await sut.onApplicationBootstrap();
    const announce = r.handlers.get(PROXY_PAUSE_CHANNEL);
    announce?.('not json');
    announce?.(JSON.stringify({ paused: 'yes' }));
    expect(proxy.isClusterPaused).toBe(false);
    announce?.(JSON.stringify({ paused: true, at: 100, by: 'gw-2' }));
    expect(proxy.isClusterPaused).toBe(true);
    announce?.(JSON.stringify({ paused: false, at: 200, by: 'gw-2' }));
    expect(proxy.isClusterPaused).toBe(false);
    expect(sut.startedAt).toBe(200);
  });

  it('should heal a missed announcement on refresh', async () => {
    await sut.onApplicationBootstrap();
    store.set('t:control:proxy-paused', JSON.stringify({ paused: true, at: 1, by: 'x' }));
    await sut.refresh();
    expect(proxy.isClusterPaused).toBe(true);
    store.clear();
    await sut.refresh();
    expect(proxy.isClusterPaused).toBe(false);
  });

  it('should refuse to pause when Redis is down, changing nothing', async () => {
    await sut.onApplicationBootstrap();
    r.down();
    await expect(sut.pause()).rejects.toThrow();
    expect(proxy.isClusterPaused).toBe(false);
    expect(r.published).toHaveLength(0);
  });
});
