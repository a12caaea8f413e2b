import type { AppConfig } from '@app/config';
import type { RedisSettings } from '@app/storage/redis.options';

/** Redis settings from the loaded config (the REDIS_* variables are applied by the loader). */
export function settingsFromConfig(config: Readonly<AppConfig>): RedisSettings {
  const r = config.redis;
  return {
    url: r.url,
    keyPrefix: r['key-prefix'],
    commandTimeoutMs: r['command-timeout-ms'],
    connectTimeoutMs: r['connect-timeout-ms'],
    username: r.username || undefined,
    password: r.password || undefined,
    tlsCa: r['tls-ca'] || undefined,
    sentinels: r.sentinels,
    sentinelName: r['sentinel-name'],
    sentinelPassword: r['sentinel-password'] || undefined,
    clusterNodes: r['cluster-nodes'],
  };
}
