import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync, writeFileSync } from 'node:fs';
import { createGatewayApp } from '@app/gateway/app.factory';
import { RedisService } from '@app/storage';
import { tempConfigDir, testRedisUrl } from '@test/utils/env';

export interface TestGateway {
  app: NestFastifyApplication;
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  configPath: string;
  close: () => Promise<void>;
}

/** Options of `startGateway`. */
export interface StartGatewayOptions {
  /**
   * Use this config file instead of a fresh temp one (replicas sharing one file, as on a shared
   * volume): `yamlText` is written only when the file does not exist, and `close()` leaves the
   * file in place.
   */
  configPath?: string;
  /** Log one line per answered request (off by default: it would print every 5xx). */
  accessLog?: boolean;
  /** Redis to use instead of the test run's (a TCP cut in front of it, for outage tests). */
  redisUrl?: string;
}

/**
 * Boot a gateway in this process on a free loopback port, from a config.yaml text. Several can
 * run side by side (replicas sharing the test Redis); each reads its own config file unless
 * `configPath` names a shared one.
 */
export async function startGateway(
  yamlText: string,
  name = 'gateway-test',
  options: StartGatewayOptions = {},
): Promise<TestGateway> {
  const cfg = options.configPath
    ? sharedConfig(options.configPath, yamlText)
    : tempConfigDir(yamlText);
  const saved = {
    CONFIG_PATH: process.env.CONFIG_PATH,
    SB_PROCESS_NAME: process.env.SB_PROCESS_NAME,
    REDIS_URL: process.env.REDIS_URL,
  };
  process.env.CONFIG_PATH = cfg.path;
  process.env.REDIS_URL = options.redisUrl ?? testRedisUrl();
  process.env.SB_PROCESS_NAME = name;
  let app: NestFastifyApplication;
  try {
    app = await createGatewayApp({ logger: ['error'], accessLog: options.accessLog ?? false });
    await app.listen(0, '127.0.0.1');
    await app.get(RedisService).waitReady(5000);
    // As main.ts: announcements from now on reach it (a Redis Cluster subscribes more slowly).
    await app.get(RedisService).waitSubscribed(5000);
  } finally {
    process.env.CONFIG_PATH = saved.CONFIG_PATH;
    process.env.SB_PROCESS_NAME = saved.SB_PROCESS_NAME;
    // The run's Redis stays the default for whatever starts next (a worker child, a replica).
    if (options.redisUrl) process.env.REDIS_URL = saved.REDIS_URL;
  }
  const addr = app.getHttpServer().address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    port,
    configPath: cfg.path,
    close: async () => {
      await app.close();
      cfg.cleanup();
    },
  };
}

function sharedConfig(path: string, yamlText: string): { path: string; cleanup: () => void } {
  if (!existsSync(path)) writeFileSync(path, yamlText);
  return { path, cleanup: () => undefined };
}
