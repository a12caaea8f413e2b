#!/usr/bin/env node
// npm run test:compose: build the image and run docker-compose.yml for real (podman), with a
// second gateway replica (deploy/compose/replicas.yml) and a fake upstream plus a test config
// (deploy/compose/test.yml), then check the stack through loopback ports and tear it down. The
// mounted dirs are owned by root. A second stack runs three gateway replicas behind HAProxy on
// one port (deploy/compose/lb.yml): traffic spread, X-Forwarded-For, SSE, a WebSocket relay
// session, `podman stop` and `podman kill` of a replica under load. A third, smaller stack then
// starts the README's way: empty dirs owned by an unrelated uid, config.yaml created on first
// run, its key read and used.
// Every wait has a deadline; the stack and the temp dir are removed even on failure or Ctrl-C.
// Details: docs/containers.md.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_FILES = [
  'docker-compose.yml',
  'docker-compose.override.yml',
  'deploy/compose/replicas.yml',
  'deploy/compose/test.yml',
];
const TEST_CONFIG = join(root, 'deploy/compose/test.config.yaml');
// The machine's container kit sits beside the checkout (../shared); a clone elsewhere (a CI
// scratch dir) finds it at its usual absolute place.
const PREPARE =
  process.env.SB_CONTAINERS_PREPARE ??
  [
    join(root, '..', 'shared', 'containers', 'prepare.sh'),
    '/work/shared/containers/prepare.sh',
  ].find((p) => existsSync(p)) ??
  join(root, '..', 'shared', 'containers', 'prepare.sh');
const BASE_IMAGE = 'docker.io/library/node:20-bookworm-slim';
const REDIS_IMAGE = 'docker.io/library/redis:7-bookworm';
// deploy/compose/lb.yml's balancer (prepare.sh builds a stand-in when asked for `haproxy`).
const HAPROXY_IMAGE = 'docker.io/library/haproxy:2.6-bookworm';
const IMAGE = 'localhost/switchboard:local';
const SERVICES = ['redis', 'fake-upstream', 'gateway', 'gateway-2', 'worker'];
// The README's stack alone, its mounts pointed at a temp dir (deploy/compose/test-first-run.yml).
const FIRST_RUN_FILES = [
  'docker-compose.yml',
  'docker-compose.override.yml',
  'deploy/compose/test-first-run.yml',
];
// Three gateway replicas behind HAProxy on one port (deploy/compose/lb.yml), the image above.
const LB_FILES = ['docker-compose.yml', 'deploy/compose/lb.yml', 'deploy/compose/test-lb.yml'];
const LB_REPLICAS = 3;
const LB_SERVICES = ['redis', 'fake-upstream', 'worker', 'lb'];
const FIRST_RUN_SERVICES = ['redis', 'gateway', 'worker'];
/** How the README finds a first-run client key (README.md must show exactly this command). */
const README_KEY_COMMAND = 'grep -m1 -o "sk-sb-[A-Za-z0-9_-]*" config/config.yaml';
// Must match deploy/compose/test.config.yaml (checked at start).
const CLIENT_KEY = 'sk-compose-test-client';
const MANAGEMENT_KEY = 'sb-compose-test-management-key';
const MODEL = 'gpt-fake';
const PROVIDER = 'fakeoai';
// User `node` in node:20-bookworm-slim: the entrypoint hands root-owned dirs to it.
const NODE_UID = 1000;
// A host user the image knows nothing about: the process runs as the owner of its dirs.
const OTHER_UID = 4242;

const TOTAL_MS = 16 * 60_000; // build, the three stacks and cleanup stay under 16 minutes
const CLEANUP_MS = 60_000; // reserved for logs and `down -v` at the overall deadline
// A cold build (npm ci, tsc, vite) takes 3-4 minutes on an idle 2-core machine, more when busy.
const UP_MS = 7 * 60_000;
const HEALTHY_MS = 120_000;
const STOP_LIMIT_MS = 10_000;

const started = Date.now();
const project = `sbtest${process.pid}${Math.floor(Math.random() * 1e6)}`;
const firstRunProject = `${project}fr`;
const lbProject = `${project}lb`;
const results = [];
const children = new Set();
let workDir;
let firstRunDir;
let composeEnv = process.env;
let firstRunEnv = process.env;
let cleanupPromise;
let overallTimer;
let stackStarted = false; // from the first `up` on, cleanup has containers to remove
let firstRunStarted = false;
let lbDir;
let lbEnv = process.env;
let lbStarted = false;
let mainRemoved = false;
let aborting = false; // set once cleanup starts: checks still running are not reported

