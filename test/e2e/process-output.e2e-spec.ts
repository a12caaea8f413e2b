import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, tempConfigDir, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/;
const CLIENT_KEY = 'sk-process-output-client-key';

interface JsonLine {
  time: string;
  level: string;
  process: string;
  context: string;
  msg: string;
  [field: string]: unknown;
}

/** Every stdout/stderr line, parsed: the test fails on the first line that is not JSON. */
function jsonLines(out: string): JsonLine[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as JsonLine;
      } catch {
        throw new Error(`not a JSON line: ${l}`);
      }
    });
}

/** True when something accepts TCP connections on host:port. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** An address of this machine that is not loopback, if it has one. */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

describe('what the processes print, and where they listen', () => {
  const started: ChildApp[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.stop('SIGKILL')));
  });

  it('should log JSON lines when stdout is not a terminal, bind to config host, and report it in /status', async () => {
    const deadUpstream = await freePort();
    const cfg = tempConfigDir(
      [
        "host: '127.0.0.1'",
        'api-keys:',
        `  - '${CLIENT_KEY}'`,
        '  - your-api-key-1',
        'redis:',
        `  key-prefix: "${uniquePrefix('output')}"`,
        'request-retry: 0',
        'openai-compatibility:',
        "  - name: 'deadoai'",
        `    base-url: 'http://127.0.0.1:${deadUpstream}/v1'`,
        '    api-key-entries:',
        "      - api-key: 'sk-upstream-0123456789'",
        '    models:',
        "      - name: 'gpt-dead'",
        "        alias: 'gpt-dead'",
      ].join('\n'),
    );
    try {
      const [port, workerPort] = [await freePort(), await freePort()];
      const env = {
        CONFIG_PATH: cfg.path,
        REDIS_URL: testRedisUrl(),
        LOG_LEVEL: 'info',
        LOG_FORMAT: '',
      };
      const gw = startNode(distEntry('apps/gateway/src/main.js'), {
        ...env,
        PORT: String(port),
        SB_PROCESS_NAME: 'gateway-out',
      });
      const worker = startNode(distEntry('apps/worker/src/main.js'), {
        ...env,
        WORKER_PORT: String(workerPort),
        WORKER_HOST: '',
        SB_PROCESS_NAME: 'worker-out',
      });
      started.push(gw, worker);
      const readyOf = (app: ChildApp) =>
        waitFor(() => jsonLines(app.output()).find((l) => /^ready/.test(l.msg)), {
          timeoutMs: 30000,
          what: 'a ready line',
        });
      const [gwReady, workerReady] = [await readyOf(gw), await readyOf(worker)];
      expect(gwReady).toEqual({
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        level: 'info',
        process: 'gateway-out',
        context: 'Gateway',
        msg: `ready on http://127.0.0.1:${port} (config ${cfg.path})`,
      });
      expect(workerReady.msg).toBe(`ready: health and metrics on http://127.0.0.1:${workerPort}`);

      // The example placeholder is named in a warning, and refused as a key.
      expect(
        jsonLines(gw.output()).some(
          (l) => l.level === 'warn' && /your-api-key-1: they are refused/.test(l.msg),
        ),
      ).toBe(true);
      const refused = await fetch(`http://127.0.0.1:${port}/v1/models`, {
        headers: { authorization: 'Bearer your-api-key-1' },
      });
      expect(refused.status).toBe(401);

      // /status: the bind address, and an uptime monitors can parse.
      const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
        host: string;
        uptime: string;
      };
      expect(status.host).toBe('127.0.0.1');
      expect(status.uptime).toMatch(/^\d+h \d+m \d+s$/);

      // Both follow config `host`: nothing answers on another interface.
      const other = externalAddress();
      if (other) {
        expect(await listening(other, port)).toBe(false);
        expect(await listening(other, workerPort)).toBe(false);
      }
      expect(await listening('127.0.0.1', workerPort)).toBe(true);

      // A failed proxied request is one warning carrying the request's fields.
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${CLIENT_KEY}`,
          'content-type': 'application/json',
          'x-request-id': 'req-output-1',
        },
        body: JSON.stringify({ model: 'gpt-dead', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      const ofRequest = () => jsonLines(gw.output()).filter((l) => l.request_id === 'req-output-1');
      await waitFor(() => ofRequest().length === 2, { timeoutMs: 5000, what: 'its two lines' });
      const [failure, access] = [
        ofRequest().find((l) => l.context === 'Proxy'),
        ofRequest().find((l) => l.context !== 'Proxy'),
      ];
      expect(failure).toMatchObject({
        level: 'warn',
        process: 'gateway-out',
        route: '/v1/chat/completions',
        model: 'gpt-dead',
        status: res.status,
      });
      expect(failure?.msg).toMatch(/^request req-output-1 for gpt-dead failed with 5\d\d: /);
      // The access line: the shared log's text as msg, its facts as fields.
      expect(access).toMatchObject({
        level: 'error',
        route: '/v1/chat/completions',
        method: 'POST',
        status: res.status,
        ip: '127.0.0.1',
        msg: expect.stringMatching(
          /^5\d\d \| .* \| POST +"\/v1\/chat\/completions" \| request_id=req-output-1$/,
        ),
      });
      expect(typeof access?.latency_ms).toBe('number');

      // Quiet: no Nest route or module lines, no colours.
      for (const app of [gw, worker]) {
        const lines = jsonLines(app.output());
        expect(
          lines.filter((l) =>
            ['RouterExplorer', 'RoutesResolver', 'InstanceLoader'].includes(l.context),
          ),
        ).toEqual([]);
        expect(app.output()).not.toMatch(ANSI);
      }
      expect(await gw.stop('SIGTERM')).toBe(0);
      expect(await worker.stop('SIGTERM')).toBe(0);
    } finally {
      cfg.cleanup();
    }
  }, 60000);

  it('should print readable lines with LOG_FORMAT=pretty, still without colours in a pipe', async () => {
    const cfg = tempConfigDir(`redis:\n  key-prefix: "${uniquePrefix('pretty')}"\n`);
    try {
      const port = await freePort();
      const gw = startNode(distEntry('apps/gateway/src/main.js'), {
        CONFIG_PATH: cfg.path,
        REDIS_URL: testRedisUrl(),
        PORT: String(port),
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'pretty',
        SB_PROCESS_NAME: 'gateway-pretty',
      });
      started.push(gw);
      await waitFor(() => /ready on/.test(gw.output()), { timeoutMs: 30000, what: 'ready' });
      const ready = gw
        .output()
        .split('\n')
        .find((l) => /ready on/.test(l));
      expect(ready).toMatch(
        /^\[gateway-pretty\] .* LOG \[Gateway\] ready on http:\/\/0\.0\.0\.0:\d+ /,
      );
      expect(gw.output()).not.toMatch(ANSI);
      const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
        host: string;
      };
      expect(status.host).toBe('0.0.0.0');
    } finally {
      cfg.cleanup();
    }
  }, 60000);

  it.each([
    ['gateway', 'apps/gateway/src/main.js'],
    ['worker', 'apps/worker/src/main.js'],
  ])(
    'should print the problems of an invalid config once and exit 78 (%s)',
    async (_kind, entry) => {
      const cfg = tempConfigDir('port: 99999\napi-keys: 5\n');
      try {
        const app = startNode(distEntry(entry), {
          CONFIG_PATH: cfg.path,
          REDIS_URL: testRedisUrl(),
          LOG_LEVEL: 'info',
        });
        started.push(app);
        expect(await app.exited).toBe(78);
        const lines = jsonLines(app.output());
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({ level: 'error', context: 'Config' });
        expect(lines[0].msg).toMatch(
          /2 problems:\n {2}- line 1: port: .*\n {2}- line 2: api-keys: /,
        );
        expect(lines[0].stack).toBeUndefined();
      } finally {
        cfg.cleanup();
      }
    },
    30000,
  );
});
