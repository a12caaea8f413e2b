#!/usr/bin/env node
// npm run soak -- --minutes 30 — steady load through a small cluster, watching memory and Redis.
//
// Starts its own redis-server, the fake upstream, two gateway replicas and a worker from dist/
// (usage statistics, the request log, per-key limits and error logs all on), then sends a steady
// mix of OpenAI, Claude, Gemini and Responses requests (streamed and not, a few invalid ones and
// a few to a dead upstream) for --minutes. Every --interval seconds it prints request counts and
// latency, the RSS of each process and Redis key counts (DBSIZE and per key family, via SCAN).
// Halfway through, Redis is stopped (SIGSTOP) for --redis-outage seconds. The verdict at the end
// checks that RSS is flat after warm-up and that Redis holds no more than the configured caps.
//
// Options: --minutes 30, --rate 40 (requests/s), --interval 30 (s), --redis-outage 30 (s, 0 = none),
//          --json <file> (samples and verdict). Needs `npm run build` first. Exit 0 on PASS.
import { writeFileSync } from 'node:fs';
import {
  arg,
  freePort,
  numberArg,
  requireBuild,
  rssMb,
  sleep,
  startFake,
  startGateway,
  startRedis,
  startWorker,
  stopAll,
  writeConfig,
} from './local-cluster.mjs';

const MINUTES = numberArg('minutes', 30, 0.5);
const RATE = numberArg('rate', 40, 1);
const INTERVAL_S = numberArg('interval', 30, 5);
const OUTAGE_S = numberArg('redis-outage', 30, 0);
const JSON_OUT = arg('json', '');

const PREFIX = 'soak:';
const KEYS = ['sk-soak-client-0001', 'sk-soak-client-0002', 'sk-soak-client-0003'];
/** Caps written into the config, checked by the verdict. */
const CAPS = {
  requestLog: 2000,
  errorLogs: 10,
  detailsPerModel: 200,
};
const FORMATS = ['openai', 'claude', 'gemini', 'responses'];
/** Above this many MiB per minute after warm-up, a process is said to grow. */
const RSS_SLOPE_LIMIT = 2;
const MAX_IN_FLIGHT = 400;

function config(fakeUrl, deadUrl) {
  return `
api-keys: [${KEYS.map((k) => `"${k}"`).join(', ')}]
usage-statistics-enabled: true
error-logs-max-files: ${CAPS.errorLogs}
request-log-max-entries: ${CAPS.requestLog}
redis:
  key-prefix: "${PREFIX}"
  command-timeout-ms: 500
usage:
  details-max-per-model: ${CAPS.detailsPerModel}
limits:
  "*":
    rpm: 100000
    tpm: 100000000
    concurrency: 500
  "${KEYS[2]}":
    models: ["soak-*"]
openai-compatibility:
  - name: fake
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "soak-up-1"
      - api-key: "soak-up-2"
    models:
      - name: soak-model
      - name: soak-other
  - name: dead
    base-url: "${deadUrl}/v1"
    api-key-entries:
      - api-key: "soak-dead"
    models:
      - name: dead-model
`;
}