const ANSI = /\x1b\[[0-9;]*m/g;

const log = (msg) => process.stdout.write(`[test:compose] ${msg}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const container = (service, p = project) => `${p}_${service}_1`;

/** Throw with `message` unless `cond` holds. */
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Signal a child's whole process group (it may already be gone). */
function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already exited
  }
}

/** Run a command; resolves with its exit code and output, killing it at `timeoutMs`. */
function run(cmd, args, { timeoutMs = 60_000, env = composeEnv, stdio = 'pipe', cwd = root } = {}) {
  return new Promise((done) => {
    // Own process group, so a stop reaches podman-compose's podman children as well.
    const child = spawn(cmd, args, { cwd, env, stdio, detached: true });
    children.add(child);
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (out += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      setTimeout(() => killGroup(child, 'SIGKILL'), 5000).unref();
    }, timeoutMs);
    const finish = (code) => {
      clearTimeout(timer);
      children.delete(child);
      done({ code: timedOut ? -1 : code, out, timedOut });
    };
    child.on('error', (err) => {
      out += String(err);
      finish(127);
    });
    child.on('close', (code) => finish(code ?? -1));
  });
}

const podman = (args, opts) => run('podman', args, opts);
const compose = (args, opts) =>
  run('podman-compose', ['-p', project, ...COMPOSE_FILES.flatMap((f) => ['-f', f]), ...args], opts);
const composeLb = (args, opts) =>
  run('podman-compose', ['-p', lbProject, ...LB_FILES.flatMap((f) => ['-f', f]), ...args], {
    env: lbEnv,
    ...opts,
  });
const composeFirstRun = (args, opts) =>
  run(
    'podman-compose',
    ['-p', firstRunProject, ...FIRST_RUN_FILES.flatMap((f) => ['-f', f]), ...args],
    { env: firstRunEnv, ...opts },
  );

/** Poll `probe` until it returns a truthy value; throw its last error at the deadline. */
async function waitFor(what, probe, timeoutMs, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline)
      throw new Error(`${what}: gave up after ${seconds(timeoutMs)} (${last})`);
    await sleep(intervalMs);
  }
}

/** One HTTP call with a time limit; JSON bodies are parsed once. */
async function http(url, { method = 'GET', headers = {}, body, timeoutMs = 10_000 } = {}) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  if ((res.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(text);
  return { status: res.status, headers: res.headers, text, json };
}

/** Record one named check as PASS or FAIL; returns whether it passed. */
async function check(name, fn) {
  const t0 = Date.now();
  try {
    const detail = await fn();
    if (aborting) return false;
    results.push({ name, ok: true });
    log(`PASS  ${name} (${seconds(Date.now() - t0)})${detail ? `: ${detail}` : ''}`);
    return true;
  } catch (err) {
    if (aborting) return false;
    results.push({ name, ok: false });
    log(`FAIL  ${name} (${seconds(Date.now() - t0)}): ${err instanceof Error ? err.message : err}`);
    return false;
  }
}

/** A free TCP port on 127.0.0.1 (closed again, so podman can publish it). */
function freePort() {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => done(port));
    });
  });
}

/** Prometheus text lines as {name, labels, value}. */
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

const imageSize = async (ref) => {
  const r = await podman(['image', 'inspect', ref, '--format', '{{.Size}}']);
  return r.code === 0 ? Number(r.out.trim()) : NaN;
};
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

// --- environment ---------------------------------------------------------------------------

/** Podman, podman-compose and the base-image stand-ins; prepare.sh installs what is missing. */
async function ensurePodman() {
  const has = async (cmd) => (await run(cmd, ['--version'], { env: process.env })).code === 0;
  const haveTools = (await has('podman')) && (await has('podman-compose'));
  const haveImages =
    haveTools &&
    (await podman(['image', 'exists', BASE_IMAGE])).code === 0 &&
    (await podman(['image', 'exists', REDIS_IMAGE])).code === 0 &&
    (await podman(['image', 'exists', HAPROXY_IMAGE])).code === 0;
  if (haveTools && haveImages) return;
  if (!existsSync(PREPARE)) {
    // With podman but no stand-ins, a machine with registry access can still pull the bases.
    if (haveTools) return;
    throw new Error(`podman is missing and ${PREPARE} does not exist (set SB_CONTAINERS_PREPARE)`);
  }
  log(`running ${PREPARE} haproxy (podman, podman-compose, base images, HAProxy)`);
  const asRoot = process.getuid?.() === 0;
  const args = [PREPARE, 'haproxy'];
  const r = await run(asRoot ? 'bash' : 'sudo', asRoot ? args : ['-n', 'bash', ...args], {
    timeoutMs: 10 * 60_000,
    env: process.env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.code !== 0) throw new Error(`${PREPARE} failed (exit ${r.code})`);
}

const asRoot = process.getuid?.() === 0;

/**
 * Temp dir with config/ and auths/ owned by `uid` (config/config.yaml from the test config
 * when `withConfig`): the entrypoint must make them work whoever owns them. Without root the
 * dirs stay ours and are opened up instead (rootless podman maps uids elsewhere).
 */
function makeWorkDir(uid, withConfig) {
  const dir = mkdtempSync(join(tmpdir(), 'sb-compose-'));
  // Like a checkout anyone may enter (mkdtemp makes it 0700): the dirs' owner must reach them.
  chmodSync(dir, 0o755);
  const config = join(dir, 'config');
  const auths = join(dir, 'auths');
  mkdirSync(config);
  mkdirSync(auths);
  const paths = [config, auths];
  if (withConfig) {
    copyFileSync(TEST_CONFIG, join(config, 'config.yaml'));
    paths.push(join(config, 'config.yaml'));
  }
  for (const p of paths) {
    if (asRoot) chownSync(p, uid, uid);
    else chmodSync(p, p.endsWith('.yaml') ? 0o666 : 0o777);
  }
  return dir;
}

/** The commit /status must report (the build arg compose passes), or undefined without git. */
function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

const ownerOf = (p) => statSync(p).uid;

// --- teardown --------------------------------------------------------------------------------

/** Remove the stack, its volumes and network, and the temp dir; runs once. */
function cleanup(printLogs) {
  cleanupPromise ??= (async () => {
    aborting = true;
    for (const child of children) killGroup(child, 'SIGTERM');
    if (printLogs) {
      for (const service of SERVICES) {
        const r = await podman(['logs', '--tail', '25', container(service)], { timeoutMs: 10_000 });
        if (r.code !== 0) continue;
        log(`--- last log lines of ${service} ---`);
        const lines = r.out.replace(ANSI, '').replace(/^/gm, `  ${service} | `);
        process.stdout.write(`${lines.trimEnd()}\n`);
      }
    }
    if (printLogs && firstRunStarted) {
      for (const service of FIRST_RUN_SERVICES) {
        const r = await podman(['logs', '--tail', '25', container(service, firstRunProject)], {
          timeoutMs: 10_000,
        });
        if (r.code !== 0) continue;
        log(`--- last log lines of ${service} (first-run stack) ---`);
        process.stdout.write(`${r.out.replace(/^/gm, `  ${service} | `).trimEnd()}\n`);
      }
    }
    if (printLogs && lbStarted) await printLbLogs();
    if (stackStarted && !mainRemoved) await removeStack(project, compose);
    if (lbStarted) await removeStack(lbProject, composeLb);
    if (firstRunStarted) await removeStack(firstRunProject, composeFirstRun);
    await removeDir(workDir);
    await removeDir(lbDir);
    await removeDir(firstRunDir);
  })();
  return cleanupPromise;
}

/** `down -v`, then whatever podman-compose 1.0.3 leaves: containers of a half-done `up`, volumes, the network. */
async function removeStack(name, composeFn) {
  log(`cleanup: podman-compose -p ${name} down -v`);
  await composeFn(['down', '-v'], { timeoutMs: 120_000 });
  const label = `label=io.podman.compose.project=${name}`;
  const left = await podman(['ps', '-aq', '--filter', label]);
  const ids = left.out.split('\n').filter(Boolean);
  if (ids.length > 0) await podman(['rm', '-f', '-t', '1', ...ids], { timeoutMs: 60_000 });
  const vols = await podman(['volume', 'ls', '-q', '--filter', label]);
  const names = vols.out.split('\n').filter(Boolean);
  if (names.length > 0) await podman(['volume', 'rm', '-f', ...names]);
  await podman(['network', 'rm', '-f', `${name}_default`]);
}

async function removeDir(dir) {
  if (!dir) return;
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Rootless: files the container wrote belong to a sub-uid.
    await podman(['unshare', 'rm', '-rf', dir]);
  }
}

function onSignal(signal) {
  log(`${signal}: stopping and cleaning up`);
  void cleanup(false).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
}

// --- the checks ------------------------------------------------------------------------------

async function main() {
  const config = readFileSync(TEST_CONFIG, 'utf8');
  assert(
    config.includes(CLIENT_KEY) && config.includes(MANAGEMENT_KEY) && config.includes(MODEL),
    `${TEST_CONFIG} no longer holds the keys and model this script uses`,
  );
  await ensurePodman();
  // Counted from here: a first-time prepare.sh (1-4 minutes) is not the stack's fault.
  overallTimer = setTimeout(() => {
    log(`FAIL  overall deadline of ${seconds(TOTAL_MS)} reached`);
    results.push({ name: 'overall deadline', ok: false });
    void cleanup(true).finally(() => process.exit(1));
  }, TOTAL_MS - CLEANUP_MS);

  // First stack: dirs owned by root, as `sudo mkdir` or Docker itself would make them.
  workDir = makeWorkDir(0, true);
  const commit = gitCommit();
  const [gwPort, gw2Port, workerPort] = [await freePort(), await freePort(), await freePort()];
  composeEnv = {
    ...process.env,
    SB_COMPOSE_TEST_DIR: workDir,
    // The build arg docker-compose.yml passes on to /status build.commit.
    ...(commit ? { BUILD_COMMIT: commit } : {}),
    // podman builds OCI images by default, which drop HEALTHCHECK; Docker's format keeps it.
    BUILDAH_FORMAT: 'docker',
    // Unbuffered, so a timed-out `up` still shows how far it got.
    PYTHONUNBUFFERED: '1',
    SWITCHBOARD_PORT: `127.0.0.1:${gwPort}`,
    SWITCHBOARD_PORT_2: `127.0.0.1:${gw2Port}`,
    SWITCHBOARD_WORKER_PORT: String(workerPort),
  };
  const gateways = [
    { service: 'gateway', url: `http://127.0.0.1:${gwPort}` },
    { service: 'gateway-2', url: `http://127.0.0.1:${gw2Port}` },
  ];
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  const clientAuth = { authorization: `Bearer ${CLIENT_KEY}` };
  const mgmtAuth = { authorization: `Bearer ${MANAGEMENT_KEY}` };
  log(`project ${project}; gateway ${gwPort}, gateway-2 ${gw2Port}, worker ${workerPort}`);

  log('podman-compose up -d --build (a cold build takes 3-4 minutes)');
  stackStarted = true;
  const up = await check(
    'image builds (tini + entrypoint, HEALTHCHECK), every service starts',
    async () => {
      const r = await compose(['up', '-d', '--build'], { timeoutMs: UP_MS });
      // podman-compose 1.0.3 exits 0 and starts the old image when the build fails: read the log.
      if (!/Successfully tagged \S*switchboard:local/.test(r.out) || r.code !== 0) {
        const tail = r.out.trimEnd().split('\n').slice(-30).join('\n');
        throw new Error(`build or start failed (exit ${r.code}):\n${tail}`);
      }
      const ps = await podman([
        'ps',
        '--filter',
        `label=io.podman.compose.project=${project}`,
        '--format',
        '{{.Names}}',
      ]);
      const running = new Set(ps.out.split('\n').filter(Boolean));
      const missing = SERVICES.filter((s) => !running.has(container(s)));
      assert(missing.length === 0, `not running: ${missing.join(', ')}`);
      const [image] = JSON.parse((await podman(['image', 'inspect', IMAGE])).out);
      // Root only until the entrypoint has fixed the mounts' ownership (checked below).
      assert(
        ['', 'root', '0'].includes(image.Config.User ?? ''),
        `image user ${image.Config.User}`,
      );
      const entry = image.Config.Entrypoint?.join(' ');
      assert(
        entry === '/usr/bin/tini -- /usr/local/bin/switchboard-entrypoint',
        `image entrypoint ${entry}`,
      );
      const hc = image.Healthcheck?.Test?.join(' ');
      assert(hc === 'CMD node dist/apps/gateway/src/healthcheck.js', `image healthcheck ${hc}`);
    },
  );
  if (!up) return;

  const waitHealthy = (services, timeoutMs) =>
    Promise.all(
      services.map((s) =>
        waitFor(
          `${s} healthcheck`,
          async () => {
            const r = await podman(['healthcheck', 'run', container(s)], { timeoutMs: 15_000 });
            if (r.code !== 0) throw new Error(r.out.trim() || `exit ${r.code}`);
            return true;
          },
          timeoutMs,
          1000,
        ),
      ),
    );
  const healthy = await check('every service passes its healthcheck (podman healthcheck run)', () =>
    waitHealthy(SERVICES, HEALTHY_MS).then(() => SERVICES.join(', ')),
  );
  if (!healthy) return;

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const gw of gateways) {
    await check(`${gw.service}: GET /status answers 200 with every field`, async () => {
      const { status, json: s } = await http(`${gw.url}/status`, { headers: clientAuth });
      assert(status === 200, `status ${status}`);
      assert(s.service === 'switchboard', `service ${s.service}`);
      assert(s.version === pkg.version, `version ${s.version}, package.json says ${pkg.version}`);
      assert(s.status === 'running', `status field ${s.status}`);
      assert(Number.isInteger(s.pid) && s.pid > 0, `pid ${s.pid}`);
      assert(s.port === 8317, `port ${s.port}`);
      assert(s.api_key_configured === true, `api_key_configured ${s.api_key_configured}`);
      assert(
        s.providers?.count === 1 && s.providers.active?.join() === PROVIDER,
        `providers ${JSON.stringify(s.providers)}`,
      );
      const b = s.build ?? {};
      assert(b.version === pkg.version, `build.version ${b.version}`);
      assert(typeof b.commit === 'string' && b.commit.length > 0, `build.commit ${b.commit}`);
      if (commit) assert(b.commit === commit, `build.commit ${b.commit}, git says ${commit}`);
      assert(s.host === '0.0.0.0', `host ${s.host} (the bind address)`);
      assert(/^\d+h \d+m \d+s$/.test(s.uptime), `uptime ${s.uptime}`);
      assert(!Number.isNaN(Date.parse(b.date)), `build.date ${b.date}`);
      const anonymous = await http(`${gw.url}/status`);
      assert(
        anonymous.status === 401,
        `without a key from a non-loopback peer: ${anonymous.status}`,
      );
    });
  }

  // One chat completion through each replica; their tokens and request ids feed the usage check.
  const calls = [];
  for (const gw of gateways) {
    await check(`${gw.service}: chat completion reaches the fake upstream`, async () => {
      const text = `hello through ${gw.service}`;
      const r = await http(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: clientAuth,
        body: { model: MODEL, messages: [{ role: 'user', content: text }] },
        timeoutMs: 20_000,
      });
      assert(r.status === 200, `status ${r.status}: ${r.text.slice(0, 300)}`);
      const content = r.json.choices?.[0]?.message?.content;
      assert(content === `echo: ${text}`, `content ${JSON.stringify(content)}`);
      const tokens = r.json.usage?.total_tokens;
      assert(Number.isInteger(tokens) && tokens > 0, `usage ${JSON.stringify(r.json.usage)}`);
      calls.push({ tokens, requestId: r.headers.get('x-request-id') });
      return `${tokens} tokens`;
    });
  }

  const expectUsage = async (gw, timeoutMs) => {
    assert(calls.length === gateways.length, 'cannot check: a chat completion above failed');
    const want = { requests: calls.length, tokens: calls.reduce((n, c) => n + c.tokens, 0) };
    const usage = await waitFor(
      `${gw.service} usage to show ${want.requests} requests`,
      async () => {
        const r = await http(`${gw.url}/v0/management/usage`, { headers: mgmtAuth });
        if (r.status !== 200) throw new Error(`status ${r.status}: ${r.text.slice(0, 200)}`);
        const u = r.json.usage;
        if (u.total_requests !== want.requests)
          throw new Error(`total_requests ${u.total_requests}`);
        return u;
      },
      timeoutMs,
    );
    assert(usage.success_count === want.requests, `success_count ${usage.success_count}`);
    assert(usage.failure_count === 0, `failure_count ${usage.failure_count}`);
    assert(
      usage.total_tokens === want.tokens,
      `total_tokens ${usage.total_tokens}, want ${want.tokens}`,
    );
    const apis = Object.values(usage.apis ?? {});
    assert(apis.length === 1, `apis: ${Object.keys(usage.apis ?? {}).join(', ')}`);
    const model = apis[0].models?.[MODEL];
    assert(model?.total_requests === want.requests, `${MODEL} requests ${model?.total_requests}`);
    assert(model.total_tokens === want.tokens, `${MODEL} tokens ${model.total_tokens}`);
    const ids = (model.details ?? []).map((d) => d.request_id).sort();
    const sent = calls.map((c) => c.requestId).sort();
    assert(ids.join() === sent.join(), `detail request ids ${ids.join()} != ${sent.join()}`);
    return `${want.requests} requests, ${want.tokens} tokens`;
  };
  for (const gw of gateways) {
    await check(`${gw.service}: /v0/management/usage holds both replicas' requests exactly`, () =>
      expectUsage(gw, 15_000),
    );
  }

  const inspect = async (service, format) =>
    (await podman(['inspect', container(service), '--format', format])).out.trim();
  const memberOf = {};
  // Default member names are `<kind>-<hostname>-<port>` (PORT 8317, WORKER_PORT 8318 inside).
  for (const s of ['gateway', 'gateway-2', 'worker']) {
    const [kind, port] = s === 'worker' ? ['worker', 8318] : ['gateway', 8317];
    memberOf[s] = `${kind}-${await inspect(s, '{{.Config.Hostname}}')}-${port}`;
  }
  const processes = async (gw) => {
    const r = await http(`${gw.url}/api/v1/processes`, { headers: mgmtAuth });
    if (r.status !== 200) throw new Error(`status ${r.status}: ${r.text.slice(0, 200)}`);
    return new Map(r.json.processes.map((p) => [p.name, p]));
  };
  const expectRunning = (gw, services, timeoutMs) =>
    waitFor(
      `${services.join(', ')} running and healthy in ${gw.service}'s /api/v1/processes`,
      async () => {
        const list = await processes(gw);
        for (const s of services) {
          const p = list.get(memberOf[s]);
          if (p?.status !== 'running' || p.health !== 'healthy') {
            throw new Error(`${memberOf[s]}: ${p ? `${p.status}/${p.health}` : 'absent'}`);
          }
        }
        return true;
      },
      timeoutMs,
    );
  for (const gw of gateways) {
    await check(`${gw.service}: /api/v1/processes lists the worker and both gateways`, () =>
      expectRunning(gw, ['gateway', 'gateway-2', 'worker'], 30_000).then(() =>
        Object.values(memberOf).join(', '),
      ),
    );
  }

  const scrape = async (url) => {
    const r = await http(`${url}/metrics`);
    assert(r.status === 200, `status ${r.status}`);
    assert(r.headers.get('content-type')?.startsWith('text/plain'), 'not Prometheus text');
    const samples = parseMetrics(r.text);
    const up = samples.find((m) => m.name === 'switchboard_redis_up');
    assert(up?.value === 1, `switchboard_redis_up ${up?.value}`);
    return samples;
  };
  for (const gw of gateways) {
    await check(`${gw.service}: /metrics counts its chat completion`, async () => {
      const samples = await scrape(gw.url);
      const chat = samples.find(
        (m) =>
          m.name === 'switchboard_http_request_duration_seconds_count' &&
          m.labels.route === '/v1/chat/completions' &&
          m.labels.status === '200',
      );
      assert(chat?.value === 1, `chat completions counted: ${chat?.value}`);
    });
  }
  await check('worker: /metrics answers with Redis up', async () => {
    await scrape(workerUrl);
  });

  await check('management key is hashed back into the mounted config.yaml', async () => {
    await waitFor(
      'the bcrypt hash in config.yaml',
      () => {
        const text = readFileSync(join(workDir, 'config', 'config.yaml'), 'utf8');
        return /secret-key: ['"]?\$2[aby]\$/.test(text) && !text.includes(MANAGEMENT_KEY);
      },
      15_000,
    );
  });

  await check(
    'root-owned mounts are handed to node (uid 1000), which runs the processes',
    async () => {
      for (const p of [
        join(workDir, 'config'),
        join(workDir, 'auths'),
        join(workDir, 'config', 'config.yaml'),
      ]) {
        if (asRoot) assert(ownerOf(p) === NODE_UID, `${p} owned by ${ownerOf(p)}`);
      }
      for (const service of ['gateway', 'gateway-2', 'worker']) {
        const user = await processUser(container(service));
        assert(user === 'node', `${service} runs as ${user}`);
      }
    },
  );

  await check('podman-compose restart gateway: healthy again, usage survived', async () => {
    const pidBefore = await inspect('gateway', '{{.State.Pid}}');
    const r = await compose(['restart', 'gateway'], { timeoutMs: 60_000 });
    assert(
      r.code === 0,
      `restart exit ${r.code}: ${r.out.trim().split('\n').slice(-5).join(' | ')}`,
    );
    assert(
      (await inspect('gateway', '{{.State.Pid}}')) !== pidBefore,
      'the process was not replaced',
    );
    await waitHealthy(['gateway'], 60_000);
    await expectUsage(gateways[0], 15_000);
    await expectRunning(gateways[1], ['gateway'], 30_000);
  });

  await check(
    'podman-compose restart redis: usage survived (AOF on the named volume)',
    async () => {
      const r = await compose(['restart', 'redis'], { timeoutMs: 60_000 });
      assert(r.code === 0, `restart exit ${r.code}`);
      await waitHealthy(['redis'], 60_000);
      await expectUsage(gateways[1], 30_000);
      // Every member reconnects on its own (a gateway's /status is 503 until it has).
      await waitHealthy(['gateway', 'gateway-2', 'worker'], 60_000);
      await expectRunning(gateways[0], ['gateway', 'gateway-2', 'worker'], 30_000);
    },
  );

  for (const service of ['gateway', 'worker']) {
    await check(`podman stop ${service}: exits 0 within ${STOP_LIMIT_MS / 1000} s`, async () => {
      const t0 = Date.now();
      const r = await podman(['stop', '-t', String(STOP_LIMIT_MS / 1000), container(service)], {
        timeoutMs: STOP_LIMIT_MS + 20_000,
      });
      const took = Date.now() - t0;
      assert(r.code === 0, `podman stop exit ${r.code}: ${r.out.trim()}`);
      const exit = Number(await inspect(service, '{{.State.ExitCode}}'));
      assert(exit === 0, `exit code ${exit} after ${seconds(took)}`);
      assert(took < STOP_LIMIT_MS, `took ${seconds(took)}`);
      // A graceful stop says goodbye: the member shows as stopped, not crashed.
      await waitFor(
        `${memberOf[service]} stopped in gateway-2's /api/v1/processes`,
        async () => (await processes(gateways[1])).get(memberOf[service])?.status === 'stopped',
        10_000,
      );
      return `in ${seconds(took)}`;
    });
  }

  // Free the machine before the next stacks.
  await removeStack(project, compose);
  mainRemoved = true;
  await loadBalanced();
  await firstRun(commit);
}

