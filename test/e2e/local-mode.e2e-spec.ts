import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startNode } from '@test/utils/child-app';
import { freePort, waitFor } from '@test/utils/env';

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const START = join(REPO_ROOT, 'scripts', 'start.mjs');

/** The direct children of a process (empty once it is gone). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)])
      .toString()
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface JsonLine {
  time: string;
  level: string;
  process: string;
  context: string;
  msg: string;
  [field: string]: unknown;
}

/** The JSON lines of an output (every line must be one). */
function jsonLines(out: string): JsonLine[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JsonLine);
}

/** A spawned command with its output captured and its exit awaited. */
function run(cmd: string, args: string[], env: Record<string, string>) {
  const child = spawn(cmd, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, output: () => out, exited };
}

/** Every pid under `root` (launcher, members, redis-server), for the no-orphans check. */
function tree(root: number): number[] {
  const all: number[] = [];
  const walk = (pid: number) => {
    for (const c of childrenOf(pid)) {
      all.push(c);
      walk(c);
    }
  };
  walk(root);
  return all;
}

describe('local mode (npm start)', () => {
  let dir: string;
  const spawned: ChildProcess[] = [];
  const pids: number[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sb-local-'));
  });

  afterEach(() => {
    for (const c of spawned.splice(0)) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const pid of pids.splice(0)) {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const env = async (extra: Record<string, string> = {}) => ({
    REDIS_URL: '',
    PORT: String(await freePort()),
    WORKER_PORT: String(await freePort()),
    DATA_DIR: join(dir, 'data'),
    CONFIG_PATH: join(dir, 'config.yaml'),
    ...extra,
  });

  const ready = (output: () => string) =>
    waitFor(
      () => jsonLines(output()).find((l) => l.context === 'Launcher' && /^ready/.test(l.msg)),
      {
        timeoutMs: 60000,
        what: 'the launcher summary',
      },
    );

  it('should start through npm, print one summary, restart a crashed member, and stop everything in order on one SIGTERM to npm', async () => {
    // Two gateway processes on the port (npm start's default is one per core).
    const e = await env({ GATEWAY_WORKERS: '2' });
    const npm = run('npm', ['start'], e);
    spawned.push(npm.child);
    const summary = await ready(npm.output);
    // Each member names itself after its kind, this host and its port; the gateway processes
    // of one port add their number.
    const gw = `gateway-${hostname()}-${e.PORT}`;
    const gws = [`${gw}-1`, `${gw}-2`];
    const wk = `worker-${hostname()}-${e.WORKER_PORT}`;
    const members = tree(npm.child.pid!);
    pids.push(...members);
    // npm → node (exec: no shell in between) → redis-server, gateway, worker.
    const launcher = childrenOf(npm.child.pid!);
    expect(launcher).toHaveLength(1);
    expect(childrenOf(launcher[0])).toHaveLength(3);

    // First run: config.yaml created with two new client keys, shown in the summary once.
    const keys = summary.new_client_keys as string[];
    expect(keys).toHaveLength(2);
    const config = readFileSync(e.CONFIG_PATH, 'utf8');
    for (const k of keys) expect(config).toContain(`'${k}'`);
    expect(npm.output().split(keys[0]).length).toBe(2);
    expect(summary).toMatchObject({
      gateway_url: `http://127.0.0.1:${e.PORT}/`,
      gateway_processes: 2,
      panel_url: `http://127.0.0.1:${e.PORT}/management.html`,
      worker_health_url: `http://127.0.0.1:${e.WORKER_PORT}/health`,
      config: e.CONFIG_PATH,
      redis: expect.stringMatching(/^redis:\/\/127\.0\.0\.1:\d+ /),
    });
    // Quiet, machine-readable output: JSON only, no route lines, no colours, one ready line each.
    const out = npm.output();
    const lines = out.split('\n').filter((l) => l.startsWith('{'));
    expect(out).not.toMatch(ANSI);
    expect(out).not.toMatch(/Mapped \{/);
    const readyLines = jsonLines(out).filter((l) => /^ready/.test(l.msg));
    expect(readyLines.map((l) => l.process).sort()).toEqual([...gws, 'switchboard', wk].sort());
    expect(lines.length).toBeLessThan(20);
    const status = await fetch(`http://127.0.0.1:${e.PORT}/status`);
    expect(status.status).toBe(200);
    const worker = (await (await fetch(`http://127.0.0.1:${e.WORKER_PORT}/health`)).json()) as {
      process: string;
    };
    expect(worker.process).toBe(wk);

    // A crashed member comes back after 1 s.
    const workerPid = members.find(
      (p) =>
        p !== launcher[0] &&
        execFileSync('ps', ['-o', 'args=', '-p', String(p)])
          .toString()
          .includes('worker'),
    )!;
    process.kill(workerPid, 'SIGKILL');
    await waitFor(
      () =>
        jsonLines(npm.output()).some((l) => l.msg === `${wk} crashed (SIGKILL); restarting in 1 s`),
      { timeoutMs: 10000, what: 'the restart notice' },
    );
    await waitFor(
      () =>
        jsonLines(npm.output()).filter((l) => l.process === wk && /^ready/.test(l.msg)).length ===
        2,
      { timeoutMs: 30000, what: 'the worker ready again' },
    );
    const afterRestart = tree(npm.child.pid!);
    pids.push(...afterRestart);

    // What systemd, `timeout` or a process manager does: SIGTERM to the npm process alone.
    process.kill(npm.child.pid!, 'SIGTERM');
    expect(await npm.exited).toBe(0);
    const all = jsonLines(npm.output());
    const drains = all.filter((l) => /draining/.test(l.msg));
    // The gateway's primary relays the SIGTERM to its two processes; each drains once.
    expect(drains.map((l) => l.process).sort()).toEqual([gw, ...gws, wk].sort());
    expect(all.some((l) => /again/.test(l.msg))).toBe(false);
    const order = all.map((l) => `${l.process}: ${l.msg}`);
    const redisStop = order.indexOf('switchboard: members stopped; stopping redis-server');
    for (const name of [...gws, wk]) {
      expect(order.indexOf(`${name}: stopped cleanly`)).toBeGreaterThan(-1);
      expect(redisStop).toBeGreaterThan(order.indexOf(`${name}: stopped cleanly`));
    }
    expect(order[order.length - 1]).toBe('switchboard: stopped');
    expect(readFileSync(join(e.DATA_DIR, 'redis', 'redis.log'), 'utf8')).toMatch(
      /Received SIGTERM/,
    );
    for (const pid of afterRestart) expect(alive(pid)).toBe(false);
  }, 150000);

  it('should drain once on Ctrl-C in a terminal (pty), with colours, and leave nothing behind', async () => {
    const e = await env({ GATEWAY_WORKERS: '2' });
    // `script` gives npm a pseudo-terminal, as an interactive shell would. It runs the command
    // through $SHELL -c; `exec` makes npm the terminal's foreground process as it is under an
    // interactive shell, whatever $SHELL is (dash would otherwise die of the Ctrl-C itself and
    // `script` would report its 130, not npm's status).
    const pty = run('script', ['-qfec', 'exec npm start', '/dev/null'], { ...e, TERM: 'xterm' });
    spawned.push(pty.child);
    await waitFor(() => /Ctrl-C stops everything/.test(pty.output()), {
      timeoutMs: 60000,
      what: 'the launcher summary',
    });
    const before = tree(pty.child.pid!);
    pids.push(...before);
    expect(pty.output()).toMatch(ANSI);
    pty.child.stdin.write('\x03');
    expect(await pty.exited).toBe(0);
    const out = pty.output().replace(ANSI, '').replace(/\r/g, '');
    // The worker, the gateway's primary and its two processes: each once.
    expect(out.match(/draining/g)).toHaveLength(4);
    expect(out).not.toMatch(/again/);
    expect(out.indexOf('stopping redis-server')).toBeGreaterThan(
      out.lastIndexOf('stopped cleanly'),
    );
    expect(out).toMatch(/\[switchboard\] .*stopped\n/);
    for (const pid of before) expect(alive(pid)).toBe(false);
  }, 120000);

  it('should take its children with it when the launcher itself is killed, Redis last', async () => {
    const app = startNode(START, { ...(await env({ GATEWAY_WORKERS: '2' })), LOG_LEVEL: 'info' });
    spawned.push(app.child);
    await ready(app.output);
    // The Redis keeper, the gateway and the worker; redis-server under the keeper, the two
    // gateway processes under the gateway.
    expect(childrenOf(app.child.pid!)).toHaveLength(3);
    const all = tree(app.child.pid!);
    pids.push(...all);
    const args = (pid: number) => execFileSync('ps', ['-o', 'args=', '-p', String(pid)]).toString();
    const redis = all.find((p) => /redis-server/.test(args(p)) && !/redis-keeper/.test(args(p)))!;
    const members = all.filter((p) => args(p).includes('dist/apps/'));
    expect(members).toHaveLength(4);
    app.child.kill('SIGKILL');
    const goneAt = new Map<number, number>();
    await waitFor(
      () => {
        for (const p of all) if (!goneAt.has(p) && !alive(p)) goneAt.set(p, Date.now());
        return goneAt.size === all.length;
      },
      { timeoutMs: 45000, intervalMs: 50, what: 'gateway, worker and redis-server to exit' },
    );
    // The members drained against a live Redis: it stopped after them all.
    for (const m of members) expect(goneAt.get(redis)!).toBeGreaterThanOrEqual(goneAt.get(m)!);
  }, 90000);

  it('should print the problems of an invalid config.yaml once and exit 78 without starting anything', async () => {
    const e = await env();
    writeFileSync(e.CONFIG_PATH, 'port: 99999\napi-keys: 5\n');
    const app = startNode(START, { ...e, LOG_LEVEL: 'info' });
    spawned.push(app.child);
    expect(await app.exited).toBe(78);
    const out = app.output();
    expect(out.split('2 problems').length).toBe(2);
    expect(out).toMatch(/line 1: port: /);
    expect(out).not.toMatch(/\n\s+at /);
    expect(existsSync(join(e.DATA_DIR, 'redis'))).toBe(false);
  }, 60000);

  it('should say how to install redis-server and exit non-zero when there is none', async () => {
    const app = startNode(START, {
      ...(await env()),
      REDIS_SERVER_BIN: join(dir, 'no-such-redis-server'),
    });
    spawned.push(app.child);
    expect(await app.exited).toBe(1);
    expect(app.output()).toMatch(/apt-get install -y redis-server/);
    expect(app.output()).toMatch(/REDIS_URL/);
  }, 60000);
});
