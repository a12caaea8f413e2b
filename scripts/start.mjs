#!/usr/bin/env node
// npm start: the whole stack on this machine with one command. It builds when the sources
// changed, checks config.yaml (creating it on first run), starts redis-server as a child (unless
// REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES, or sentinels or cluster nodes in
// config.yaml, name a Redis), then the members (gateway, worker), and prints one summary once
// they listen. The gateway runs GATEWAY_WORKERS processes on its port (default: one per core).
//
// The launcher owns its children. They run in their own process groups, so a terminal's Ctrl-C
// reaches only npm and the launcher; one signal from any source (Ctrl-C, `kill`, systemd,
// `timeout`, npm forwarding) drains every member once, then stops Redis, then exits. Each member
// has an IPC channel to the launcher and drains and exits when it closes; redis-server runs
// under scripts/redis-keeper.mjs, which stops it once those members are gone. So no child
// outlives the launcher, and Redis always stops last. package.json runs this file with `exec`,
// so npm's own signal forwarding reaches it directly. docs/operations.md has the rest.
//
// It stays one plain-JS file (over 400 lines) on purpose: it must run before a build exists and
// when one fails, so it cannot lean on the compiled libs for anything before `buildIfNeeded()`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { explainLaunchError } from './launch-errors.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Longest member drain (the worker's 30 s) plus a margin, then SIGKILL. */
const DRAIN_MS = 35_000;
const REDIS_STOP_MS = 10_000;
/** npm forwards the terminal's Ctrl-C on top of the one the launcher already got. */
const DUPLICATE_SIGNAL_MS = 2000;
/**
 * The image's default Node flags (Dockerfile), unless NODE_OPTIONS is set: the heap cap, and one
 * V8 helper thread (see docs/performance.md).
 */
const DEFAULT_NODE_OPTIONS = '--max-old-space-size=1536 --v8-pool-size=1';

// --- before the build: plain output -------------------------------------------------------------

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
  process.stderr.write('[switchboard] building (sources changed since the last build)…\n');
  // The build's own output goes to stderr: stdout stays one format (JSON lines when not a TTY).
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
/** A line from a member's logger: `[<member name>] …`. */
const MEMBER_LINE = /^\[[\w.:@-]+\] /;

const dist = (rel) => import(pathToFileURL(join(root, 'dist', rel)).href);

// --- small helpers -----------------------------------------------------------------------------

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

function findBinary(name, pinned, places) {
  if (pinned !== undefined) return existsSync(pinned) ? pinned : '';
  for (const p of places) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], {
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

/** Split a stream into lines. */
function onLines(stream, fn) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      fn(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  stream.on('end', () => buf && fn(buf));
}

/** `http://0.0.0.0:8317` → `http://127.0.0.1:8317`: an address a browser on this machine can open. */
function localUrl(url) {
  return url.replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\]|::)(?=:)/, '$1127.0.0.1');
}