/**
 * A browser-side relay app on /v1/ws (docs/proxy.md): answers every relayed Gemini call with
 * one JSON answer. Resolves once the socket is open.
 */
function relayApp(url) {
  return new Promise((resolveOpen, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    );
    ws.once('error', reject);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString('utf8'));
      if (frame.type !== 'http_request') return;
      const answer = {
        candidates: [
          {
            content: { role: 'model', parts: [{ text: 'relayed through the balancer' }] },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 },
      };
      ws.send(
        JSON.stringify({
          id: frame.id,
          type: 'http_response',
          payload: {
            status: 200,
            headers: { 'Content-Type': ['application/json'] },
            body: JSON.stringify(answer),
          },
        }),
      );
    });
    ws.once('open', () => resolveOpen(ws));
  });
}

/** One chat completion; never throws (a failed connection is status 0). */
async function chatShot(baseUrl, headers, { stream = false, id } = {}) {
  const started = Date.now();
  try {
    const res = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        ...(id ? { 'x-request-id': id } : {}),
      },
      body: JSON.stringify({ model: MODEL, stream, messages: [{ role: 'user', content: 'lb' }] }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const ok =
      res.status === 200 &&
      (stream ? text.trimEnd().endsWith('data: [DONE]') : text.includes('"choices"'));
    return {
      started,
      ended: Date.now(),
      status: res.status,
      ok,
      ...(ok ? {} : { body: text.slice(0, 200) }),
    };
  } catch (err) {
    return {
      started,
      ended: Date.now(),
      status: 0,
      ok: false,
      error: String(err?.cause?.code ?? err),
    };
  }
}

