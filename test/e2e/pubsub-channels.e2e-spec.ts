import { Redis } from 'ioredis';
import { RedisService } from '@app/storage';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { testRedisUrl, waitFor } from '@test/utils/env';

/**
 * The first gateway of a process subscribes to its channels while its subscriber connection is
 * still connecting. Every one of them must reach Redis, or cross-replica sync (cooldowns, auth
 * dir, model catalog, cluster-wide pause) silently stops working.
 */
describe('gateway pub/sub channels', () => {
  let gw: TestGateway;
  let probe: Redis;

  beforeAll(async () => {
    gw = await startGateway('port: 8317\napi-keys: ["k"]\n', 'pubsub-probe');
    probe = new Redis(testRedisUrl());
  });

  afterAll(async () => {
    probe.disconnect();
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
        const live = new Set(await probe.pubsub('CHANNELS', `${prefix}*`));
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
