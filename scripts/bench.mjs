#!/usr/bin/env node
// npm run bench — proxy throughput and added latency, measured, not asserted.
//
// Starts a canned OpenAI upstream (test/bench/canned-upstream.ts), one gateway process (usage
// recording on, Redis on, the image's heap cap) and a load generator — wrk when it is on PATH
// (`apt-get install wrk`), autocannon otherwise — all on 127.0.0.1, then prints: direct-to-fake throughput,
// through-gateway throughput and their ratio, p50/p99 latency added at a fixed 1,000 req/s, and
// gateway RSS — for non-stream chat and a 20-chunk stream, OpenAI→OpenAI and Claude→OpenAI, the
// bare pass-through for both — then a pass/fail table of the targets in docs/performance.md.
//
// Options: --duration <s> (default 10), --connections <n> (default 32), --json <file>,
//          --usage off (usage statistics off, for comparison), --request-log on,
//          --rate <n> (added-latency runs, default 1000/s), --loader autocannon (even when wrk is
//          installed), --cpu-prof <dir>.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const { Pool } = require('undici');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const DURATION = Number(arg('duration', '10'));
const CONNECTIONS = Number(arg('connections', '32'));
const USAGE = arg('usage', 'on') !== 'off';
const REQUEST_LOG = arg('request-log', 'off') === 'on';
const JSON_OUT = arg('json', '');
/** Requests per second of the added-latency runs. */
const RATE = Number(arg('rate', '1000'));
// A directory: the gateway writes a V8 CPU profile there when it exits (open in Chrome DevTools).
const CPU_PROF = arg('cpu-prof', '');
const KEY = 'sk-bench-client';
const MODEL = 'bench-model';

const children = [];
/** Scratch files of this run (wrk scripts); set in main(). */
let BENCH_DIR = tmpdir();
const cleanups = [];

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

function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  children.push(child);
  return { child, output: () => out };
}

