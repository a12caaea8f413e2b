#!/usr/bin/env node
// Local mode: one command runs the gateway and the worker (and, with REDIS_URL unset, a
// redis-server child on ./data/redis). Ctrl-C stops everything cleanly. DESIGN.md section 1.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(process.env.DATA_DIR || join(root, 'data'));
const children = new Map();
let shuttingDown = false;

function log(msg) {
  process.stdout.write(`[switchboard] ${msg}\n`);
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json'))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function buildIfNeeded() {
  const stamp = join(root, 'dist', 'build-info.json');
  const main = join(root, 'dist', 'apps', 'gateway', 'src', 'main.js');
  const stale =
    !existsSync(stamp) ||
    !existsSync(main) ||
    ['apps', 'libs'].some(
      (d) => existsSync(join(root, d)) && newestMtime(join(root, d)) > statSync(stamp).mtimeMs,
    );
  if (!stale) return;
  log('building (sources changed since the last build)…');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function findRedisServer() {
  // REDIS_SERVER_BIN pins the binary (and lets tests simulate a machine without one).
  if (process.env.REDIS_SERVER_BIN)
    return existsSync(process.env.REDIS_SERVER_BIN) ? process.env.REDIS_SERVER_BIN : '';
  for (const p of [
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
    '/opt/homebrew/bin/redis-server',
  ]) {
    if (existsSync(p)) return p;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    return '';
  }
}

async function ping(port) {
  return new Promise((res) => {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(500, () => {
      s.destroy();
      res(false);
    });
    s.once('error', () => res(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      res(d.toString().startsWith('+PONG'));
    });
  });
}

function pipeLines(stream, prefix, out) {
  let buf = '';
  stream.on('data', (chunk) => {
    buf += chunk.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.write(`${prefix} ${buf.slice(0, i)}\n`);
      buf = buf.slice(i + 1);
    }
  });
}

/** The image's default heap cap (Dockerfile), unless NODE_OPTIONS is set: see docs/operations.md. */
const DEFAULT_NODE_OPTIONS = '--max-old-space-size=1536';

function startChild(name, args, env, { restart = true } = {}) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { NODE_OPTIONS: DEFAULT_NODE_OPTIONS, ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeLines(child.stdout, `[${name}]`, process.stdout);
  pipeLines(child.stderr, `[${name}]`, process.stderr);
  const entry = { child, name, restarts: children.get(name)?.restarts ?? 0 };
  children.set(name, entry);
  child.on('exit', (code, signal) => {
    if (shuttingDown || !restart) return;
    if (code === 78) {
      // Refused to start (another live member has its name): restarting cannot help.
      entry.stopped = true;
      log(`${name} refused to start; not restarting it`);
      const apps = [...children.values()].filter((c) => c.name !== 'redis');
      if (apps.every((c) => c.stopped)) void shutdown('every member refused to start');
      return;
    }
    if (code === 0) {
      // A clean exit (cluster POST /shutdown) stays down; when every member is down, so are we.
      entry.stopped = true;
      log(`${name} stopped`);
      const apps = [...children.values()].filter((c) => c.name !== 'redis');
      if (apps.every((c) => c.stopped)) void shutdown('all members stopped');
      return;
    }
    // A member asked to restart (cluster API, exit 75) or crashed: its supervisor (us) starts it.
    entry.restarts += 1;
    const delay = Math.min(500 * entry.restarts, 5000);
    log(`${name} exited (${signal ?? code}); restarting in ${delay} ms`);
    setTimeout(() => {
      if (!shuttingDown) startChild(name, args, { ...env, SB_RESTARTS: String(entry.restarts) });
    }, delay);
  });
  return child;
}

function waitExit(child, ms) {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      res();
    }, ms);
    child.once('exit', () => {
      clearTimeout(t);
      res();
    });
  });
}

async function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`${signal}: stopping…`);
  const apps = [...children.values()].filter((c) => c.name !== 'redis');
  for (const { child } of apps) child.kill('SIGTERM');
  await Promise.all(apps.map(({ child }) => waitExit(child, 20000)));
  const redis = children.get('redis');
  if (redis) {
    redis.child.kill('SIGTERM');
    await waitExit(redis.child, 10000);
  }
  log('stopped');
  process.exit(0);
}

function configuredPort() {
  if (process.env.PORT) return Number(process.env.PORT);
  const file = resolve(process.env.CONFIG_PATH || join(root, 'config.yaml'));
  try {
    const m = /^port:\s*(\d+)/m.exec(readFileSync(file, 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // first run: the gateway creates config.yaml from the example (port 8317)
  }
  return 8317;
}

async function main() {
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  buildIfNeeded();
  mkdirSync(dataDir, { recursive: true });
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const bin = findRedisServer();
    if (!bin) {
      process.stderr.write(
        'Switchboard needs Redis. Either set REDIS_URL=redis://host:6379, or install the server:\n' +
          '  Debian/Ubuntu: sudo apt-get install -y redis-server\n' +
          '  macOS:         brew install redis\n' +
          'or run the whole stack with `docker compose up`.\n',
      );
      process.exit(1);
    }
    const port = await freePort();
    const dir = join(dataDir, 'redis');
    mkdirSync(dir, { recursive: true });
    const child = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--save',
        '',
      ],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    pipeLines(child.stdout, '[redis]', process.stdout);
    pipeLines(child.stderr, '[redis]', process.stderr);
    children.set('redis', { child, name: 'redis', restarts: 0 });
    child.on('exit', (code) => {
      if (!shuttingDown) {
        log(`redis-server exited (${code}); stopping`);
        void shutdown('redis exit');
      }
    });
    const deadline = Date.now() + 10000;
    while (!(await ping(port))) {
      if (Date.now() > deadline) {
        log('redis-server did not start');
        return shutdown('error');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    redisUrl = `redis://127.0.0.1:${port}`;
    log(`redis-server on ${redisUrl} (data in ${dir})`);
  }
  const env = { REDIS_URL: redisUrl, DATA_DIR: dataDir };
  startChild('gateway-1', [join(root, 'dist/apps/gateway/src/main.js')], {
    ...env,
    // Unset: each process names itself `<kind>-<host>-<port>`, unique on this machine.
    SB_PROCESS_NAME: process.env.SB_PROCESS_NAME || '',
  });
  startChild('worker-1', [join(root, 'dist/apps/worker/src/main.js')], {
    ...env,
    SB_PROCESS_NAME: process.env.SB_WORKER_NAME || '',
  });
  const port = configuredPort();
  const workerPort = process.env.WORKER_PORT || 8318;
  log(`gateway:  http://127.0.0.1:${port}/  (status: /status, metrics: /metrics)`);
  log(`worker:   http://127.0.0.1:${workerPort}/health  (metrics: /metrics)`);
  log('Ctrl-C stops everything.');
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  void shutdown('error');
});
