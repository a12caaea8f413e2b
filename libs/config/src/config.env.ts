import type { LogLevel } from '@nestjs/common';
import { resolve } from 'node:path';
import { expandHome } from '@app/config/config.loader';
import { isHostPort, isTrustedProxyEntry, type AppConfig } from '@app/config/config.schema';

/** Process settings that come from the environment only (never from config.yaml). */
export interface RuntimeEnv {
  /** Absolute path of config.yaml (`CONFIG_PATH`, default `./config.yaml`). */
  configPath: string;
  /** Absolute path of the local state directory (`DATA_DIR`, default `./data`). */
  dataDir: string;
  /** `LOG_LEVEL`: error, warn, info, debug or verbose (default info). */
  logLevel: string;
}

const LEVEL_ALIASES: Readonly<Record<string, string>> = {
  error: 'error',
  fatal: 'error',
  warn: 'warn',
  warning: 'warn',
  info: 'info',
  log: 'info',
  debug: 'debug',
  verbose: 'verbose',
  trace: 'verbose',
};

const NEST_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const NEST_CUTOFF: Readonly<Record<string, LogLevel>> = {
  error: 'error',
  warn: 'warn',
  info: 'log',
  debug: 'debug',
  verbose: 'verbose',
};

const DIGITS = /^\d+$/;

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** Read CONFIG_PATH, DATA_DIR and LOG_LEVEL (relative paths resolve against the working dir). */
export function readRuntimeEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const level = envValue(env, 'LOG_LEVEL')?.toLowerCase();
  return {
    configPath: resolve(expandHome(envValue(env, 'CONFIG_PATH') ?? './config.yaml')),
    dataDir: resolve(expandHome(envValue(env, 'DATA_DIR') ?? './data')),
    logLevel: (level && LEVEL_ALIASES[level]) || 'info',
  };
}

/** The Nest logger levels to enable for a `RuntimeEnv.logLevel`. */
export function nestLogLevels(level: string): LogLevel[] {
  const cutoff = NEST_CUTOFF[level] ?? 'log';
  return NEST_LEVELS.slice(0, NEST_LEVELS.indexOf(cutoff) + 1);
}

/** The config store `CONFIG_STORE` asks for (`file` or `redis`), undefined when unset. */
export function configStoreFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): AppConfig['config-store'] | undefined {
  const raw = envValue(env, 'CONFIG_STORE')?.toLowerCase();
  if (raw === undefined) return undefined;
  if (raw !== 'file' && raw !== 'redis') {
    throw new Error(`CONFIG_STORE must be "file" or "redis", got "${raw}"`);
  }
  return raw;
}

/** Environment variables that override one field of config.yaml's `redis:` section. */
const REDIS_ENV = {
  REDIS_URL: 'url',
  REDIS_USERNAME: 'username',
  REDIS_PASSWORD: 'password',
  REDIS_TLS_CA: 'tls-ca',
  REDIS_SENTINEL_NAME: 'sentinel-name',
  REDIS_SENTINEL_PASSWORD: 'sentinel-password',
} as const;
/** The same for the `host:port,host:port` lists. */
const REDIS_LIST_ENV = {
  REDIS_SENTINELS: 'sentinels',
  REDIS_CLUSTER_NODES: 'cluster-nodes',
} as const;

function redisOverrides(
  redis: AppConfig['redis'],
  env: NodeJS.ProcessEnv,
): AppConfig['redis'] | undefined {
  let next: AppConfig['redis'] | undefined;
  for (const [name, field] of Object.entries(REDIS_ENV)) {
    const v = envValue(env, name);
    if (v === undefined) continue;
    next ??= { ...redis };
    next[field] = field === 'tls-ca' ? expandHome(v) : v;
  }
  for (const [name, field] of Object.entries(REDIS_LIST_ENV)) {
    const v = envValue(env, name);
    if (v === undefined) continue;
    const list = v
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const bad = list.find((e) => !isHostPort(e));
    if (bad !== undefined) {
      throw new Error(`${name} must be a comma-separated list of host:port, got "${bad}"`);
    }
    next ??= { ...redis };
    next[field] = list;
  }
  if (next && next.sentinels.length > 0 && next['cluster-nodes'].length > 0) {
    throw new Error(
      'Redis: set either sentinels (REDIS_SENTINELS, redis.sentinels) or cluster nodes ' +
        '(REDIS_CLUSTER_NODES, redis.cluster-nodes), not both',
    );
  }
  return next && Object.freeze(next);
}

/**
 * `TRUSTED_PROXIES`: addresses, CIDRs or host names (comma-separated) added to config.yaml's
 * `trusted-proxies`, for deployments that know their balancer (`lb` in
 * deploy/compose/lb.yml) while config.yaml stays the same everywhere.
 */
function trustedProxiesOverride(
  list: readonly string[],
  env: NodeJS.ProcessEnv,
): string[] | undefined {
  const v = envValue(env, 'TRUSTED_PROXIES');
  if (v === undefined) return undefined;
  const extra = v
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const bad = extra.find((e) => !isTrustedProxyEntry(e));
  if (bad !== undefined) {
    throw new Error(
      `TRUSTED_PROXIES must list IP addresses, CIDRs or host names (comma-separated), got "${bad}"`,
    );
  }
  return [...list, ...extra.filter((e) => !list.includes(e))];
}

/**
 * Apply `PORT`, `AUTH_DIR`, `CONFIG_STORE`, `TRUSTED_PROXIES` and the `REDIS_*` variables (URL, user, password, TLS
 * CA, sentinels, cluster nodes) on top of a parsed config. Returns the same object when nothing
 * is overridden, else a frozen copy sharing every untouched branch.
 */
export function applyEnvOverrides(
  config: Readonly<AppConfig>,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<AppConfig> {
  const port = envValue(env, 'PORT');
  const authDir = envValue(env, 'AUTH_DIR');
  const redis = redisOverrides(config.redis, env);
  const store = configStoreFromEnv(env);
  const trusted = trustedProxiesOverride(config['trusted-proxies'], env);
  if (
    port === undefined &&
    authDir === undefined &&
    redis === undefined &&
    !store &&
    trusted === undefined
  ) {
    return config;
  }

  const next: AppConfig = { ...config };
  if (port !== undefined) {
    const n = Number(port);
    if (!DIGITS.test(port) || n < 1 || n > 65535) {
      throw new Error(`PORT must be a whole number from 1 to 65535, got "${port}"`);
    }
    next.port = n;
  }
  if (authDir !== undefined) next['auth-dir'] = expandHome(authDir);
  if (redis !== undefined) next.redis = redis;
  if (store) next['config-store'] = store;
  if (trusted !== undefined) next['trusted-proxies'] = Object.freeze(trusted) as string[];
  return Object.freeze(next);
}