function hidePassword(url) {
  return url.replace(/(:\/\/[^/:@]*:)[^/@]+@/, '$1****@');
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

// --- the launcher --------------------------------------------------------------------------------

/**
 * The members to run. One gateway and one worker today; more gateway processes are more entries
 * here (each with its own name and env). Each is labelled with the name it gives itself in the
 * cluster (`<kind>-<host>-<port>` unless SB_PROCESS_NAME / SB_WORKER_NAME set one), so the
 * launcher's lines and the members' own lines name the same process.
 */
function plannedMembers(env, lib, gatewayPort) {
  return [
    {
      // With GATEWAY_WORKERS > 1 this process runs that many gateway processes on the port,
      // each a cluster member of its own (`<name>-1`, `<name>-2`…), restarted by it.
      name: lib.resolveProcessName('gateway', env, gatewayPort),
      processName: env.SB_PROCESS_NAME || '',
      kind: 'gateway',
      script: join(root, 'dist/apps/gateway/src/main.js'),
      env: { GATEWAY_WORKERS: env.GATEWAY_WORKERS?.trim() || 'auto' },
    },
    {
      name: lib.resolveProcessName('worker', { ...env, SB_PROCESS_NAME: env.SB_WORKER_NAME }),
      processName: env.SB_WORKER_NAME || '',
      kind: 'worker',
      script: join(root, 'dist/apps/worker/src/main.js'),
      env: {},
    },
  ];
}

class Launcher {
  constructor(lib) {
    this.lib = lib;
    this.format = lib.logFormatOf(process.env, process.stdout);
    this.colors = lib.colorsOf(this.format, process.env, process.stdout);
    this.log = this.loggerFor('switchboard');
    this.members = new Map();
    this.redis = undefined;
    this.timers = new Set();
    this.stopping = undefined; // { at, promise }
    this.summaryPrinted = false;
    this.started = Date.now();
  }

  loggerFor(processName) {
    const { AppLogger, appLoggerOptions } = this.lib;
    const opts = appLoggerOptions(processName, process.env, process.stdout);
    return new AppLogger({ ...opts, format: this.format, colors: this.colors });
  }

  /** Relay a child's output: its own log lines as they are, anything else labelled with its name. */
  relay(child, name) {
    const raw = this.loggerFor(name);
    const pass = (line, stream) => {
      if (!line) return;
      if (this.format === 'json') {
        if (line.startsWith('{')) process.stdout.write(`${line}\n`);
        else if (stream === 'stderr') raw.error(line, 'stderr');
        else raw.log(line, 'stdout');
        return;
      }
      const out = stream === 'stderr' ? process.stderr : process.stdout;
      // A member's own log lines start with its name (whatever it is); the rest gets the label.
      const named = MEMBER_LINE.test(line.replace(ANSI, ''));
      out.write(named ? `${line}\n` : `[${name}] ${line}\n`);
    };
    onLines(child.stdout, (l) => pass(l, 'stdout'));
    onLines(child.stderr, (l) => pass(l, 'stderr'));
  }

  childEnv(extra) {
    return {
      NODE_OPTIONS: DEFAULT_NODE_OPTIONS,
      ...process.env,
      // The children write to a pipe: they print what this terminal (or file) wants.
      LOG_FORMAT: this.format,
      FORCE_COLOR: this.colors ? '1' : '0',
      ...extra,
    };
  }

  async startRedis() {
    const bin = findBinary('redis-server', process.env.REDIS_SERVER_BIN, [
      '/usr/bin/redis-server',
      '/usr/local/bin/redis-server',
      '/opt/homebrew/bin/redis-server',
    ]);
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
    const dir = join(this.dataDir, 'redis');
    mkdirSync(dir, { recursive: true });
    const logfile = join(dir, 'redis.log');
    const args = [
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
      // Its banner and notices go to a file; the launcher reports what matters.
      '--logfile',
      logfile,
    ];
    // The keeper stops it after the members, even if the launcher dies first.
    const keeper = join(root, 'scripts', 'redis-keeper.mjs');
    const child = spawn(process.execPath, [keeper, bin, ...args], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.relay(child, 'redis');
    this.redis = { child, url: `redis://127.0.0.1:${port}`, dir, logfile };
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      this.log.error(
        `redis-server exited (${signal ?? code}); see ${logfile}. Stopping everything`,
        'Launcher',
      );
      void this.shutdown('redis-server exited', 1);
    });
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (this.stopping) return;
      if (Date.now() > deadline) {
        let tail = '';
        try {
          tail = readFileSync(logfile, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
        } catch {
          // no log written
        }
        this.log.error(`redis-server did not start within 10 s:\n${tail}`, 'Launcher');
        return this.shutdown('redis-server did not start', 1);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  startMember(m) {
    const { RESTART_EXIT_CODE, CONFIG_EXIT_CODE } = this.lib;
    const child = spawn(process.execPath, [m.script], {
      cwd: root,
      env: this.childEnv({
        ...this.sharedEnv,
        ...m.env,
        SB_PROCESS_NAME: m.processName,
        SB_RESTARTS: String(m.restarts),
      }),
      // Own process group: a terminal's Ctrl-C is the launcher's to relay, once.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    m.child = child;
    m.startedAt = Date.now();
    m.stopped = false;
    // The Redis keeper waits for these before it stops Redis, should the launcher die.
    const pids = [...this.members.values()].map((x) => x.child?.pid).filter(Boolean);
    if (this.redis?.child.connected) this.redis.child.send({ members: pids });
    this.relay(child, m.name);
    child.on('message', (msg) => {
      if (msg && msg.type === 'ready') {
        m.ready = msg;
        this.maybeSummary();
      }
    });
    // A failed spawn (the binary vanished) is reported through 'exit' as well.
    child.on('error', (err) => this.log.error(`${m.name}: ${err.message}`, 'Launcher'));
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      if (code === 0) {
        // A clean exit (cluster POST /shutdown or /processes/:name/stop) stays down.
        m.stopped = true;
        this.log.log(`${m.name} stopped`, 'Launcher');
        if ([...this.members.values()].every((x) => x.stopped))
          void this.shutdown('every member stopped');
        return;
      }
      if (code === CONFIG_EXIT_CODE) {
        this.log.error(
          `${m.name} cannot run with this configuration (its message is above); not restarting`,
          'Launcher',
        );
        void this.shutdown(`${m.name} stopped on a configuration problem`, CONFIG_EXIT_CODE);
        return;
      }
      m.restarts += 1;
      if (code === RESTART_EXIT_CODE) {
        // Asked to restart (cluster API): not a crash, no delay.
        this.log.log(`${m.name} restarting (asked by the cluster API)`, 'Launcher');
        this.startMember(m);
        return;
      }
      this.crashed(m, signal ?? `exit code ${code}`);
    });
  }

  crashed(m, how) {
    const decision = m.policy.crashed(Date.now(), m.startedAt);
    if (decision.action === 'give-up') {
      this.log.error(
        `${m.name} crashed ${decision.crashes} times within 2 minutes (last: ${how}); giving up`,
        'Launcher',
      );
      void this.shutdown(`${m.name} keeps crashing`, 1);
      return;
    }
    const delay = decision.delayMs;
    this.log.warn(`${m.name} crashed (${how}); restarting in ${delay / 1000} s`, 'Launcher');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopping) this.startMember(m);
    }, delay);
    this.timers.add(timer);
  }

  maybeSummary() {
    if (this.summaryPrinted || this.stopping) return;
    const members = [...this.members.values()];
    if (!members.every((m) => m.ready)) return;
    this.summaryPrinted = true;
    const gateway = members.find((m) => m.kind === 'gateway')?.ready;
    const worker = members.find((m) => m.kind === 'worker')?.ready;
    const gatewayUrl = `${localUrl(gateway.url)}/`;
    const panelUrl = gateway.panel ? `${localUrl(gateway.url)}${gateway.panel}` : undefined;
    const workerUrl = `${localUrl(worker.url)}/health`;
    const redis = this.redis
      ? `${this.redis.url} (started here; data in ${this.redis.dir})`
      : this.redisElsewhere;
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    if (this.format === 'json') {
      this.log.log(
        {
          msg: `ready in ${seconds} s`,
          gateway_url: gatewayUrl,
          gateway_processes: gateway.processes ?? 1,
          panel_url: panelUrl ?? null,
          worker_health_url: workerUrl,
          redis,
          config: this.configPath,
          ...(this.newKeys.length ? { new_client_keys: this.newKeys } : {}),
        },
        'Launcher',
      );
      return;
    }
    const panelNote =
      panelUrl && !gateway.management
        ? ' (sign-in needs remote-management.secret-key in config.yaml)'
        : '';
    const lines = [
      `ready in ${seconds} s`,
      `  gateway  ${gatewayUrl}   (${gateway.processes ? `${gateway.processes} processes; ` : ''}status /status, metrics /metrics)`,
      panelUrl ? `  panel    ${panelUrl}${panelNote}` : '  panel    off (disable-control-panel)',
      `  worker   ${workerUrl}`,
      `  redis    ${redis}`,
      `  config   ${this.configPath}`,
    ];
    if (this.newKeys.length) {
      lines.push(
        '  client keys (new in config.yaml, printed this once; send one as Authorization: Bearer <key>):',
        ...this.newKeys.map((k) => `           ${k}`),
      );
    }
    lines.push('Ctrl-C stops everything.');
    this.log.log(lines.join('\n'), 'Launcher');
  }

  /**
   * Stop everything, once: drain every member (SIGTERM, bounded), then stop Redis, then exit.
   * A repeat signal after the first few seconds makes the members exit at once.
   */
  shutdown(reason, exitCode = 0, { signal = false } = {}) {
    if (this.stopping) {
      if (signal && Date.now() - this.stopping.at > DUPLICATE_SIGNAL_MS) {
        this.log.warn(`${reason} again: members exit now`, 'Launcher');
        for (const m of this.members.values()) m.child?.kill('SIGTERM');
      }
      return this.stopping.promise;
    }
    const at = Date.now();
    const promise = (async () => {
      for (const t of this.timers) clearTimeout(t);
      const live = [...this.members.values()]
        .map((m) => m.child)
        .filter((c) => c && c.exitCode === null && c.signalCode === null);
      if (live.length || this.redis) this.log.log(`${reason}: stopping…`, 'Launcher');
      for (const child of live) child.kill('SIGTERM');
      await Promise.all(live.map((c) => waitExit(c, DRAIN_MS)));
      if (this.redis) {
        if (live.length) this.log.log('members stopped; stopping redis-server', 'Launcher');
        this.redis.child.kill('SIGTERM');
        await waitExit(this.redis.child, REDIS_STOP_MS);
      }
      this.log.log('stopped', 'Launcher');
      process.exit(exitCode);
    })();
    this.stopping = { at, promise };
    return promise;
  }

  async run() {
    const { preflightConfig, formatConfigIssues, CONFIG_EXIT_CODE } = this.lib;
    this.dataDir = resolve(process.env.DATA_DIR || join(root, 'data'));
    this.configPath = resolve(process.env.CONFIG_PATH || join(root, 'config.yaml'));
    // One check of config.yaml before anything starts: its problems print once, here, and not
    // once per member; on first run it is created with new client keys.
    const pre = await preflightConfig({ ...process.env, CONFIG_PATH: this.configPath });
    if (!pre.ok) {
      this.log.error(formatConfigIssues(pre.errors, pre.path), 'Config');
      this.log.error('fix config.yaml and run `npm start` again', 'Launcher');
      process.exit(CONFIG_EXIT_CODE);
    }
    this.newKeys = pre.newKeys;
    mkdirSync(this.dataDir, { recursive: true });
    // A Redis named in the environment or in config.yaml (sentinels, cluster): use it.
    const r = pre.config.redis;
    if (process.env.REDIS_URL) {
      this.redisElsewhere = `${hidePassword(process.env.REDIS_URL)} (REDIS_URL)`;
    } else if (r.sentinels.length > 0) {
      this.redisElsewhere = `Sentinel primary "${r['sentinel-name']}" via ${r.sentinels.join(',')}`;
    } else if (r['cluster-nodes'].length > 0) {
      this.redisElsewhere = `Redis Cluster via ${r['cluster-nodes'].join(',')}`;
    } else {
      await this.startRedis();
    }
    if (this.stopping) return;
    this.sharedEnv = {
      REDIS_URL: this.redis?.url ?? process.env.REDIS_URL,
      DATA_DIR: this.dataDir,
      CONFIG_PATH: this.configPath,
    };
    for (const spec of plannedMembers(process.env, this.lib, pre.config.port)) {
      // Crash restarts: 1 s doubling to 30 s; 5 crashes within 2 minutes end the run.
      const m = { ...spec, restarts: 0, policy: new this.lib.RestartPolicy(), startedAt: 0 };
      this.members.set(m.name, m);
    }
    for (const m of this.members.values()) this.startMember(m);
  }
}

let launcher;
const early = (reason) => {
  // A signal before the launcher exists (during the build): nothing to stop yet.
  if (!launcher) process.exit(130);
  void launcher.shutdown(reason, 0, { signal: true });
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => early(signal));

// Started by npm (`exec` in package.json makes npm our parent): if npm itself is killed, stop.
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) early('npm exited');
  }, 1000).unref();
}

try {
  buildIfNeeded();
  const [logger, config, supervisor, policy, cluster, names] = await Promise.all([
    dist('libs/logs/src/app-logger.js'),
    dist('libs/config/src/index.js'),
    dist('libs/common/src/supervisor.js'),
    dist('libs/common/src/restart-policy.js'),
    dist('libs/cluster/src/member-control.js'),
    dist('libs/common/src/process-name.js'),
  ]);
  launcher = new Launcher({ ...logger, ...config, ...supervisor, ...policy, ...cluster, ...names });
  await launcher.run();
} catch (err) {
  // Known launch failures (failed build, missing dependencies) in one line with the fix.
  process.stderr.write(`[switchboard] ${explainLaunchError(err) ?? err?.stack ?? err}\n`);
  if (launcher) void launcher.shutdown('error', 1);
  else process.exit(1);
}
