import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { createWorkerApp } from '@app/worker/worker.factory';
import { WorkerService } from '@app/worker/worker.service';
import { tempConfigDir, testRedisUrl } from '@test/utils/env';

/** A worker running in this process (BullMQ processors and schedulers started). */
export interface TestWorker {
  app: INestApplicationContext;
  close: () => Promise<void>;
}

/** Boot a worker in this process from a config.yaml text, as startGateway does for gateways. */
export async function startWorker(yamlText: string, name: string): Promise<TestWorker> {
  const cfg = tempConfigDir(yamlText);
  const saved = {
    CONFIG_PATH: process.env.CONFIG_PATH,
    SB_PROCESS_NAME: process.env.SB_PROCESS_NAME,
  };
  process.env.CONFIG_PATH = cfg.path;
  process.env.REDIS_URL = testRedisUrl();
  process.env.SB_PROCESS_NAME = name;
  let app: INestApplicationContext;
  try {
    app = await createWorkerApp({ logger: ['error'] });
  } finally {
    process.env.CONFIG_PATH = saved.CONFIG_PATH;
    process.env.SB_PROCESS_NAME = saved.SB_PROCESS_NAME;
  }
  const worker = app.get(WorkerService);
  await worker.start();
  return {
    app,
    close: async () => {
      await worker.stop();
      await app.close();
      cfg.cleanup();
    },
  };
}

/** Write an auth file the way a login would (temp file + rename, so watchers see it whole). */
export function writeAuthFile(dir: string, name: string, data: object): void {
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
  renameSync(tmp, join(dir, name));
}

/** RFC 3339 of now + `ms`. */
export function inMs(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}
