import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distEntry, REPO_ROOT, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, tempConfigDir, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';

/** A stack frame line, as Node and Nest print them. */
const STACK_FRAME = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

function yaml(prefix: string): string {
  return `api-keys: ["sk-startup-spec-key-0123456789"]\nredis:\n  key-prefix: "${prefix}"\n`;
}

/** Error lines of a JSON-lines output. */
function errorLines(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: string; msg: string })
    .filter((l) => l.level === 'error')
    .map((l) => l.msg);
}

async function holdPort(): Promise<{ port: number; server: Server }> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { port, server };
}

describe('startup errors say how to fix them', () => {
  const started: ChildApp[] = [];
  const cleanups: (() => void)[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.stop('SIGKILL')));
    for (const c of cleanups.splice(0)) c();
  });

  it('should name the busy port and the setting to change (gateway), with no stack trace', async () => {
    const cfg = tempConfigDir(yaml(uniquePrefix('busy')));
    cleanups.push(cfg.cleanup);
    const held = await holdPort();
    cleanups.push(() => held.server.close());
    const gw = startNode(distEntry('apps/gateway/src/main.js'), {
      CONFIG_PATH: cfg.path,
      REDIS_URL: testRedisUrl(),
      PORT: String(held.port),
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
    });
    started.push(gw);
    expect(await gw.exited).toBe(78); // a config problem: no supervisor restarts it
    const out = gw.output();
    const problem = errorLines(out).find((m) => m.startsWith('cannot listen'));
    expect(problem).toContain(`:${held.port}: the port is already in use`);
    expect(problem).toContain(`set another port (PORT, or port in ${cfg.path})`);
    expect(out).not.toMatch(STACK_FRAME);
  }, 30000);

  it('should name the busy port and WORKER_PORT (worker)', async () => {
    const cfg = tempConfigDir(yaml(uniquePrefix('busy-w')));
    cleanups.push(cfg.cleanup);
    const held = await holdPort();
    cleanups.push(() => held.server.close());
    const worker = startNode(distEntry('apps/worker/src/main.js'), {
      CONFIG_PATH: cfg.path,
      REDIS_URL: testRedisUrl(),
      WORKER_PORT: String(held.port),
      WORKER_HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
    });
    started.push(worker);
    expect(await worker.exited).toBe(78);
    const out = worker.output();
    expect(errorLines(out)).toContainEqual(
      expect.stringMatching(/already in use .*set another port \(WORKER_PORT\)/),
    );
    expect(out).not.toMatch(STACK_FRAME);
  }, 30000);

  it('should say when the config directory cannot be created, and what to set instead', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-startup-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'not-a-dir'), '');
    const path = join(dir, 'not-a-dir', 'config.yaml');
    const gw = startNode(distEntry('apps/gateway/src/main.js'), {
      CONFIG_PATH: path,
      REDIS_URL: testRedisUrl(),
      LOG_FORMAT: 'json',
    });
    started.push(gw);
    expect(await gw.exited).toBe(78);
    const out = gw.output();
    expect(errorLines(out)).toEqual([
      expect.stringMatching(
        new RegExp(`^cannot use config file ${path}: part of the path is a file.*set CONFIG_PATH`),
      ),
    ]);
    expect(out).not.toMatch(STACK_FRAME);
  }, 30000);

  it('should say how to reach Redis when it is down, and keep running', async () => {
    const cfg = tempConfigDir(yaml(uniquePrefix('noredis')));
    cleanups.push(cfg.cleanup);
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const gw = startNode(distEntry('apps/gateway/src/main.js'), {
      CONFIG_PATH: cfg.path,
      REDIS_URL: dead,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_FORMAT: 'json',
    });
    started.push(gw);
    const line = await waitFor(
      () => gw.output().match(/Redis at redis:\/\/127\.0\.0\.1:\d+\/? is unreachable[^"]*/)?.[0],
      { timeoutMs: 20000, what: 'the Redis warning' },
    );
    expect(line).toMatch(/ECONNREFUSED.*Start Redis there, or point REDIS_URL/);
    expect(gw.child.exitCode).toBeNull();
    expect(gw.output()).not.toMatch(STACK_FRAME);
  }, 40000);

  it('should tell `npm run start:gateway` without a build to build first', () => {
    const root = mkdtempSync(join(tmpdir(), 'sb-nobuild-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(join(root, 'scripts'));
    for (const f of ['run-app.mjs', 'launch-errors.mjs']) {
      copyFileSync(join(REPO_ROOT, 'scripts', f), join(root, 'scripts', f));
    }
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'run-app.mjs'), 'gateway'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      '[switchboard] dist/apps/gateway/src/main.js is missing: nothing is built yet. ' +
        'Run `npm run build` first (or `npm start`, which builds when the sources changed)',
    );
  });

  it('should explain a failed build and missing dependencies in one line', () => {
    const url = pathToFileURL(join(REPO_ROOT, 'scripts', 'launch-errors.mjs')).href;
    const script = `
      import { explainLaunchError } from '${url}';
      const build = Object.assign(new Error('Command failed'), { status: 2, output: [] });
      const dep = Object.assign(new Error("Cannot find package 'bullmq' imported from /x/dist/a.js"), { code: 'ERR_MODULE_NOT_FOUND' });
      const dist = Object.assign(new Error("Cannot find module '/x/dist/libs/a.js'"), { code: 'MODULE_NOT_FOUND' });
      console.log(JSON.stringify([build, dep, dist, new Error('other')].map(explainLaunchError)));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(r.stdout)).toEqual([
      'the build failed (exit 2; its errors are above): fix them, then run the command again',
      'the dependency bullmq is not installed: run `npm ci` in this directory, then start again',
      'the build is incomplete (a file under dist/ is missing): run `npm run build`, then start again',
      null,
    ]);
  });
});
