import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startNode } from '@test/utils/child-app';
import { freePort, waitFor } from '@test/utils/env';

describe('local mode (npm start)', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-local-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('should run redis-server, gateway and worker, create config.yaml, and stop cleanly on Ctrl-C', async () => {
    const port = await freePort();
    const workerPort = await freePort();
    const configPath = join(dir, 'config.yaml');
    const app = startNode(join(REPO_ROOT, 'scripts', 'start.mjs'), {
      REDIS_URL: '',
      PORT: String(port),
      WORKER_PORT: String(workerPort),
      DATA_DIR: join(dir, 'data'),
      CONFIG_PATH: configPath,
    });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/status`)).status === 200, {
        timeoutMs: 30000,
        what: 'gateway /status 200',
      });
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${workerPort}/health`)).status === 200,
        {
          timeoutMs: 20000,
          what: 'worker /health 200',
        },
      );
      expect(existsSync(configPath)).toBe(true);
      expect(readFileSync(configPath, 'utf8')).toBe(
        readFileSync(join(REPO_ROOT, 'config.example.yaml'), 'utf8'),
      );
      expect(existsSync(join(dir, 'data', 'redis'))).toBe(true);
      expect(app.output()).toContain(`http://127.0.0.1:${port}/`);
      expect(await app.stop('SIGINT', 30000)).toBe(0);
      expect(app.output()).toMatch(/\[switchboard\] stopped/);
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      // redis-server wrote its append-only file on the way down.
      expect(existsSync(join(dir, 'data', 'redis'))).toBe(true);
    } finally {
      await app.stop('SIGKILL');
    }
  }, 90000);

  it('should say how to install redis-server and exit non-zero when there is none', async () => {
    const app = startNode(join(REPO_ROOT, 'scripts', 'start.mjs'), {
      REDIS_URL: '',
      REDIS_SERVER_BIN: join(dir, 'no-such-redis-server'),
      DATA_DIR: join(dir, 'data'),
      CONFIG_PATH: join(dir, 'config.yaml'),
    });
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/apt-get install -y redis-server/);
    expect(app.output()).toMatch(/REDIS_URL/);
  }, 60000);
});
