import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RedisSettings } from '@app/storage';

/** The Redis started by the jest global setup. */
export function testRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: the jest global setup did not run');
  return url;
}

/**
 * True when the run's Redis is a Redis Cluster (`SB_TEST_REDIS=cluster`, `npm run
 * test:cluster`): the global setup then sets REDIS_CLUSTER_NODES as well as REDIS_URL (one of
 * the nodes).
 */
export function testRedisIsCluster(): boolean {
  return !!process.env.REDIS_CLUSTER_NODES?.trim();
}

/**
 * Settings for a RedisService on the run's Redis, plain or cluster as the global setup made
 * it (what specs that build their own RedisService use).
 */
export function testRedisSettings(
  keyPrefix: string,
  overrides: Partial<RedisSettings> = {},
): RedisSettings {
  const nodes = process.env.REDIS_CLUSTER_NODES?.split(',').filter(Boolean) ?? [];
  return {
    url: testRedisUrl(),
    keyPrefix,
    commandTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    ...(nodes.length > 0 ? { clusterNodes: nodes } : {}),
    ...overrides,
  };
}

/** A key prefix unique to one spec, so specs sharing the Redis never see each other. */
export function uniquePrefix(tag: string): string {
  return `sbt:${tag}:${randomBytes(4).toString('hex')}:`;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A temp dir with a config.yaml; `cleanup()` removes it. */
export function tempConfigDir(yamlText: string): {
  dir: string;
  path: string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'sb-cfg-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, yamlText);
  return { dir, path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Poll `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 5000, intervalMs = 25, what = 'condition' } = {},
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
