import { Logger } from '@nestjs/common';
import { renameSync, writeFileSync } from 'node:fs';
import { ConfigRepository, ConfigService } from '@app/config';
import { MetricsService } from '@app/metrics';
import { CONFIG_CHANNEL, ConfigSyncService } from '@app/storage/config-sync.service';
import type { RedisService } from '@app/storage/redis.service';
import type { ConfigStoreService } from '@app/storage/config-store/config-store.service';
import { tempConfigDir, waitFor } from '@test/utils/env';

type Handler = (message: string) => void;

/** Just the pub/sub part of RedisService, in memory. */
function fakeRedis() {
  const published: { channel: string; message: string }[] = [];
  const handlers = new Map<string, Handler>();
  const redis = {
    publish: jest.fn(async (channel: string, message: string) => {
      published.push({ channel, message });
      return true;
    }),
    subscribe: (channel: string, h: Handler) => {
      handlers.set(channel, h);
      return () => handlers.delete(channel);
    },
  };
  return { redis: redis as unknown as RedisService, published, handlers };
}

function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.swp`, text);
  renameSync(`${path}.swp`, path);
}

describe(ConfigSyncService.name, () => {
  let cfg: ReturnType<typeof tempConfigDir>;
  let config: ConfigService;
  let metrics: MetricsService;
  let fake: ReturnType<typeof fakeRedis>;
  let sut: ConfigSyncService;

  const reloads = async () => {
    const values = (await metrics.configReloads.get()).values;
    return Object.fromEntries(values.map((v) => [v.labels.result, v.value]));
  };

  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    cfg = tempConfigDir('port: 8317\ndebug: false\n');
    config = new ConfigService(new ConfigRepository(), { env: { CONFIG_PATH: cfg.path } });
    await config.init();
    metrics = new MetricsService();
    fake = fakeRedis();
    const fileMode = { active: false } as ConfigStoreService;
    sut = new ConfigSyncService(
      config,
      fake.redis,
      metrics,
      'gw-1',
      new ConfigRepository(),
      fileMode,
    );
    sut.onApplicationBootstrap();
  });

  afterEach(() => {
    sut.onApplicationShutdown();
    jest.restoreAllMocks();
    cfg.cleanup();
  });

  it('should reload a changed file, count it ok and announce it', async () => {
    replaceFile(cfg.path, 'port: 8317\ndebug: true\n');
    await waitFor(() => config.current.debug, { timeoutMs: 3000, what: 'reload' });
    expect(await reloads()).toEqual({ ok: 1 });
    expect(fake.published).toHaveLength(1);
    expect(fake.published[0].channel).toBe(CONFIG_CHANNEL);
    expect(JSON.parse(fake.published[0].message)).toMatchObject({ from: 'gw-1' });
  });

  it('should count an invalid save once and keep the previous config', async () => {
    replaceFile(cfg.path, 'port: "not a port"\n');
    await waitFor(async () => (await reloads()).invalid === 1, { timeoutMs: 3000 });
    // Let the stat poll report the same save too.
    await new Promise((r) => setTimeout(r, 800));
    expect(await reloads()).toEqual({ invalid: 1 });
    expect(config.current.port).toBe(8317);
    expect(fake.published).toHaveLength(0);
  });

  it('should reload on a peer announcement without announcing it again', async () => {
    // The peer's message arrives at once; this process's own file watch waits out its debounce
    // and then finds nothing new.
    writeFileSync(cfg.path, 'port: 8317\ndebug: true\n');
    fake.handlers.get(CONFIG_CHANNEL)?.(JSON.stringify({ from: 'gw-2', at: Date.now() }));
    await waitFor(() => config.current.debug, { timeoutMs: 3000, what: 'peer reload' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await reloads()).toEqual({ ok: 1 });
    expect(fake.published).toHaveLength(0);
  });

  it('should ignore its own announcement', async () => {
    const reload = jest.spyOn(config, 'reload');
    fake.handlers.get(CONFIG_CHANNEL)?.(JSON.stringify({ from: 'gw-1', at: Date.now() }));
    await new Promise((r) => setTimeout(r, 50));
    expect(reload).not.toHaveBeenCalled();
  });
});
