import { Redis } from 'ioredis';
import { RedisService } from '@app/storage';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { waitFor } from '@test/utils/env';

/**
 * The first gateway of a process subscribes to its channels while its subscriber connection is
 * still connecting. Every one of them must reach Redis, or cross-replica sync (cooldowns, auth
 * dir, model catalog, cluster-wide pause) silently stops working.
 */
describe('gateway pub/sub channels', () => {
  let gw: TestGateway;
  // One connection per node: PUBSUB CHANNELS answers for the node it is sent to (a Redis
  // Cluster's subscriber sits on one of its nodes).
  let probes: Redis[];

  beforeAll(async () => {
    gw = await startGateway('port: 8317\napi-keys: ["k"]\n', 'pubsub-probe');
    const nodes = process.env.REDIS_CLUSTER_NODES?.split(',').filter(Boolean) ?? [];
    const urls = nodes.length
      ? nodes.map((n) => `redis://${n}`)
      : [process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'];
    probes = urls.map((u) => new Redis(u));
  });

  afterAll(async () => {
    for (const p of probes) p.disconnect();
    await gw.close();
  });

  it('should be subscribed to every channel the gateway listens on', async () => {
    const prefix = gw.app.get(RedisService).key('ch', '');
    const expected = [
      'config-changed',
      'auth-dir-changed',
      'routing-state',
      'model-catalog-changed',
      'control-proxy-pause',
      'cluster:cmd',
      'cluster:cmd:pubsub-probe',
    ].map((c) => prefix + c);
    let missing: string[] = expected;
    const ok = await waitFor(
      async () => {
        const lists = await Promise.all(probes.map((p) => p.pubsub('CHANNELS', `${prefix}*`)));
        const live = new Set(lists.flat());
        missing = expected.filter((c) => !live.has(c as never));
        return missing.length === 0;
      },
      { what: 'every channel subscribed', timeoutMs: 5000 },
    ).then(
      () => true,
      () => false,
    );
    expect({ ok, missing }).toEqual({ ok: true, missing: [] });
  });
});
