import type { RedisOptions } from 'ioredis';

/**
 * What a process needs to reach Redis (from config.yaml `redis.*`; the REDIS_* environment
 * variables win). `url` always applies; `sentinels` or `clusterNodes` pick the topology, and
 * then the URL only contributes its user, password, database and `rediss:` (TLS).
 */
export interface RedisSettings {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  /** ACL user (wins over the URL's). */
  username?: string;
  /** Password (wins over the URL's). */
  password?: string;
  /** PEM file of the CA that signed the server certificates (TLS: `rediss://`). */
  tlsCa?: string;
  /** Sentinel addresses (`host:port`): the primary is asked of them and followed. */
  sentinels?: readonly string[];
  /** The primary's name the sentinels monitor. */
  sentinelName?: string;
  /** Password of the sentinels themselves (`requirepass` in sentinel.conf). */
  sentinelPassword?: string;
  /** Redis Cluster seed nodes (`host:port`): the rest of the cluster is discovered. */
  clusterNodes?: readonly string[];
}

/** How the deployment's Redis is laid out. */
export type RedisTopology = 'standalone' | 'sentinel' | 'cluster';

/** The topology a set of settings asks for (cluster nodes win over sentinels). */
export function topologyOf(s: RedisSettings): RedisTopology {
  if (s.clusterNodes && s.clusterNodes.length > 0) return 'cluster';
  if (s.sentinels && s.sentinels.length > 0) return 'sentinel';
  return 'standalone';
}

/**
 * A hash tag: Redis Cluster stores every key whose first `{…}` holds the same text in one slot,
 * so the keys of one script, MULTI or pipeline must share one (`key('usage', …)` becomes
 * `key(hashTag('usage'), …)` → `sb:{usage}:…`). docs/redis.md lists the key layout.
 */
export function hashTag(unit: string): string {
  return `{${unit}}`;
}

/** Reconnect backoff: 50 ms doubling to 2 s, forever (Redis down must never end the process). */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** Math.min(attempt, 6), 2000);
}

/**
 * Reconnect (and resend the command) when a write reaches a replica: after a failover the old
 * primary may come back as a replica before the client has learnt the new one. ioredis then
 * asks the sentinels again.
 */
export function reconnectOnReadOnly(err: Error): 2 | false {
  return err.message.startsWith('READONLY') ? 2 : false;
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
    reconnectOnError: reconnectOnReadOnly,
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
    reconnectOnError: reconnectOnReadOnly,
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

/** Where the settings point, for logs and the launcher's summary (no secrets). */
export function describeRedis(s: RedisSettings): string {
  switch (topologyOf(s)) {
    case 'cluster':
      return `Redis Cluster via ${(s.clusterNodes ?? []).join(',')}`;
    case 'sentinel':
      return `Sentinel primary "${s.sentinelName ?? 'mymaster'}" via ${(s.sentinels ?? []).join(',')}`;
    case 'standalone':
      return redactRedisUrl(s.url);
  }
}
