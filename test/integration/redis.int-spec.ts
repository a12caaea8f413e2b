import { RedisService } from '@app/storage';
import { freePort, testRedisSettings, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';

// The run's Redis (plain or cluster); a URL of its own (nothing listening) is a plain one.
function settings(url: string, prefix: string) {
  const timeouts = { commandTimeoutMs: 500, connectTimeoutMs: 500 };
  return url === testRedisUrl()
    ? testRedisSettings(prefix, timeouts)
    : { url, keyPrefix: prefix, ...timeouts };
}

describe(RedisService.name, () => {
  let sut: RedisService;
  const prefix = uniquePrefix('redis');

  beforeAll(async () => {
    sut = new RedisService(settings(testRedisUrl(), prefix), 'test-redis');
    sut.connect();
    expect(await sut.waitReady(5000)).toBe(true);
  });

  afterAll(async () => {
    await sut.close();
  });

  it('should prefix every key', async () => {
    expect(sut.key('usage', 'day', 3)).toBe(`${prefix}usage:day:3`);
    await sut.command.set(sut.key('probe'), '1');
    expect(await sut.command.exists(`${prefix}probe`)).toBe(1);
  });

  it('should answer the readiness check', async () => {
    expect(sut.isReady).toBe(true);
    expect(await sut.ping()).toBe(true);
  });

  it('should deliver pub/sub messages between two processes-worth of connections', async () => {
    const other = new RedisService(settings(testRedisUrl(), prefix), 'test-redis-2');
    other.connect();
    await other.waitReady(5000);
    const got: string[] = [];
    const off = other.subscribe('config-changed', (m) => got.push(m));
    // The subscription is asynchronous: publish until it is seen.
    await waitFor(
      async () => {
        await sut.publish('config-changed', 'hello');
        return got.length > 0;
      },
      { what: 'a pub/sub message' },
    );
    expect(got[0]).toBe('hello');
    off();
    await other.close();
  });

  it('should deliver on every channel subscribed while the subscriber was still connecting', async () => {
    // The first subscribe() creates the subscriber connection; the next ones land while it is
    // still connecting. Each must end up subscribed (a refused SUBSCRIBE was once swallowed).
    const fresh = new RedisService(settings(testRedisUrl(), prefix), 'test-fresh');
    const got = new Set<string>();
    const channels = ['routing-state', 'auth-dir-changed', 'model-catalog-changed', 'x'];
    // As in a Nest app: modules subscribe in onModuleInit, before and after connect().
    fresh.subscribe(channels[0], (_m, name) => got.add(name));
    fresh.connect();
    await new Promise((r) => setImmediate(r));
    for (const c of channels.slice(1)) fresh.subscribe(c, (_m, name) => got.add(name));
    await waitFor(
      async () => {
        for (const c of channels) await sut.publish(c, 'ping');
        return got.size === channels.length;
      },
      { what: 'a message on every channel' },
    );
    expect([...got].sort()).toEqual([...channels].sort());
    await fresh.close();
  });

  it('should report a suspect connection as not ready until a PING answers', async () => {
    expect(sut.isReady).toBe(true);
    sut.markSuspect(60_000);
    expect(sut.isReady).toBe(false);
    expect(await sut.waitReady(100)).toBe(true); // the socket itself is fine
    expect(await sut.ping()).toBe(true);
    expect(sut.isReady).toBe(true);
  });

  it('should not share channels across key prefixes', async () => {
    const foreign = new RedisService(
      settings(testRedisUrl(), uniquePrefix('other')),
      'test-foreign',
    );
    foreign.connect();
    await foreign.waitReady(5000);
    const got: string[] = [];
    foreign.subscribe('config-changed', (m) => got.push(m));
    await new Promise((r) => setTimeout(r, 200));
    await sut.publish('config-changed', 'not for you');
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([]);
    await foreign.close();
  });

  it('should fail fast and not crash when Redis is down', async () => {
    const port = await freePort(); // nothing listens here
    const down = new RedisService(settings(`redis://127.0.0.1:${port}`, prefix), 'test-down');
    down.connect();
    const started = Date.now();
    expect(await down.ping()).toBe(false);
    await expect(down.command.get(down.key('x'))).rejects.toThrow();
    expect(await down.publish('c', 'm')).toBe(false);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await down.waitReady(300)).toBe(false);
    await down.close();
  });
});