/** `workers` loops of chat completions (one in four streamed) until `stop()` says so. */
function chatLoad(baseUrl, headers, workers, stop) {
  const shots = [];
  const done = Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let n = 0; !stop(); n++) {
        shots.push(await chatShot(baseUrl, headers, { stream: (w + n) % 4 === 0 }));
      }
    }),
  );
  return { shots, done };
}

/**
 * The load-balanced stack (deploy/compose/lb.yml): three gateway replicas behind HAProxy on one
 * published port. Traffic reaches all three; the client's address arrives through the
 * balancer's X-Forwarded-For; SSE streams arrive piece by piece and a WebSocket relay session
 * works through it; `podman stop` of one replica under load fails nothing, `podman kill` of
 * another fails only what was in flight on it.
 */
async function loadBalanced() {
  lbDir = makeWorkDir(0, true);
  const [lbPort, workerPort] = [await freePort(), await freePort()];
  lbEnv = {
    ...process.env,
    SB_COMPOSE_TEST_DIR: lbDir,
    PYTHONUNBUFFERED: '1',
    SWITCHBOARD_PORT: `127.0.0.1:${lbPort}`,
    SWITCHBOARD_WORKER_PORT: String(workerPort),
    SWITCHBOARD_GATEWAYS: String(LB_REPLICAS),
  };
  const url = `http://127.0.0.1:${lbPort}`;
  const clientAuth = { authorization: `Bearer ${CLIENT_KEY}` };
  const replica = (i) => `${lbProject}_gateway_${i}`;
  const replicas = Array.from({ length: LB_REPLICAS }, (_, i) => replica(i + 1));
  log(`load-balanced project ${lbProject}; balancer ${lbPort}, ${LB_REPLICAS} gateway replicas`);
  lbStarted = true;
  const up = await check(
    `load-balanced stack: ${LB_REPLICAS} gateway replicas behind HAProxy on one port`,
    async () => {
      const r = await composeLb(['up', '-d'], { timeoutMs: 180_000 });
      assert(r.code === 0, `up exit ${r.code}: ${r.out.trim().split('\n').slice(-10).join(' | ')}`);
      const ps = await podman([
        'ps',
        '--filter',
        `label=io.podman.compose.project=${lbProject}`,
        '--format',
        '{{.Names}}',
      ]);
      const running = new Set(ps.out.split('\n').filter(Boolean));
      const want = [...replicas, ...LB_SERVICES.map((svc) => container(svc, lbProject))];
      const missing = want.filter((n) => !running.has(n));
      assert(missing.length === 0, `not running: ${missing.join(', ')}`);
      await Promise.all(
        replicas.map((name) =>
          waitFor(
            `${name} healthcheck`,
            async () => {
              const h = await podman(['healthcheck', 'run', name], { timeoutMs: 15_000 });
              if (h.code !== 0) throw new Error(h.out.trim() || `exit ${h.code}`);
              return true;
            },
            HEALTHY_MS,
            1000,
          ),
        ),
      );
      await Promise.all(
        ['fake-upstream', 'worker'].map((svc) =>
          waitFor(
            `${svc} healthcheck`,
            async () => {
              const h = await podman(['healthcheck', 'run', container(svc, lbProject)], {
                timeoutMs: 15_000,
              });
              if (h.code !== 0) throw new Error(h.out.trim() || `exit ${h.code}`);
              return true;
            },
            HEALTHY_MS,
            1000,
          ),
        ),
      );
      // HAProxy sees every replica ready (two good checks each) and answers on its port.
      await waitFor(
        'the balancer',
        async () => (await http(`${url}/readyz`)).status === 200,
        30_000,
      );
      await sleep(3000);
      return replicas.join(', ');
    },
  );
  if (!up) return;

  await check('traffic through the one port reaches all three replicas', async () => {
    const ids = Array.from({ length: 24 }, (_, i) => `lb-spread-${process.pid}-${i}`);
    for (const id of ids) {
      const shot = await chatShot(url, clientAuth, { id });
      assert(shot.ok, `request ${id}: status ${shot.status} ${shot.body ?? shot.error ?? ''}`);
    }
    const lbAddress = await (async () => {
      const r = await podman([
        'inspect',
        container('lb', lbProject),
        '--format',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}',
      ]);
      return r.out.trim().split(/\s+/);
    })();
    const served = [];
    for (const name of replicas) {
      const logs = (await podman(['logs', name])).out.split('\n');
      const lines = logs
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .filter((l) => ids.includes(l.request_id) && l.route === '/v1/chat/completions');
      assert(lines.length > 0, `${name} served none of the ${ids.length} requests`);
      // The balancer's X-Forwarded-For is believed: the client, not the balancer.
      for (const l of lines) {
        assert(l.ip && !lbAddress.includes(l.ip), `${name} saw the client as ${l.ip}`);
      }
      served.push(lines.length);
    }
    assert(
      served.reduce((a, b) => a + b, 0) === ids.length,
      `served ${served.join('+')}, sent ${ids.length}`,
    );
    return `served ${served.join(' / ')}`;
  });

  await check('an SSE stream passes through the balancer unbuffered', async () => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...clientAuth, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        stream: true,
        messages: [{ role: 'user', content: 'sse' }],
      }),
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 200) {
      const body = await res.text();
      throw new Error(`status ${res.status}: ${body.slice(0, 200)}`);
    }
    assert((res.headers.get('content-type') ?? '').startsWith('text/event-stream'), 'not SSE');
    const arrivals = [];
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      text += decoder.decode(chunk, { stream: true });
      arrivals.push(Date.now());
    }
    assert(text.trimEnd().endsWith('data: [DONE]'), 'the stream did not end with [DONE]');
    // The fake pauses 150 ms between frames: unbuffered, they arrive spread over that time.
    const spread = arrivals[arrivals.length - 1] - arrivals[0];
    assert(arrivals.length >= 4 && spread >= 500, `${arrivals.length} pieces over ${spread} ms`);
    return `${arrivals.length} pieces over ${seconds(spread)}`;
  });

  await check('a WebSocket relay session (/v1/ws) works through the balancer', async () => {
    const ws = await relayApp(`ws://127.0.0.1:${lbPort}/v1/ws`);
    try {
      const model = 'gemini-2.5-flash';
      // Every replica learns of the relay through Redis, whichever one holds the socket.
      let answered = 0;
      await waitFor(
        'relayed answers from every replica',
        async () => {
          const r = await http(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: clientAuth,
            body: { model, messages: [{ role: 'user', content: 'relay' }] },
            timeoutMs: 15_000,
          });
          if (r.status !== 200) throw new Error(`status ${r.status}: ${r.text.slice(0, 200)}`);
          const content = r.json.choices?.[0]?.message?.content;
          assert(content === 'relayed through the balancer', `content ${content}`);
          return ++answered >= 6;
        },
        30_000,
        100,
      );
      return `${answered} relayed answers`;
    } finally {
      ws.close();
    }
  });

  await check('podman stop of a replica under load: no request fails', async () => {
    let stop = false;
    const load = chatLoad(url, clientAuth, 4, () => stop);
    await sleep(1500);
    const t0 = Date.now();
    const r = await podman(['stop', '-t', '20', replica(2)], { timeoutMs: 40_000 });
    const took = Date.now() - t0;
    assert(r.code === 0, `podman stop exit ${r.code}: ${r.out.trim()}`);
    await sleep(2000);
    stop = true;
    await load.done;
    const exit = Number(
      (await podman(['inspect', replica(2), '--format', '{{.State.ExitCode}}'])).out.trim(),
    );
    const failed = load.shots.filter((x) => !x.ok);
    assert(exit === 0, `${replica(2)} exit code ${exit}`);
    assert(
      failed.length === 0,
      `${failed.length} of ${load.shots.length} failed: ${JSON.stringify(failed.slice(0, 3))}`,
    );
    return `${load.shots.length} requests, 0 failed; stopped in ${seconds(took)}`;
  });

  await check(
    'podman kill of a replica under load: only requests in flight on it fail',
    async () => {
      let stop = false;
      const load = chatLoad(url, clientAuth, 4, () => stop);
      await sleep(1500);
      const killAt = Date.now();
      const r = await podman(['kill', replica(3)], { timeoutMs: 30_000 });
      const killed = Date.now();
      assert(r.code === 0, `podman kill exit ${r.code}: ${r.out.trim()}`);
      await sleep(4000);
      stop = true;
      await load.done;
      const inFlight = load.shots.filter((x) => x.started <= killed && x.ended >= killAt);
      const failed = load.shots.filter((x) => !x.ok);
      // Everything that failed was already under way when the replica died…
      const late = failed.filter((x) => x.started > killed);
      assert(late.length === 0, `${late.length} requests sent after the kill failed`);
      assert(
        failed.length <= inFlight.length,
        `${failed.length} failed, ${inFlight.length} in flight`,
      );
      // …and the balancer stopped sending to it: the rest all succeeded.
      const after = load.shots.filter((x) => x.started > killed);
      assert(after.length > 10, `only ${after.length} requests after the kill`);
      return `${load.shots.length} requests, ${failed.length} failed (${inFlight.length} in flight at the kill)`;
    },
  );

  // Free the machine before the last stack (its logs first when a check failed).
  if (results.some((x) => !x.ok)) await printLbLogs();
  await removeStack(lbProject, composeLb);
  lbStarted = false;
}

