// A throwaway Switchboard cluster on 127.0.0.1 for the long-running checks (soak.mjs,
// limits-check.mjs): its own redis-server, the fake upstream, gateway and worker processes from
// dist/. Every process started here is stopped by `stopAll()`, also on Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** ioredis, for counting keys. */
export const { Redis } = require('ioredis');

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const children = [];
const dirs = [];

/** The value of `--name <value>`, or `dflt`. */
export function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

/** A number from `--name`, checked. */
export function numberArg(name, dflt, min = 0) {
  const raw = arg(name, String(dflt));
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name} must be a number ≥ ${min}, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Fail early, with what to do, when dist/ is missing. */
export function requireBuild() {
  for (const rel of ['apps/gateway/src/main.js', 'apps/worker/src/main.js', 'test/fakes/main.js']) {
    if (!existsSync(join(root, 'dist', rel))) {
      console.error(`dist/${rel} is missing: run \`npm run build\` first`);
      process.exit(2);
    }
  }
}

/** Start a process whose output is kept (last 64 KiB) for the error message if it dies. */
export function start(name, cmd, args, env = {}) {
  const child = spawn(cmd, args, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d) => {
    out = (out + d).slice(-65536);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const proc = { name, child, pid: child.pid, output: () => out };
  children.push(proc);
  return proc;
}

/** Wait until `url` answers 2xx. */
export async function waitHttp(url, timeoutMs = 30000, proc) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.child.exitCode !== null) {
      throw new Error(`${proc.name} exited:\n${proc.output()}`);
    }
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${url}`);
    await sleep(100);
  }
}

/** A redis-server of our own (no persistence) on a free port; `pause`/`resume` for outages. */
export async function startRedis() {
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
  if (!bin) {
    console.error('redis-server is needed: `apt-get install -y redis-server`');
    process.exit(2);
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sb-cluster-redis-'));
  dirs.push(dir);
  const proc = start('redis', bin, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { commandTimeout: 5000, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const end = Date.now() + 10000;
  while ((await client.ping().catch(() => '')) !== 'PONG') {
    if (Date.now() > end) throw new Error('redis-server did not start');
    await sleep(50);
  }
  return {
    url,
    port,
    pid: proc.pid,
    client,
    pause: () => proc.child.kill('SIGSTOP'),
    resume: () => proc.child.kill('SIGCONT'),
  };
}

/** The standalone fake upstream (`dist/test/fakes/main.js`). */
export async function startFake(extra = []) {
  const port = await freePort();
  const proc = start('fake', process.execPath, [
    join(root, 'dist/test/fakes/main.js'),
    '--port',
    String(port),
    '--max-records',
    '0',
    ...extra,
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/v1/models`, 15000, proc);
  return { url, pid: proc.pid };
}

/** Write a config.yaml into a fresh temp dir; returns its path. */
export function writeConfig(yamlText) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-cluster-cfg-'));
  dirs.push(dir);
  const path = join(dir, 'config.yaml');
  writeFileSync(path, yamlText);
  return path;
}

/** A gateway process from dist/, up once /healthz answers. */
export async function startGateway(name, configPath, redisUrl, env = {}) {
  const port = await freePort();
  const proc = start(name, process.execPath, [join(root, 'dist/apps/gateway/src/main.js')], {
    CONFIG_PATH: configPath,
    REDIS_URL: redisUrl,
    PORT: String(port),
    SB_PROCESS_NAME: name,
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/healthz`, 30000, proc);
  return { ...proc, url, port };
}

/** A worker process from dist/, up once its /health answers. */
export async function startWorker(name, configPath, redisUrl) {
  const port = await freePort();
  const proc = start(name, process.execPath, [join(root, 'dist/apps/worker/src/main.js')], {
    CONFIG_PATH: configPath,
    REDIS_URL: redisUrl,
    WORKER_PORT: String(port),
    WORKER_HOST: '127.0.0.1',
    SB_PROCESS_NAME: name,
  });
  await waitHttp(`http://127.0.0.1:${port}/health`, 30000, proc);
  return { ...proc, port };
}

/** Resident memory of a process in MiB (Linux /proc); NaN once it is gone. */
export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Stop every process started here (SIGTERM, then SIGKILL after 5 s) and remove temp dirs. */
export async function stopAll() {
  await Promise.all(
    children.splice(0).map(
      (p) =>
        new Promise((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          const t = setTimeout(() => p.child.kill('SIGKILL'), 5000);
          p.child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          p.child.kill('SIGCONT');
          p.child.kill('SIGTERM');
        }),
    ),
  );
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    void stopAll().then(() => process.exit(130));
  });
}
