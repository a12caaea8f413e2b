import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import {
  commandConnectionOptions,
  queueConnectionOptions,
  reconnectDelay,
  topologyOf,
  type RedisSettings,
} from '@app/storage/redis.options';

/** A connection to the deployment's Redis, whatever its topology. */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for: `command` is the request path (short timeout, no offline queue);
 * `queue` is BullMQ's shared connection; `blocking` a dedicated connection for blocking reads
 * (BullMQ workers, XREAD BLOCK); `subscriber` a pub/sub connection.
 */
export type ConnectionRole = 'command' | 'queue' | 'blocking' | 'subscriber';

/** A `host:port` entry of REDIS_SENTINELS / REDIS_CLUSTER_NODES. */
export interface HostPort {
  host: string;
  port: number;
}

/** Parse `host:port` (`[v6]:port` too; the port defaults to `defaultPort`). */
export function parseHostPort(entry: string, defaultPort: number): HostPort {
  const text = entry.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const [host, port] = v6 ? [v6[1], v6[2]] : (text.split(':') as [string, string | undefined]);
  const n = port === undefined || port === '' ? defaultPort : Number(port);
  if (!host || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`"${entry}" is not a host:port address`);
  }
  return { host, port: n };
}

/** What the URL and the explicit settings say about authentication, database and TLS. */
interface Endpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls?: ConnectionOptions;
}

function endpointOf(s: RedisSettings): Endpoint {
  let u: URL;
  try {
    u = new URL(s.url);
  } catch {
    throw new Error('redis.url (REDIS_URL) is not a valid redis:// or rediss:// URL');
  }
  const secure = u.protocol === 'rediss:';
  if (!secure && u.protocol !== 'redis:') {
    throw new Error(
      `redis.url (REDIS_URL) must start with redis:// or rediss://, not ${u.protocol}//`,
    );
  }
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) {
    throw new Error(`redis.url (REDIS_URL): "/${path}" is not a database number`);
  }
  const username = s.username || decodeURIComponent(u.username) || undefined;
  const password = s.password || decodeURIComponent(u.password) || undefined;
  let tls: ConnectionOptions | undefined;
  if (secure || s.tlsCa) {
    tls = {};
    if (s.tlsCa) {
      try {
        tls.ca = readFileSync(s.tlsCa);
      } catch (err) {
        throw new Error(
          `redis.tls-ca (REDIS_TLS_CA): cannot read ${s.tlsCa}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    }
  }
  return {
    host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username,
    password,
    db,
    tls,
  };
}

function roleOptions(s: RedisSettings, role: ConnectionRole, name: string): RedisOptions {
  const base =
    role === 'command' ? commandConnectionOptions(s, name) : queueConnectionOptions(s, name);
  // A subscriber connects at once: it exists only because something subscribed.
  return role === 'subscriber' || role === 'blocking' ? { ...base, lazyConnect: false } : base;
}

/**
 * Open one connection for `role` to the Redis the settings describe: a plain server, the
 * primary a set of sentinels names (followed through failovers), or a Redis Cluster.
 */
export function createRedisClient(
  s: RedisSettings,
  role: ConnectionRole,
  name: string,
): RedisClient {
  const ep = endpointOf(s);
  const opts = roleOptions(s, role, name);
  const auth: RedisOptions = {
    ...(ep.username ? { username: ep.username } : {}),
    ...(ep.password ? { password: ep.password } : {}),
    ...(ep.tls ? { tls: ep.tls } : {}),
  };
  switch (topologyOf(s)) {
    case 'standalone':
      return new Redis({ ...opts, ...auth, host: ep.host, port: ep.port, db: ep.db });
    case 'sentinel':
      return new Redis({
        ...opts,
        ...auth,
        db: ep.db,
        sentinels: (s.sentinels ?? []).map((e) => parseHostPort(e, 26379)),
        name: s.sentinelName || 'mymaster',
        role: 'master',
        ...(s.sentinelPassword ? { sentinelPassword: s.sentinelPassword } : {}),
        // rediss:// means TLS to the sentinels as well as to the data nodes.
        ...(ep.tls ? { enableTLSForSentinelMode: true, sentinelTLS: ep.tls } : {}),
        sentinelRetryStrategy: reconnectDelay,
        // Subscribe to the sentinels' +switch-master: move to the new primary as soon as they
        // announce it instead of waiting for the old connection to fail.
        failoverDetector: true,
      });
    case 'cluster': {
      if (ep.db !== 0) {
        throw new Error('Redis Cluster has only database 0: drop the /db part of redis.url');
      }
      const { enableOfflineQueue, enableAutoPipelining, retryStrategy, lazyConnect, ...node } =
        opts;
      const cluster: ClusterOptions = {
        redisOptions: { ...node, ...auth },
        enableOfflineQueue,
        enableAutoPipelining,
        lazyConnect,
        enableReadyCheck: true,
        clusterRetryStrategy: (times: number) =>
          typeof retryStrategy === 'function' ? retryStrategy(times) : reconnectDelay(times),
        // A primary that fails is replaced by its replica within a few seconds: keep retrying
        // redirected and CLUSTERDOWN commands meanwhile (bounded by the command timeout).
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        slotsRefreshTimeout: Math.max(1000, s.connectTimeoutMs),
      };
      return new Cluster(
        (s.clusterNodes ?? []).map((e) => parseHostPort(e, 6379)),
        cluster,
      );
    }
  }
}