/** The last log lines of every container of the load-balanced stack. */
async function printLbLogs() {
  const names = [
    ...LB_SERVICES.map((svc) => container(svc, lbProject)),
    ...Array.from({ length: LB_REPLICAS }, (_, i) => `${lbProject}_gateway_${i + 1}`),
  ];
  for (const name of names) {
    const r = await podman(['logs', '--tail', '30', name], { timeoutMs: 10_000 });
    if (r.code !== 0) continue;
    log(`--- last log lines of ${name} ---`);
    process.stdout.write(`${r.out.replace(ANSI, '').replace(/^/gm, '  | ').trimEnd()}\n`);
  }
}

/** The user running the app's node process in a container (`podman top`). */
async function processUser(name) {
  const r = await podman(['top', name, 'user', 'args']);
  // Not tini's line (its arguments name the same script): the process whose command is node.
  const line = r.out.split('\n').find((l) => /^\S+\s+node dist\/apps\//.test(l.trim()));
  assert(line, `no app process in ${name}: ${r.out.trim()}`);
  return line.trim().split(/\s+/)[0];
}

/**
 * The README on a fresh machine, as a user whose uid the image does not know: empty config/
 * and auths/, `up`, read a first-run key from config/config.yaml, call /status with it.
 */
async function firstRun(commit) {
  firstRunDir = makeWorkDir(OTHER_UID, false);
  const [gwPort, workerPort] = [await freePort(), await freePort()];
  firstRunEnv = {
    ...process.env,
    SB_COMPOSE_TEST_DIR: firstRunDir,
    PYTHONUNBUFFERED: '1',
    SWITCHBOARD_PORT: `127.0.0.1:${gwPort}`,
    SWITCHBOARD_WORKER_PORT: String(workerPort),
  };
  const url = `http://127.0.0.1:${gwPort}`;
  const name = (service) => container(service, firstRunProject);
  log(`first-run project ${firstRunProject}; gateway ${gwPort}, worker ${workerPort}`);
  firstRunStarted = true;
  const up = await check(
    `first run: dirs owned by uid ${OTHER_UID}, every service starts`,
    async () => {
      const r = await composeFirstRun(['up', '-d'], { timeoutMs: 120_000 });
      assert(r.code === 0, `up exit ${r.code}: ${r.out.trim().split('\n').slice(-10).join(' | ')}`);
      await Promise.all(
        ['gateway', 'worker'].map((s) =>
          waitFor(
            `${s} healthcheck`,
            async () => {
              const h = await podman(['healthcheck', 'run', name(s)], { timeoutMs: 15_000 });
              if (h.code !== 0) throw new Error(h.out.trim() || `exit ${h.code}`);
              return true;
            },
            HEALTHY_MS,
            1000,
          ),
        ),
      );
    },
  );
  if (!up) return;

  let key;
  await check(
    'first run: config.yaml created with random keys, still owned by that uid',
    async () => {
      const file = join(firstRunDir, 'config', 'config.yaml');
      if (asRoot) {
        assert(ownerOf(file) === OTHER_UID, `config.yaml owned by ${ownerOf(file)}`);
        assert(ownerOf(join(firstRunDir, 'auths')) === OTHER_UID, 'auths/ changed owner');
      }
      assert((statSync(file).mode & 0o777) === 0o600, 'config.yaml is not owner-only');
      for (const service of ['gateway', 'worker']) {
        const user = await processUser(name(service));
        assert(user === String(OTHER_UID), `${service} runs as ${user}`);
      }
      // The README's command, run by the owner of the directory.
      const [cmd, ...args] = asRoot
        ? [
            'setpriv',
            `--reuid=${OTHER_UID}`,
            `--regid=${OTHER_UID}`,
            '--clear-groups',
            'sh',
            '-c',
            README_KEY_COMMAND,
          ]
        : ['sh', '-c', README_KEY_COMMAND];
      const r = await run(cmd, args, { env: process.env, cwd: firstRunDir });
      key = r.out.trim();
      assert(r.code === 0 && /^sk-sb-[A-Za-z0-9_-]{32}$/.test(key), `key command said: ${r.out}`);
      assert(
        !/^\s*-\s*'your-api-key-\d+'/m.test(readFileSync(file, 'utf8')),
        'placeholder client keys left in config.yaml',
      );
      // Printed once, by whichever process created the file, on its stdout (a JSON line).
      let printed = 0;
      for (const service of ['gateway', 'worker']) {
        const logs = await podman(['logs', name(service)]);
        printed += logs.out.split(key).length - 1;
        for (const line of logs.out.split('\n').filter(Boolean)) JSON.parse(line);
      }
      assert(printed === 1, `the key appears ${printed} times in the logs`);
    },
  );

  await check("first run: the README's curl with the key answers 200, without it 401", async () => {
    assert(key, 'no key from the check above');
    const withKey = await http(`${url}/status`, { headers: { authorization: `Bearer ${key}` } });
    assert(withKey.status === 200, `with the key: ${withKey.status} ${withKey.text.slice(0, 200)}`);
    if (commit)
      assert(withKey.json.build?.commit === commit, `build.commit ${withKey.json.build?.commit}`);
    const anonymous = await http(`${url}/status`);
    assert(anonymous.status === 401, `without a key from the host: ${anonymous.status}`);
  });

  await check(
    'a container started as a user who cannot write the mount says how to fix it',
    async () => {
      const locked = join(firstRunDir, 'locked');
      mkdirSync(locked, { mode: 0o700 });
      const r = await podman(
        [
          'run',
          '--rm',
          '--no-healthcheck',
          '--user',
          '1234:1234',
          '-v',
          `${locked}:/app/config`,
          IMAGE,
        ],
        { timeoutMs: 60_000 },
      );
      // podman's own notices (`time="…" level=…`) aside, the container says one thing.
      const lines = r.out
        .trim()
        .split('\n')
        .filter((l) => !/^time="[^"]*" level=/.test(l));
      assert(r.code === 78, `exit ${r.code}: ${r.out.trim()}`);
      assert(lines.length === 1 && /not writable .* chown/.test(lines[0]), `said: ${r.out.trim()}`);
    },
  );
}

// --- entry ---------------------------------------------------------------------------------

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

let crashed = false;
try {
  await main();
} catch (err) {
  crashed = true;
  results.push({ name: 'setup', ok: false });
  log(`FAIL  ${err instanceof Error ? err.message : err}`);
} finally {
  const failed = crashed || results.some((r) => !r.ok);
  await cleanup(failed);
  clearTimeout(overallTimer);
  const passed = results.filter((r) => r.ok).length;
  const [size, base] = [await imageSize(IMAGE), await imageSize(BASE_IMAGE)];
  const image = Number.isNaN(size)
    ? 'no image'
    : `image ${IMAGE} ${mb(size)} (+${mb(size - base)} over node:20-bookworm-slim, ${mb(base)})`;
  log(
    `${failed ? 'FAILED' : 'PASSED'}: ${passed} passed, ${results.length - passed} failed, ` +
      `in ${seconds(Date.now() - started)}; ${image}`,
  );
  process.exitCode = failed || results.length === 0 ? 1 : 0;
}
