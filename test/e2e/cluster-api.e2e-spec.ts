import { Logger } from '@nestjs/common';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessLogger } from '@app/logs';
import { FakeUpstream } from '@test/fakes';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';

const CLIENT_KEY = 'sk-cluster-e2e-client';
const MANAGEMENT_KEY = 'mgmt-cluster-e2e-key';
const MODEL = 'claude-cluster';
const REMOTE = '203.0.113.9';

interface Json {
  status: number;
  body: Record<string, unknown>;
}

async function getJson(url: string): Promise<Json> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function post(url: string): Promise<Json> {
  const res = await fetch(url, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Ask the proxy of one replica; returns the status and when the answer was complete. */
async function chat(gw: TestGateway, text: string): Promise<{ status: number; at: number }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: text }] }),
  });
  await res.text();
  return { status: res.status, at: Date.now() };
}

/** A live SSE reader: frames as they arrive, each with its arrival time. */
function openSse(url: string) {
  const frames: { event: string; data: string; at: number }[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { signal: controller.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      buf += value;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1] ?? '';
        const data = /^data: (.*)$/m.exec(frame)?.[1] ?? '';
        frames.push({ event, data, at: Date.now() });
      }
    }
  })().catch(() => undefined);
  return { frames, close: () => controller.abort(), done };
}

