import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LifecycleService } from '@app/gateway/lifecycle/lifecycle.service';
import { startOwnRedis, type OwnRedis } from '@test/faults/fault-harness';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, uniquePrefix, waitFor } from '@test/utils/env';
import { startGateway } from '@test/utils/gateway-harness';

const status = async (url: string) => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { code: res.status, body: await res.text() };
  } catch {
    return { code: 0, body: '' };
  }
};

describe('readiness and liveness (/readyz, /healthz)', () => {
  it('should answer 503 on /readyz while the gateway drains, and keep /healthz at 200', async () => {
    const gw = await startGateway(`redis:\n  key-prefix: "${uniquePrefix('readyz')}"\n`);
    try {
      expect(await status(`${gw.url}/readyz`)).toEqual({ code: 200, body: '{"status":"ready"}' });
      gw.app.get(LifecycleService).startDraining();
      expect(await status(`${gw.url}/readyz`)).toEqual({
        code: 503,
        body: '{"status":"unavailable"}',
      });
      expect((await status(`${gw.url}/healthz`)).code).toBe(200);
    } finally {
      await gw.close();
    }
  });

  describe('with Redis down', () => {
    let redis: OwnRedis;
    let root: string;
    const children: ChildApp[] = [];

    beforeAll(async () => {
      redis = await startOwnRedis();
      root = mkdtempSync(join(tmpdir(), 'sb-readyz-'));
    });

    afterAll(async () => {
      redis.resume();
      await Promise.all(children.map((c) => c.stop('SIGKILL')));
      await redis.stop();
      rmSync(root, { recursive: true, force: true });
    });

    async function start(kind: 'gateway' | 'worker', name: string): Promise<string> {
      const dir = mkdtempSync(join(root, `${name}-`));
      const configPath = join(dir, 'config.yaml');
      writeFileSync(configPath, `config-store: redis\nredis:\n  key-prefix: "sbt:readyz:"\n`);
      const port = await freePort();
      const app = startNode(distEntry(`apps/${kind}/src/main.js`), {
        CONFIG_PATH: configPath,
        AUTH_DIR: join(dir, 'auths'),
        DATA_DIR: join(dir, 'data'),
        REDIS_URL: redis.url,
        SB_PROCESS_NAME: name,
        [kind === 'gateway' ? 'PORT' : 'WORKER_PORT']: String(port),
      });
      children.push(app);
      const url = `http://127.0.0.1:${port}`;
      await waitFor(
        async () => {
          if (app.child.exitCode !== null) throw new Error(`${name} exited:\n${app.output()}`);
          return (await status(`${url}/healthz`)).code === 200;
        },
        { timeoutMs: 40_000, intervalMs: 100, what: `${name} to answer /healthz` },
      );
      return url;
    }

    const readyz = async (url: string) => (await status(`${url}/readyz`)).code;

    it('should flip /readyz to 503 on the gateway and the worker while Redis is down, and back', async () => {
      const [gw, worker] = await Promise.all([start('gateway', 'gw-r'), start('worker', 'wk-r')]);
      for (const url of [gw, worker]) {
        await waitFor(async () => (await readyz(url)) === 200, { what: `${url} ready` });
      }
      redis.pause();
      for (const url of [gw, worker]) {
        await waitFor(async () => (await readyz(url)) === 503, {
          timeoutMs: 8000,
          intervalMs: 200,
          what: `${url} unready while Redis is down`,
        });
        expect((await status(`${url}/healthz`)).code).toBe(200);
      }
      redis.resume();
      for (const url of [gw, worker]) {
        await waitFor(async () => (await readyz(url)) === 200, {
          timeoutMs: 8000,
          intervalMs: 200,
          what: `${url} ready again`,
        });
      }
    }, 90_000);

    it('should stay unready until a gateway that started without Redis has loaded the config store', async () => {
      redis.pause();
      const gw = await start('gateway', 'gw-late');
      expect(await readyz(gw)).toBe(503);
      redis.resume();
      await waitFor(async () => (await readyz(gw)) === 200, {
        timeoutMs: 10_000,
        intervalMs: 200,
        what: 'the late gateway to become ready',
      });
      expect(children[children.length - 1].output()).toContain(
        'the config store (Redis) is unreachable: serving from the local copies',
      );
    }, 90_000);
  });
});
