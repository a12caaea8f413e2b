import { Cluster } from 'ioredis';
import type { RedisService } from '@app/storage';

/**
 * Every key matching `pattern` (KEYS, for specs only): on a Redis Cluster KEYS answers for one
 * node, so every primary is asked.
 */
export async function keysMatching(redis: RedisService, pattern: string): Promise<string[]> {
  const conn = redis.command;
  if (!(conn instanceof Cluster)) return conn.keys(pattern);
  const lists = await Promise.all(conn.nodes('master').map((n) => n.keys(pattern)));
  return lists.flat();
}
