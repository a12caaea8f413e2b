import { writeFileSync, renameSync } from 'node:fs';
import { FakeUpstream } from '@test/fakes';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, tempConfigDir, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function yaml(prefix: string, keys: string[]): string {
  const list = keys.length ? `\n${keys.map((k) => `  - "${k}"`).join('\n')}` : ' []';
  return `api-keys:${list}\nredis:\n  key-prefix: "${prefix}"\n`;
}

describe('gateway and worker processes', () => {
  const started: ChildApp[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.stop('SIGKILL')));
  });

  it('should reload config.yaml in two gateway processes within 2 s of an edit', async () => {
    const prefix = uniquePrefix('reload');
    const cfg = tempConfigDir(yaml(prefix, []));
    try {
      const ports = [await freePort(), await freePort()];
      for (const [i, port] of ports.entries()) {
        started.push(
          startNode(distEntry('apps/gateway/src/main.js'), {
            CONFIG_PATH: cfg.path,
            REDIS_URL: testRedisUrl(),
            PORT: String(port),
            SB_PROCESS_NAME: `gateway-${i + 1}`,
          }),
        );
      }
      for (const port of ports) {
        const s = await waitFor(
          async () => {
            const r = await getJson(`http://127.0.0.1:${port}/status`);
            return r.status === 200 ? r : undefined;
          },
          { timeoutMs: 20000, what: `gateway on ${port}` },
        );
        expect(s.body.api_key_configured).toBe(false);
      }
      // An editor-style replace (write a temp file, rename over) of the shared file.
      writeFileSync(`${cfg.path}.new`, yaml(prefix, ['sk-new-key']));
      renameSync(`${cfg.path}.new`, cfg.path);
      const t0 = Date.now();
      await Promise.all(
        ports.map((port) =>
          waitFor(
            async () =>
              (await getJson(`http://127.0.0.1:${port}/status`)).body.api_key_configured === true,
            { timeoutMs: 2000, what: `api_key_configured on ${port}` },
          ),
        ),
      );
      expect(Date.now() - t0).toBeLessThan(2000);
      // An invalid edit is rejected and the old config stays in force.
      writeFileSync(cfg.path, 'port: "not a number"\napi-keys: 7\n');
      await new Promise((r) => setTimeout(r, 1200));
      for (const port of ports) {
        const s = await getJson(`http://127.0.0.1:${port}/status`);
        expect(s.status).toBe(200);
        expect(s.body.api_key_configured).toBe(true);
      }
      expect(started[0].output()).toMatch(/port/);
    } finally {
      cfg.cleanup();
    }
  }, 60000);

  it('should exit 0 on SIGTERM after draining (gateway)', async () => {
    const cfg = tempConfigDir(yaml(uniquePrefix('sigterm'), []));
    try {
      const port = await freePort();
      const gw = startNode(distEntry('apps/gateway/src/main.js'), {
        CONFIG_PATH: cfg.path,
        REDIS_URL: testRedisUrl(),
        PORT: String(port),
        LOG_LEVEL: 'info',
      });
      started.push(gw);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, {
        timeoutMs: 20000,
        what: 'gateway up',
      });
      expect(await gw.stop('SIGTERM')).toBe(0);
      expect(gw.output()).toMatch(/stopped cleanly/);
    } finally {
      cfg.cleanup();
    }
  }, 40000);

  it('should serve /health and /metrics and exit 0 on SIGTERM (worker)', async () => {
    const cfg = tempConfigDir(yaml(uniquePrefix('worker'), []));
    try {
      const port = await freePort();
      const worker = startNode(distEntry('apps/worker/src/main.js'), {
        CONFIG_PATH: cfg.path,
        REDIS_URL: testRedisUrl(),
        WORKER_PORT: String(port),
        WORKER_HOST: '127.0.0.1',
        SB_PROCESS_NAME: 'worker-test',
      });
      started.push(worker);
      const health = await waitFor(
        async () => {
          const r = await getJson(`http://127.0.0.1:${port}/health`);
          return r.status === 200 ? r.body : undefined;
        },
        { timeoutMs: 20000, what: 'worker healthy' },
      );
      expect(health).toMatchObject({
        status: 'ok',
        redis: true,
        queuesRunning: true,
        process: 'worker-test',
      });
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/switchboard_redis_up 1/);
      expect(metrics).toMatch(/switchboard_job_duration_seconds/);
      // The repeatable heartbeat ran at least once (it runs at once, then every 15 s).
      await waitFor(
        async () =>
          /switchboard_worker_heartbeat_jobs_total [1-9]/.test(
            await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
          ),
        { timeoutMs: 10000, what: 'a heartbeat job' },
      );
      expect(await worker.stop('SIGTERM')).toBe(0);
    } finally {
      cfg.cleanup();
    }
  }, 40000);

  it('should answer /status 503 while Redis is unreachable, and keep running', async () => {
    const cfg = tempConfigDir(yaml(uniquePrefix('down'), []));
    try {
      const port = await freePort();
      const deadRedis = `redis://127.0.0.1:${await freePort()}`;
      const gw = startNode(distEntry('apps/gateway/src/main.js'), {
        CONFIG_PATH: cfg.path,
        REDIS_URL: deadRedis,
        // A plain Redis nobody runs, also when the suite runs against a cluster.
        REDIS_CLUSTER_NODES: '',
        PORT: String(port),
      });
      started.push(gw);
      const r = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/status`);
          return { status: res.status, body: (await res.json()) as { error: { type: string } } };
        },
        { timeoutMs: 20000, what: 'gateway up' },
      );
      expect(r.status).toBe(503);
      expect(r.body.error.type).toBe('service_error');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(await gw.stop('SIGTERM')).toBe(0);
    } finally {
      cfg.cleanup();
    }
  }, 40000);

  it('should refuse to start on an invalid config, listing every problem with its line', async () => {
    const cfg = tempConfigDir(
      [
        'port: "eighty"',
        'api-keys: 7',
        'routing:',
        '  strategy: sideways',
        'redis:',
        '  key-prefix: "x:"',
      ].join('\n'),
    );
    try {
      const gw = startNode(distEntry('apps/gateway/src/main.js'), {
        CONFIG_PATH: cfg.path,
        REDIS_URL: testRedisUrl(),
        PORT: '',
      });
      started.push(gw);
      // 78 (EX_CONFIG): a supervisor must not restart it.
      expect(await gw.exited).toBe(78);
      const out = gw.output();
      expect(out).toMatch(/3 problems/);
      expect(out).toMatch(/line 1: port/);
      expect(out).toMatch(/line 2: api-keys/);
      expect(out).toMatch(/line 4: routing\.strategy/);
    } finally {
      cfg.cleanup();
    }
  }, 30000);

  it('should finish an in-flight request before exiting on SIGTERM', async () => {
    const fake = await FakeUpstream.start();
    const port = await freePort();
    const cfg = tempConfigDir(
      [
        'api-keys: ["sk-drain"]',
        'redis:',
        `  key-prefix: "${uniquePrefix('drain')}"`,
        'openai-compatibility:',
        '  - name: fake',
        `    base-url: "${fake.url}/v1"`,
        '    api-key-entries:',
        '      - api-key: "up"',
        '    models:',
        '      - name: slow-model',
      ].join('\n'),
    );
    try {
      const gw = startNode(distEntry('apps/gateway/src/main.js'), {
        CONFIG_PATH: cfg.path,
        REDIS_URL: testRedisUrl(),
        PORT: String(port),
      });
      started.push(gw);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/status`)).ok, {
        timeoutMs: 20000,
        what: 'gateway up',
      });
      fake.slowFirstByte({ ms: 1500 });
      const inFlight = fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-drain', 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'slow-model',
          messages: [{ role: 'user', content: 'drain me' }],
        }),
      });
      await waitFor(() => fake.requests().length > 0, { what: 'the request to reach the fake' });
      gw.child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(
        ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message
          .content,
      ).toBe('echo: drain me');
      expect(await gw.exited).toBe(0);
      // Once draining, new connections are refused.
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      cfg.cleanup();
      await fake.close();
    }
  }, 40000);
});