async function waitHttp(url, ok = (s) => s === 200, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (ok(r.status)) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitRedis(port) {
  const end = Date.now() + 10000;
  while (Date.now() < end) {
    const ok = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('error', () => res(false));
      s.once('connect', () => s.write('PING\r\n'));
      s.once('data', (d) => {
        s.destroy();
        res(d.toString().startsWith('+PONG'));
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The peak RSS of `pid` while a run lasts (sampled every 200 ms; 0 without a pid). */
function sampleRss(pid) {
  let max = 0;
  const timer = pid
    ? setInterval(() => {
        max = Math.max(max, rssMb(pid));
      }, 200)
    : undefined;
  return {
    stop() {
      if (timer) clearInterval(timer);
      return Math.round(max);
    },
  };
}

/** wrk on PATH (the preferred generator: its C event loop leaves the cores to the gateway). */
const WRK = (() => {
  if (arg('loader', '') === 'autocannon') return '';
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();

/** "1.23ms" / "850.00us" / "1.02s" → milliseconds. */
function wrkMs(text) {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

let luaSeq = 0;
/** One wrk run (closed loop, `connections` in flight); its summary in autocannon's terms. */
function runWrk({ url, body, headers, connections, duration }) {
  const lua = join(BENCH_DIR, `run-${++luaSeq}.lua`);
  const lines = ['wrk.method = "POST"', `wrk.body = [==[${JSON.stringify(body)}]==]`];
  for (const [k, v] of Object.entries({ 'content-type': 'application/json', ...headers }))
    lines.push(`wrk.headers["${k}"] = "${v}"`);
  writeFileSync(lua, lines.join('\n') + '\n');
  return new Promise((resolve, reject) => {
    const child = spawn(
      WRK,
      ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', '-s', lua, url],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`));
      const num = (re) => Number(re.exec(out)?.[1] ?? 0);
      const pct = (p) => wrkMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
        out,
      );
      resolve({
        rps: num(/Requests\/sec:\s+([\d.]+)/),
        total: num(/(\d+) requests in/),
        p50: pct(50),
        p99: pct(99),
        errors:
          num(/Non-2xx or 3xx responses: (\d+)/) +
          (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
      });
    });
  });
}

/** autocannon run (the fallback when wrk is not installed). */
async function runAutocannon({ url, body, headers, connections, duration }) {
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration,
    pipelining: 1,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (result.non2xx ?? 0),
  };
}

/** Throughput run; samples the gateway's RSS meanwhile. */
async function load(
  name,
  { url, body, headers = {}, connections = CONNECTIONS, duration = DURATION, pid },
) {
  const rss = sampleRss(pid);
  const opts = { url, body, headers, connections, duration };
  const r = WRK ? await runWrk(opts) : await runAutocannon(opts);
  return { name, ...r, maxRssMb: rss.stop() };
}

/**
 * Open-loop latency at a fixed rate: requests leave on schedule whether or not earlier ones have
 * answered (no coordinated omission), each timed from its scheduled start with the
 * high-resolution clock, so sub-millisecond differences show.
 */
async function latencyAt(name, { url, body, headers = {}, rate, duration, connections = 16, pid }) {
  const rss = sampleRss(pid);
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections, pipelining: 1 });
  const payload = JSON.stringify(body);
  const hdrs = { 'content-type': 'application/json', ...headers };
  const samples = [];
  let errors = 0;
  const inflight = new Set();
  const total = Math.round(rate * duration);
  const t0 = process.hrtime.bigint();
  const intervalNs = 1e9 / rate;
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const elapsed = Number(process.hrtime.bigint() - t0);
      const due = Math.min(total, Math.floor(elapsed / intervalNs) + 1);
      for (; sent < due; sent++) {
        const scheduled = t0 + BigInt(Math.round(sent * intervalNs));
        const p = pool
          .request({ path: u.pathname, method: 'POST', headers: hdrs, body: payload })
          .then(async (res) => {
            await res.body.arrayBuffer();
            if (res.statusCode !== 200) errors++;
            samples.push(Number(process.hrtime.bigint() - scheduled) / 1e6);
          })
          .catch(() => {
            errors++;
          })
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(inflight);
  await pool.close();
  const maxRssMb = rss.stop();
  samples.sort((a, b) => a - b);
  const q = (p) =>
    samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))] ?? NaN;
  return {
    name,
    p50: q(50),
    p99: q(99),
    errors,
    total: samples.length,
    maxRssMb,
  };
}

function table(rows, cols) {
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (vals) => vals.map((v, i) => String(v ?? '').padEnd(widths[i])).join('  ');
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(cols.map((c) => r[c])));
}

async function main() {
  if (
    !existsSync(join(root, 'dist/apps/gateway/src/main.js')) ||
    !existsSync(join(root, 'dist/test/bench/canned-upstream.js'))
  ) {
    console.log('building…');
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], {
      stdio: 'inherit',
      cwd: root,
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  BENCH_DIR = dir;
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

  // Redis: our own, unless REDIS_URL is given.
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const port = await freePort();
    start('redis-server', [
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
    await waitRedis(port);
    redisUrl = `redis://127.0.0.1:${port}`;
  }

  // The upstream: canned OpenAI answers (a 20-chunk stream when asked), cheap enough that the
  // cores go to the gateway.
  const fakePort = await freePort();
  start(process.execPath, [
    join(root, 'dist/test/bench/canned-upstream.js'),
    String(fakePort),
    '20',
  ]);
  const fakeUrl = `http://127.0.0.1:${fakePort}`;
  await waitHttp(`${fakeUrl}/`, (s) => s === 404);

  // The gateway.
  const gwPort = await freePort();
  const configPath = join(dir, 'config.yaml');
  writeFileSync(
    configPath,
    [
      `port: ${gwPort}`,
      `api-keys: ["${KEY}"]`,
      `usage-statistics-enabled: ${USAGE}`,
      `request-log: ${REQUEST_LOG}`,
      'redis:',
      '  key-prefix: "bench:"',
      'openai-compatibility:',
      '  - name: fake',
      `    base-url: "${fakeUrl}/v1"`,
      '    api-key-entries:',
      '      - api-key: "sk-upstream"',
      '    models:',
      `      - name: ${MODEL}`,
      '',
    ].join('\n'),
  );
  const profArgs = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [];
  const gw = start(process.execPath, [...profArgs, join(root, 'dist/apps/gateway/src/main.js')], {
    CONFIG_PATH: configPath,
    REDIS_URL: redisUrl,
    AUTH_DIR: join(dir, 'auths'),
    DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'warn',
    SB_PROCESS_NAME: 'gateway-bench',
    // As the image runs it (Dockerfile ENV), unless the caller sets its own.
    NODE_OPTIONS: process.env.NODE_OPTIONS ?? '--max-old-space-size=1536 --v8-pool-size=1',
  });
  const gwUrl = `http://127.0.0.1:${gwPort}`;
  await waitHttp(`${gwUrl}/status`);
  const pid = gw.child.pid;

  const chat = {
    model: MODEL,
    messages: [{ role: 'user', content: 'Say hello to the benchmark.' }],
  };
  const chatStream = { ...chat, stream: true };
  const claude = {
    model: MODEL,
    max_tokens: 256,
    messages: [{ role: 'user', content: 'Say hello to the benchmark.' }],
  };
  const claudeStream = { ...claude, stream: true };
  const auth = { authorization: `Bearer ${KEY}` };
  const upstreamAuth = { authorization: 'Bearer sk-upstream' };

  // Reference: a bare Fastify + undici pass-through on the same machine.
  const barePort = await freePort();
  start(process.execPath, [
    join(root, 'dist/test/bench/bare-passthrough.js'),
    fakeUrl,
    String(barePort),
  ]);
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await waitHttp(`${bareUrl}/`, (s) => s === 404);

  // Warm up JIT and pools on every path measured below.
  for (const [path, body] of [
    ['/v1/chat/completions', chat],
    ['/v1/chat/completions', chatStream],
    ['/v1/messages', claude],
    ['/v1/messages', claudeStream],
  ]) {
    await load('warmup', { url: `${gwUrl}${path}`, body, headers: auth, duration: 2 });
  }
  await load('warmup', { url: `${bareUrl}/v1/chat/completions`, body: chat, duration: 2 });

  const rows = [];
  const pair = async (label, directBody, gwPath, gwBody) => {
    const direct = await load(`${label} direct`, {
      url: `${fakeUrl}/v1/chat/completions`,
      body: directBody,
      headers: upstreamAuth,
    });
    const via = await load(`${label} gateway`, {
      url: `${gwUrl}${gwPath}`,
      body: gwBody,
      headers: auth,
      pid,
    });
    rows.push({ ...direct, ratio: '' });
    rows.push({ ...via, ratio: `${((via.rps / direct.rps) * 100).toFixed(1)}%` });
    return via;
  };
  const bareRow = async (label, body, direct) => {
    const bare = await load(label, { url: `${bareUrl}/v1/chat/completions`, body });
    rows.push({ ...bare, ratio: `${((bare.rps / direct.rps) * 100).toFixed(1)}%` });
    return bare;
  };
  const openai = await pair('openai→openai non-stream', chat, '/v1/chat/completions', chat);
  const bare = await bareRow('bare fastify+undici pass-through', chat, rows[0]);
  const openaiStream = await pair(
    'openai→openai stream(20)',
    chatStream,
    '/v1/chat/completions',
    chatStream,
  );
  const bareStream = await bareRow('bare fastify+undici stream(20)', chatStream, rows[3]);
  const claudeRow = await pair('claude→openai non-stream', chat, '/v1/messages', claude);
  const claudeStreamRow = await pair(
    'claude→openai stream(20)',
    chatStream,
    '/v1/messages',
    claudeStream,
  );

  // Added latency at a fixed, moderate rate (open loop, high-resolution clock), per path.
  const latency = [];
  for (const [label, directBody, path, body] of [
    ['openai→openai non-stream', chat, '/v1/chat/completions', chat],
    ['openai→openai stream(20)', chatStream, '/v1/chat/completions', chatStream],
    ['claude→openai non-stream', chat, '/v1/messages', claude],
    ['claude→openai stream(20)', chatStream, '/v1/messages', claudeStream],
  ]) {
    const run = { rate: RATE, duration: Math.min(DURATION, 10) };
    const d = await latencyAt(`${label} direct @${RATE}/s`, {
      url: `${fakeUrl}/v1/chat/completions`,
      body: directBody,
      headers: upstreamAuth,
      ...run,
    });
    const g = await latencyAt(`${label} gateway @${RATE}/s`, {
      url: `${gwUrl}${path}`,
      body,
      headers: auth,
      ...run,
      pid,
    });
    latency.push({
      name: label,
      'p50 direct': d.p50.toFixed(3),
      'p50 gateway': g.p50.toFixed(3),
      'p50 added (ms)': (g.p50 - d.p50).toFixed(3),
      'p99 added (ms)': (g.p99 - d.p99).toFixed(3),
      errors: g.errors,
      p50Added: g.p50 - d.p50,
      p99Added: g.p99 - d.p99,
      maxRssMb: g.maxRssMb,
    });
  }

  console.log(
    `\nSwitchboard bench — ${CONNECTIONS} connections, ${DURATION}s per run, usage ${USAGE ? 'on' : 'off'}, request log ${REQUEST_LOG ? 'on' : 'off'}`,
  );
  console.log(
    `node ${process.version}, ${(await import('node:os')).cpus().length} cores, load generator ${WRK ? 'wrk' : 'autocannon'}\n`,
  );
  table(
    rows.map((r) => ({
      run: r.name,
      'req/s': Math.round(r.rps),
      'p50 ms': r.p50,
      'p99 ms': r.p99,
      'gw/direct': r.ratio,
      errors: r.errors,
      'gw RSS MB': r.maxRssMb || '',
    })),
    ['run', 'req/s', 'p50 ms', 'p99 ms', 'gw/direct', 'errors', 'gw RSS MB'],
  );
  console.log('');
  table(latency, [
    'name',
    'p50 direct',
    'p50 gateway',
    'p50 added (ms)',
    'p99 added (ms)',
    'errors',
  ]);
  const maxRss = Math.max(...rows.map((r) => r.maxRssMb || 0), ...latency.map((l) => l.maxRssMb));

  // The targets (docs/performance.md): ratios within this run, so the machine's speed cancels.
  const pct = (a, b) => (a / b) * 100;
  const targets = [
    ['openai→openai non-stream / bare', pct(openai.rps, bare.rps), '≥ 50 %', (v) => v >= 50],
    ['claude→openai non-stream / bare', pct(claudeRow.rps, bare.rps), '≥ 40 %', (v) => v >= 40],
    [
      'openai→openai stream(20) / its non-stream',
      pct(openaiStream.rps, openai.rps),
      '≥ 70 %',
      (v) => v >= 70,
    ],
    [
      'claude→openai stream(20) / its non-stream',
      pct(claudeStreamRow.rps, claudeRow.rps),
      '≥ 70 %',
      (v) => v >= 70,
    ],
    [
      'openai→openai stream(20) / bare stream(20)',
      pct(openaiStream.rps, bareStream.rps),
      '(reference)',
      () => undefined,
    ],
  ].map(([name, value, target, ok]) => ({
    name,
    value: `${value.toFixed(1)} %`,
    target,
    ok: ok(value),
  }));
  for (const l of latency) {
    targets.push({
      name: `${l.name} p50 added @${RATE}/s`,
      value: `${l.p50Added.toFixed(3)} ms`,
      target: '≤ 0.5 ms',
      ok: l.p50Added <= 0.5,
    });
    targets.push({
      name: `${l.name} p99 added @${RATE}/s`,
      value: `${l.p99Added.toFixed(3)} ms`,
      target: '≤ 5 ms',
      ok: l.p99Added <= 5,
    });
  }
  targets.push({
    name: 'gateway peak RSS under load',
    value: `${maxRss} MB`,
    target: '≤ 200 MB',
    ok: maxRss <= 200,
  });
  console.log('');
  table(
    targets.map((t) => ({ ...t, result: t.ok === undefined ? '' : t.ok ? 'pass' : 'FAIL' })),
    ['name', 'value', 'target', 'result'],
  );
  console.log(`\ngateway max RSS under load: ${maxRss} MB`);
  if (JSON_OUT) {
    mkdirSync(dirname(JSON_OUT), { recursive: true });
    writeFileSync(
      JSON_OUT,
      JSON.stringify(
        {
          connections: CONNECTIONS,
          duration: DURATION,
          usage: USAGE,
          rows,
          latency,
          targets,
          maxRssMb: maxRss,
        },
        null,
        2,
      ),
    );
  }
}

async function shutdown(code) {
  for (const c of children.reverse()) {
    if (c.exitCode === null) c.kill('SIGTERM');
  }
  // A profiling gateway writes its profile on a clean exit: give it time to drain.
  const deadline = Date.now() + (CPU_PROF ? 15000 : 300);
  while (Date.now() < deadline && children.some((c) => c.exitCode === null)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const f of cleanups) f();
  process.exit(code);
}

main().then(
  () => shutdown(0),
  (err) => {
    console.error(err?.stack ?? err);
    for (const c of children)
      if (c.exitCode !== null && c.exitCode !== 0)
        console.error('child output:', c.spawnargs.join(' '));
    void shutdown(1);
  },
);
