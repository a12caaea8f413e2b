import type { RedisOptions } from 'ioredis';

/** What a process needs to reach Redis (from config.yaml `redis.*`, REDIS_URL wins). */
export interface RedisSettings {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

/** Reconnect backoff: 50 ms doubling to 2 s, forever (Redis down must never end the process). */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2000);
}

/**
 * The request-path connection: short command timeout and no offline queue, so a request never
 * waits on a Redis that is down; it fails fast and the caller degrades.
 */
export function commandConnectionOptions(s: RedisSettings, name: string): RedisOptions {
  return {
    connectionName: name,
    commandTimeout: s.commandTimeoutMs,
    connectTimeout: s.connectTimeoutMs,
    enableOfflineQueue: false,
    // Commands issued in the same tick (e.g. round-robin INCRs of concurrent requests) share
    // one write to the socket.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    retryStrategy: reconnectDelay,
  };
}

/** BullMQ's connection: blocking commands, so no per-request retry limit (BullMQ requires it). */
export function queueConnectionOptions(s: RedisSettings, name: string): RedisOptions {
  return {
    connectionName: name,
    connectTimeout: s.connectTimeoutMs,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    lazyConnect: true,
    retryStrategy: reconnectDelay,
  };
}

/** Hide the password of a redis:// URL for logs and listings. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return 'redis://(unparseable url)';
  }
}