describe('cluster API: two gateway replicas and a worker', () => {
  const saved = { ...process.env };
  let dataDir: string;
  let fake: FakeUpstream;
  let gws: TestGateway[];
  let worker: ChildApp;

  beforeAll(async () => {
    const workerEntry = distEntry('apps/worker/src/main.js');
    dataDir = mkdtempSync(join(tmpdir(), 'sb-cluster-data-'));
    process.env.DATA_DIR = dataDir;
    process.env.MANAGEMENT_PASSWORD = MANAGEMENT_KEY;
    fake = await FakeUpstream.start();
    const yaml = `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('cluster-e2e')}"
claude-api-key:
  - api-key: "sk-ant-upstream-cluster"
    base-url: "${fake.url}"
    models:
      - name: ${MODEL}
`;
    gws = [await startGateway(yaml, 'gateway-1'), await startGateway(yaml, 'gateway-2')];
    worker = startNode(workerEntry, {
      CONFIG_PATH: gws[0].configPath,
      REDIS_URL: testRedisUrl(),
      WORKER_PORT: String(await freePort()),
      WORKER_HOST: '127.0.0.1',
      SB_PROCESS_NAME: 'worker-1',
      SB_DEMO_TOKEN: 'do-not-show-this',
      DATA_DIR: dataDir,
      // Its cluster join line (debug) is what the log query below looks for.
      LOG_LEVEL: 'debug',
    });
  }, 30_000);

  afterAll(async () => {
    await worker?.stop('SIGTERM');
    for (const gw of gws ?? []) await gw.close();
    await fake?.close();
    process.env = saved;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should list both gateways and the worker, with health from their own checks', async () => {
    const list = await waitFor(
      async () => {
        const r = await getJson(`${gws[0].url}/api/v1/processes`);
        const procs = r.body.processes as { name: string; status: string }[];
        return procs.length === 3 && procs.every((p) => p.status === 'running') ? procs : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'two gateways and a worker' },
    );
    expect(list.map((p) => p.name)).toEqual(['gateway-1', 'gateway-2', 'worker-1']);
    expect(list[0]).toEqual({
      name: 'gateway-1',
      kind: 'gateway',
      status: 'running',
      pid: process.pid,
      uptime_seconds: expect.any(Number),
      restarts: 0,
      health: 'healthy',
    });
    const w = await waitFor(
      async () => {
        const d = (await getJson(`${gws[1].url}/api/v1/processes/worker-1`)).body;
        return d.health === 'healthy' ? d : undefined;
      },
      { timeoutMs: 10_000, what: 'worker healthy' },
    );
    expect(w.pid).toBe(worker.child.pid);
    expect(w.healthcheck).toMatchObject({ checks: { redis: { ok: true }, queues: { ok: true } } });
    expect((w.env as Record<string, string>).SB_DEMO_TOKEN).toBe('****');
    expect(JSON.stringify(w)).not.toContain('do-not-show-this');
    const missing = await getJson(`${gws[0].url}/api/v1/processes/gateway-9`);
    expect(missing).toEqual({
      status: 404,
      body: { error: expect.stringContaining('gateway-9'), code: 'PROCESS_NOT_FOUND' },
    });
    const status = await getJson(`${gws[0].url}/api/v1/status`);
    expect(status.body).toEqual({
      status: 'running',
      uptime_seconds: expect.any(Number),
      config_file: gws[0].configPath,
      api_version: 'v1',
    });
  }, 30_000);

  it('should pause only the stopped replica: its proxy answers 503 while the other serves', async () => {
    expect((await chat(gws[1], 'before')).status).toBe(200);
    // the API call lands on gateway-1; the command reaches gateway-2 over Redis
    expect(await post(`${gws[0].url}/api/v1/processes/gateway-2/stop`)).toEqual({
      status: 200,
      body: { success: true },
    });
    expect((await chat(gws[1], 'while stopped')).status).toBe(503);
    expect((await chat(gws[0], 'other replica')).status).toBe(200);
    const procs = (await getJson(`${gws[0].url}/api/v1/processes`)).body.processes as {
      name: string;
      status: string;
    }[];
    expect(procs.find((p) => p.name === 'gateway-2')?.status).toBe('stopped');
    expect((await post(`${gws[0].url}/api/v1/processes/gateway-2/stop`)).body.code).toBe(
      'PROCESS_NOT_RUNNING',
    );
    expect(await post(`${gws[0].url}/api/v1/processes/gateway-2/start`)).toEqual({
      status: 200,
      body: { success: true },
    });
    expect((await chat(gws[1], 'after start')).status).toBe(200);
    const again = await post(`${gws[0].url}/api/v1/processes/gateway-2/start`);
    expect(again).toEqual({
      status: 409,
      body: expect.objectContaining({ code: 'PROCESS_ALREADY_RUNNING' }),
    });
  });

  it("should return only the worker's matching lines from the shared log", async () => {
    const url = `${gws[0].url}/api/v1/logs?process=worker-1&pattern=heartbeat`;
    const r = await waitFor(
      async () => {
        const res = await getJson(url);
        return (res.body.logs as unknown[]).length > 0 ? res : undefined;
      },
      { timeoutMs: 10_000, what: 'worker log lines' },
    );
    expect(Object.keys(r.body).sort()).toEqual([
      'filtered_count',
      'logs',
      'total_count',
      'truncated',
    ]);
    const lines = r.body.logs as Record<string, string>[];
    expect(r.body.filtered_count).toBe(lines.length);
    for (const l of lines) {
      expect(Object.keys(l).slice(0, 4)).toEqual(['timestamp', 'process', 'stream', 'line']);
      expect(l.process).toBe('worker-1');
      expect(l.line).toContain('heartbeat');
      expect(['stdout', 'stderr']).toContain(l.stream);
      expect(new Date(l.timestamp).toISOString()).toBe(l.timestamp);
    }
    // without the filter the worker has more to say
    const all = await getJson(`${gws[0].url}/api/v1/logs?process=worker-1&lines=10000`);
    expect((all.body.logs as unknown[]).length).toBeGreaterThan(lines.length);
    const bad = await getJson(
      `${gws[0].url}/api/v1/logs?regex=true&pattern=${encodeURIComponent('(a')}`,
    );
    expect(bad).toEqual({
      status: 400,
      body: { error: expect.any(String), code: 'INVALID_PATTERN' },
    });
    const long = await getJson(`${gws[0].url}/api/v1/logs?regex=true&pattern=${'a'.repeat(300)}`);
    expect(long.body.code).toBe('INVALID_PATTERN');
    const redos = await getJson(
      `${gws[0].url}/api/v1/logs?regex=true&pattern=${encodeURIComponent('(a+)+$')}`,
    );
    expect(redos.status).toBe(200);
  });

  it('should stream a failing request made on the OTHER replica within 200 ms, filtered server-side', async () => {
    const sse = openSse(`${gws[0].url}/api/v1/proxy/requests/stream?min_status=500`);
    try {
      await waitFor(() => sse.frames.length > 0, { what: 'connected frame' });
      expect(sse.frames[0]).toMatchObject({ event: 'connected', data: '{}' });
      expect((await chat(gws[1], 'fine')).status).toBe(200);
      fake.fail({ status: 500, times: 10 });
      const failed = await chat(gws[1], 'broken');
      expect(failed.status).toBeGreaterThanOrEqual(500);
      await waitFor(() => sse.frames.length > 1, { timeoutMs: 2000, what: 'request event' });
      const ev = sse.frames[1];
      expect(ev.event).toBe('');
      const entry = JSON.parse(ev.data) as Record<string, unknown>;
      expect(entry).toMatchObject({
        process: 'gateway-2',
        status_code: failed.status,
        model: MODEL,
        subdomain: 'claude',
      });
      expect(ev.at - failed.at).toBeLessThan(200);
      // the 200 never reached this client
      expect(sse.frames.slice(1)).toHaveLength(1);
    } finally {
      fake.reset();
      sse.close();
      await sse.done;
    }
    const page = await getJson(
      `${gws[0].url}/api/v1/proxy/requests?min_status=500&subdomain=claude&limit=5`,
    );
    expect(page.body).toMatchObject({ filtered_count: 1, total_count: expect.any(Number) });
    expect((page.body.total_count as number) > 1).toBe(true);
    expect((page.body.requests as unknown[]).length).toBe(1);
    expect((page.body.requests as { process: string }[])[0].process).toBe('gateway-2');
  });

  it('should stream new log lines from the shared log as SSE', async () => {
    // in-process gateways do not install the cluster logger themselves (main.ts does)
    const logger = gws[0].app.get(ProcessLogger);
    logger.setLogLevels(['error', 'warn']);
    gws[0].app.useLogger(logger);
    // What it prints is not the point (the shared log is): keep the test run's output clean.
    const printed = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const sse = openSse(`${gws[1].url}/api/v1/logs/stream?process=gateway-1&pattern=probe`);
    try {
      await waitFor(() => sse.frames.length > 0, { what: 'connected frame' });
      Logger.warn('unrelated line', 'E2E');
      Logger.warn('probe line for the live log', 'E2E');
      await waitFor(() => sse.frames.some((f) => f.data !== ''), {
        timeoutMs: 3000,
        what: 'log event',
      });
      // a comment opened the stream; every data frame is a log line, with no event name
      expect(sse.frames[0]).toMatchObject({ event: '', data: '' });
      const logs = sse.frames
        .filter((f) => f.data !== '')
        .map((f) => JSON.parse(f.data) as Record<string, string>);
      expect(sse.frames.filter((f) => f.event !== '')).toHaveLength(0);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({
        process: 'gateway-1',
        stream: 'stderr',
        line: '[E2E] probe line for the live log',
        level: 'warn',
        context: 'E2E',
        message: 'probe line for the live log',
      });
    } finally {
      printed.mockRestore();
      // It stays Nest's logger for the rest of this file: silent from here on.
      logger.setLogLevels([]);
      sse.close();
      await sse.done;
    }
  });

  it('should ask remote peers for the token or the management key', async () => {
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const app = gws[1].app;
    const ask = (authorization?: string) =>
      app.inject({
        method: 'GET',
        url: '/api/v1/processes',
        remoteAddress: REMOTE,
        headers: authorization ? { authorization } : {},
      });
    const none = await ask();
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await ask(`Bearer ${'0'.repeat(64)}`)).statusCode).toBe(401);
    expect((await ask(`Bearer ${token}`)).statusCode).toBe(200);
    expect((await ask(`Bearer ${MANAGEMENT_KEY}`)).statusCode).toBe(200);
    const local = await app.inject({
      method: 'GET',
      url: '/api/v1/status',
      remoteAddress: '127.0.0.1',
    });
    expect(local.statusCode).toBe(200);
  });

  it("should serve /v0/management/logs in CLIProxyAPI's shape", async () => {
    const res = await fetch(`${gws[0].url}/v0/management/logs?limit=5`, {
      headers: { authorization: `Bearer ${MANAGEMENT_KEY}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      lines: string[];
      'line-count': number;
      'latest-timestamp': number;
    };
    expect(body.lines.length).toBeGreaterThan(0);
    expect(body.lines.length).toBeLessThanOrEqual(5);
    expect(body['line-count']).toBeGreaterThanOrEqual(body.lines.length);
    expect(body['latest-timestamp']).toBeGreaterThan(1_600_000_000);
    const later = await fetch(
      `${gws[0].url}/v0/management/logs?after=${body['latest-timestamp'] + 3600}`,
      { headers: { authorization: `Bearer ${MANAGEMENT_KEY}` } },
    );
    expect(((await later.json()) as { lines: string[] }).lines).toEqual([]);
    const anon = await fetch(`${gws[0].url}/v0/management/logs`);
    expect(anon.status).toBe(401);
  });
});