/** One request of the mix: URL path, headers, body. */
function request(n) {
  const key = KEYS[n % KEYS.length];
  const format = FORMATS[Math.floor(n / 3) % FORMATS.length];
  const stream = n % 2 === 0;
  // 1 in 25 is invalid (400), 1 in 40 goes to a dead upstream (502, then cooldown 429s).
  const model = n % 40 === 7 ? 'dead-model' : n % 5 === 0 ? 'soak-other' : 'soak-model';
  const text = `soak ${n % 100}`;
  const invalid = n % 25 === 3;
  const expectOk = !invalid && model !== 'dead-model';
  switch (format) {
    case 'openai':
      return {
        expectOk,
        path: '/v1/chat/completions',
        headers: { authorization: `Bearer ${key}` },
        body: invalid ? { model } : { model, stream, messages: [{ role: 'user', content: text }] },
      };
    case 'claude':
      return {
        expectOk,
        path: '/v1/messages',
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: invalid
          ? { model, messages: 'nope' }
          : { model, stream, max_tokens: 64, messages: [{ role: 'user', content: text }] },
      };
    case 'gemini':
      return {
        expectOk,
        path: `/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
        headers: { 'x-goog-api-key': key },
        body: invalid ? { contents: 7 } : { contents: [{ role: 'user', parts: [{ text }] }] },
      };
    default:
      return {
        expectOk,
        path: '/v1/responses',
        headers: { authorization: `Bearer ${key}` },
        body: invalid ? { model, input: 7 } : { model, stream, input: text },
      };
  }
}

/** Key family: the key without the prefix, its first two parts, ids and dates as `*`. */
function family(key) {
  const rest = key.startsWith(PREFIX) ? key.slice(PREFIX.length) : `(no prefix) ${key}`;
  return rest
    .split(':')
    .slice(0, 2)
    .map((p) => (/\d/.test(p) && /^[0-9a-zA-Z_.@-]{6,}$/.test(p) ? '*' : p))
    .join(':');
}

async function keyCounts(redis) {
  const families = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) families[family(k)] = (families[family(k)] ?? 0) + 1;
  } while (cursor !== '0');
  return { dbsize: await redis.dbsize(), families };
}

/** Cap checks: the capped structures are within what the config allows. */
async function capChecks(redis) {
  const checks = [];
  const requestLog = await redis.xlen(`${PREFIX}logs:requests`);
  // XADD MAXLEN ~ trims in whole macro nodes (100 entries by default).
  checks.push({
    what: `request log entries ≤ ${CAPS.requestLog} (+ trimming slack)`,
    value: requestLog,
    ok: requestLog <= CAPS.requestLog + 200,
  });
  let errorLogs = 0;
  let maxDetails = 0;
  let limitKeys = 0;
  let noTtl = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) {
      if (k.startsWith(`${PREFIX}logs:{errors}:`)) errorLogs++;
      if (k.startsWith(`${PREFIX}{usage}:det:`)) {
        maxDetails = Math.max(maxDetails, await redis.zcard(k));
      }
      if (k.startsWith(`${PREFIX}limits:`)) {
        limitKeys++;
        if ((await redis.pttl(k)) < 0) noTtl++;
      }
    }
  } while (cursor !== '0');
  checks.push({
    what: `error logs ≤ ${CAPS.errorLogs}`,
    value: errorLogs,
    ok: errorLogs <= CAPS.errorLogs,
  });
  checks.push({
    what: `usage details per key and model ≤ ${CAPS.detailsPerModel}`,
    value: maxDetails,
    ok: maxDetails <= CAPS.detailsPerModel,
  });
  checks.push({
    what: `limit keys ≤ 4 per limited client key (${4 * KEYS.length}), all expiring`,
    value: limitKeys,
    ok: limitKeys <= 4 * KEYS.length && noTtl === 0,
  });
  return checks;
}

/** V8 heap in use, from a process's /metrics (prom-client's default metrics); NaN if unreachable. */
async function heapUsedMb(url) {
  try {
    const text = await (await fetch(url)).text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(text);
    return m ? Number(m[1]) / 1048576 : NaN;
  } catch {
    return NaN;
  }
}

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function percentile(values, p) {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function send(gw, n, stats) {
  const r = request(n);
  const t0 = Date.now();
  let status = 0;
  try {
    const res = await fetch(`${gw.url}${r.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...r.headers },
      body: JSON.stringify(r.body),
    });
    await res.text();
    status = res.status;
  } catch {
    status = 0;
  }
  const ms = Date.now() - t0;
  stats.done++;
  stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
  stats.latencies.push(ms);
  if (r.expectOk) {
    stats.healthy.total++;
    if (status === 200) stats.healthy.ok++;
  }
  if (stats.outage && r.expectOk) {
    stats.outage.total++;
    if (status === 200) stats.outage.answered++;
    stats.outage.slowest = Math.max(stats.outage.slowest, ms);
  }
}

