import type { LogLevel } from '@nestjs/common';
import { resolve } from 'node:path';
import { expandHome } from '@app/config/config.loader';
import type { AppConfig } from '@app/config/config.schema';

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

/**
 * Apply `PORT`, `AUTH_DIR`, `REDIS_URL` and `CONFIG_STORE` on top of a parsed config. Returns
 * the same object when nothing is overridden, else a frozen copy sharing every untouched branch.
 */
export function applyEnvOverrides(
  config: Readonly<AppConfig>,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<AppConfig> {
  const port = envValue(env, 'PORT');
  const authDir = envValue(env, 'AUTH_DIR');
  const redisUrl = envValue(env, 'REDIS_URL');
  const store = configStoreFromEnv(env);
  if (port === undefined && authDir === undefined && redisUrl === undefined && !store) {
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
  if (redisUrl !== undefined) next.redis = Object.freeze({ ...config.redis, url: redisUrl });
  if (store) next['config-store'] = store;
  return Object.freeze(next);
}
