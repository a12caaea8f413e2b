import { RedisService } from '@app/storage';
import { catalogFor, ModelCatalogSync, useCatalogs, type CredentialService } from '@app/routing';
import { uniquePrefix, waitFor, testRedisSettings } from '@test/utils/env';

const REMOTE = JSON.stringify({
  kimi: [{ id: 'kimi-k9', display_name: 'Kimi K9', owned_by: 'moonshot', created: 1 }],
});

describe(ModelCatalogSync.name, () => {
  const redis: RedisService[] = [];

  function connect(prefix: string, name: string): RedisService {
    const r = new RedisService(testRedisSettings(prefix), name);
    r.connect();
    redis.push(r);
    return r;
  }

  afterEach(async () => {
    useCatalogs(undefined);
    await Promise.all(redis.splice(0).map((r) => r.close()));
  });

  it('should hand a published catalog to another process, which rebuilds its registry', async () => {
    const prefix = uniquePrefix('catalog');
    const workerRedis = connect(prefix, 'worker');
    const gatewayRedis = connect(prefix, 'gateway');
    await Promise.all([workerRedis.waitReady(5000), gatewayRedis.waitReady(5000)]);
    const reloads: string[] = [];
    const gatewayCreds = {
      reloadAuthDir: async (reason: string) => void reloads.push(reason),
    } as unknown as CredentialService;
    const gateway = new ModelCatalogSync(gatewayRedis, gatewayCreds);
    gateway.onModuleInit();
    // SUBSCRIBE goes out on its own connection; give it a moment before publishing.
    await new Promise((r) => setTimeout(r, 500));
    const worker = new ModelCatalogSync(workerRedis, {
      reloadAuthDir: async () => undefined,
    } as unknown as CredentialService);

    await worker.publish(REMOTE);
    // Both share one module state in this process, so watch the gateway's own reload instead.
    await waitFor(() => reloads.includes('model catalog changed'), { what: 'the gateway reload' });
    expect(catalogFor('kimi').map((m) => m.id)).toEqual(['kimi-k9']);
    expect(await gateway.stored()).toBe(REMOTE);

    reloads.length = 0;
    await worker.publish(null);
    await waitFor(() => reloads.length > 0, {
      what: 'the gateway going back to the built-in catalog',
    });
    expect(catalogFor('kimi').map((m) => m.id)).not.toContain('kimi-k9');
    gateway.onApplicationShutdown();
  });
});