async function main() {
  requireBuild();
  const redis = await startRedis();
  const fake = await startFake();
  // A port nothing listens on: the "dead" upstream.
  const deadUrl = `http://127.0.0.1:${await freePort()}`;
  const cfg = writeConfig(config(fake.url, deadUrl));
  const gateways = [
    await startGateway('gateway-1', cfg, redis.url),
    await startGateway('gateway-2', cfg, redis.url),
  ];
  const worker = await startWorker('worker-1', cfg, redis.url);
  const procs = [
    ...gateways.map((g) => ({ name: g.name, pid: g.pid, metrics: `${g.url}/metrics` })),
    { name: worker.name, pid: worker.pid, metrics: `http://127.0.0.1:${worker.port}/metrics` },
    { name: 'redis', pid: redis.pid },
  ];

  const runMs = MINUTES * 60_000;
  const outageMs = OUTAGE_S * 1000;
  const outageAt = outageMs > 0 && outageMs * 3 <= runMs ? runMs / 2 - outageMs / 2 : -1;
  console.log(
    `soak: ${MINUTES} min at ${RATE} req/s through 2 gateways, sampling every ${INTERVAL_S} s` +
      (outageAt >= 0
        ? `; Redis stopped for ${OUTAGE_S} s at ${Math.round(outageAt / 1000)} s`
        : '; no Redis outage (run too short or --redis-outage 0)'),
  );

  const stats = {
    sent: 0,
    done: 0,
    byStatus: {},
    latencies: [],
    outage: undefined,
    healthy: { total: 0, ok: 0 },
  };
  const outage = { total: 0, answered: 0, slowest: 0 };
  const samples = [];
  const t0 = Date.now();
  let inFlight = 0;
  let skipped = 0;
  let n = 0;

  const sample = async () => {
    const at = (Date.now() - t0) / 1000;
    const rss = Object.fromEntries(procs.map((p) => [p.name, rssMb(p.pid)]));
    const heap = {};
    for (const p of procs) if (p.metrics) heap[p.name] = await heapUsedMb(p.metrics);
    let keys;
    try {
      keys = await keyCounts(redis.client);
    } catch {
      keys = { dbsize: NaN, families: {} };
    }
    const lat = stats.latencies.splice(0);
    const s = {
      at,
      done: stats.done,
      byStatus: { ...stats.byStatus },
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
      rss,
      heap,
      keys,
    };
    samples.push(s);
    const fam = Object.entries(keys.families)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(
      `t=${String(Math.round(at)).padStart(5)}s  done ${stats.done}  ` +
        `statuses ${JSON.stringify(stats.byStatus)}  p50 ${s.p50} ms  p99 ${s.p99} ms\n` +
        `         RSS MB ${Object.entries(rss)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join('  ')}   heap used MB ${Object.entries(heap)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join('  ')}\n` +
        `         Redis DBSIZE ${keys.dbsize}: ${fam}`,
    );
  };

  await sample();
  const ticker = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
    while (n < due) {
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        n++;
        continue;
      }
      const gw = gateways[n % gateways.length];
      inFlight++;
      stats.sent++;
      void send(gw, n, stats).finally(() => inFlight--);
      n++;
    }
  }, 20);

  let outageDone = outageAt < 0;
  let nextSample = INTERVAL_S * 1000;
  while (Date.now() - t0 < runMs) {
    const elapsed = Date.now() - t0;
    if (!outageDone && elapsed >= outageAt) {
      outageDone = true;
      console.log(`         stopping Redis for ${OUTAGE_S} s`);
      stats.outage = outage;
      redis.pause();
      setTimeout(() => {
        redis.resume();
        stats.outage = undefined;
        console.log('         Redis resumed');
      }, outageMs);
    }
    if (elapsed >= nextSample) {
      nextSample += INTERVAL_S * 1000;
      await sample();
    }
    await sleep(200);
  }
  clearInterval(ticker);
  while (inFlight > 0) await sleep(50);
  await sleep(2000);
  await sample();

  // Verdict.
  // V8 grows its heap for the first minute or so of steady traffic; judge what follows.
  const warmAt = Math.max(2 * INTERVAL_S, 60, (runMs / 1000) * 0.2);
  const steady = samples.filter((s) => s.at >= warmAt);
  const verdict = { rss: [], keys: [], caps: await capChecks(redis.client), outage: undefined };
  for (const p of procs) {
    const xs = steady.map((s) => s.at / 60);
    const ys = steady.map((s) => s.rss[p.name]);
    const perMin = slope(xs, ys);
    const growth = ys.length ? ys[ys.length - 1] - ys[0] : 0;
    const heapSlope = p.metrics
      ? slope(
          xs,
          steady.map((s) => s.heap[p.name]),
        )
      : undefined;
    verdict.rss.push({
      process: p.name,
      slopeMbPerMin: Number(perMin.toFixed(2)),
      growthMb: Number(growth.toFixed(1)),
      heapSlopeMbPerMin: heapSlope === undefined ? undefined : Number(heapSlope.toFixed(2)),
      ok: perMin < RSS_SLOPE_LIMIT || growth < 10,
    });
  }
  const first = steady[0]?.keys ?? { dbsize: 0, families: {} };
  const last = samples[samples.length - 1].keys;
  for (const [fam, count] of Object.entries(last.families)) {
    const before = first.families[fam] ?? 0;
    // Day cells and round-robin cursors come and go with time and models, not with traffic;
    // BullMQ keeps at most 100 completed and 500 failed jobs per queue (libs/jobs).
    const timeBucketed = /^\{usage\}:cell|^routing:rr/.test(fam);
    const bullCapped = fam.startsWith('bull:') && count <= 610;
    if (count > before) {
      verdict.keys.push({
        family: fam,
        before,
        after: count,
        ok: timeBucketed || bullCapped || count - before <= 2,
      });
    }
  }
  if (outageAt >= 0) {
    verdict.outage = {
      seconds: OUTAGE_S,
      requests: outage.total,
      ok200: outage.answered,
      successRatio: outage.total ? outage.answered / outage.total : 1,
      slowestMs: outage.slowest,
      ok: outage.total === 0 || outage.answered / outage.total >= 0.999,
    };
  }
  const healthy = {
    what: 'valid requests to a live upstream answered 200 (≥ 99.9%)',
    value: `${stats.healthy.ok}/${stats.healthy.total}`,
    ok: stats.healthy.total > 0 && stats.healthy.ok / stats.healthy.total >= 0.999,
  };
  verdict.caps.unshift(healthy);
  const all = [...verdict.rss, ...verdict.keys, ...verdict.caps];
  if (verdict.outage) all.push(verdict.outage);
  const pass = all.every((c) => c.ok);

  console.log('\nverdict');
  for (const r of verdict.rss) {
    console.log(
      `  ${r.ok ? 'ok  ' : 'FAIL'} RSS ${r.process}: ${r.slopeMbPerMin} MB/min after warm-up (${r.growthMb >= 0 ? '+' : ''}${r.growthMb} MB)` +
        (r.heapSlopeMbPerMin === undefined ? '' : `; heap used ${r.heapSlopeMbPerMin} MB/min`),
    );
  }
  console.log(
    `  ${verdict.keys.every((k) => k.ok) ? 'ok  ' : 'FAIL'} Redis keys after warm-up: ${first.dbsize} → ${last.dbsize}` +
      (verdict.keys.length
        ? ` (${verdict.keys.map((k) => `${k.family} ${k.before}→${k.after}`).join(', ')})`
        : ' (no family grew)'),
  );
  for (const c of verdict.caps) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.value}`);
  if (verdict.outage) {
    const o = verdict.outage;
    console.log(
      `  ${o.ok ? 'ok  ' : 'FAIL'} Redis outage ${o.seconds} s: ${o.ok200}/${o.requests} valid requests answered 200, slowest ${o.slowestMs} ms`,
    );
  }
  if (skipped)
    console.log(`  note: ${skipped} requests skipped (more than ${MAX_IN_FLIGHT} in flight)`);
  console.log(pass ? 'PASS' : 'FAIL');
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ samples, verdict, pass }, null, 2));
  redis.client.disconnect();
  return pass;
}

main()
  .then(async (pass) => {
    await stopAll();
    process.exit(pass ? 0 : 1);
  })
  .catch(async (err) => {
    console.error(err instanceof Error ? err.stack : err);
    await stopAll();
    process.exit(1);
  });
