import type { AppConfig } from '@app/config';
import type { RedisSettings } from '@app/storage/redis.options';

/** Redis settings from the loaded config (env REDIS_URL is applied by the config loader). */
export function settingsFromConfig(config: Readonly<AppConfig>): RedisSettings {
  const r = config.redis;
  return {
    url: r.url,
    keyPrefix: r['key-prefix'],
    commandTimeoutMs: r['command-timeout-ms'],
    connectTimeoutMs: r['connect-timeout-ms'],
  };
}
