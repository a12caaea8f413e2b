import Anthropic from '@anthropic-ai/sdk';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { FakeUpstream } from '@test/fakes';
import { FakeOAuthServer } from '@test/fakes/oauth/fake-oauth-server';
import { REPO_ROOT, distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';
import { inMs, writeAuthFile } from './worker-oauth.helpers';

/*
 * The shapes of the four API documents (seeds) the gateway follows, checked against two
 * replicas started the way users start them: two `npm start` on one machine with their own
 * PORT / WORKER_PORT / DATA_DIR and one REDIS_URL (and one config.yaml and auth dir).
 */

const CLIENT_KEY = 'sk-seed-contracts-client';
const MANAGEMENT_KEY = 'seed-contracts-management-key';
const HOST = hostname();

/** Key sets of the supervisor API document's examples (extra fields are allowed). */
const SEED = {
  status: ['status', 'uptime_seconds', 'config_file', 'api_version'],
  process: ['name', 'status', 'pid', 'uptime_seconds', 'restarts', 'health'],
  detail: [
    'name',
    'status',
    'pid',
    'uptime_seconds',
    'restarts',
    'health',
    'healthcheck',
    'cmd',
    'env',
  ],
  healthcheck: ['enabled', 'last_check', 'last_output', 'consecutive_failures'],
  logs: ['logs', 'filtered_count', 'total_count'],
  log: ['timestamp', 'process', 'stream', 'line'],
  requests: ['requests', 'filtered_count', 'total_count'],
  request: [
    'id',
    'timestamp',
    'method',
    'url',
    'subdomain',
    'status_code',
    'duration_ms',
    'remote_addr',
  ],
  error: ['code', 'error'],
} as const;

type Json = Record<string, unknown>;

function expectKeys(obj: unknown, keys: readonly string[]): void {
  expect(typeof obj).toBe('object');
  const missing = keys.filter((k) => !(k in (obj as Json)));
  expect(missing).toEqual([]);
}

async function http(
  url: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${MANAGEMENT_KEY}`,
    ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(init.headers as Record<string, string> | undefined),
  };
  const res = await fetch(url, {
    ...init,
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
  const text = await res.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

/** A raw SSE reader: the bytes as they came, and the frames split on blank lines. */
function openSse(url: string) {
  let raw = '';
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { signal: controller.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      raw += value;
    }
  })().catch(() => undefined);
  const frames = () =>
    raw
      .split('\n\n')
      .slice(0, -1)
      .filter((f) => !f.startsWith(': ping'));
  const data = () =>
    frames()
      .filter((f) => f.startsWith('data: '))
      .map((f) => JSON.parse(f.slice('data: '.length)) as Json);
  return { raw: () => raw, frames, data, close: () => controller.abort(), done };
}

/** One `npm start`: a gateway and a worker as the launcher runs them. */
interface Replica {
  app: ChildApp;
  url: string;
  gateway: string;
  worker: string;
}

describe('seed contracts: two `npm start` replicas on one host', () => {
  let fake: FakeUpstream;
  let oauth: FakeOAuthServer;
  let dir: string;
  let authDir: string;
  let configPath: string;
  const replicas: Replica[] = [];
  let a: Replica;
  let b: Replica;

  async function launch(tag: string, port: number): Promise<Replica> {
    const workerPort = await freePort();
    const app = startNode(join(REPO_ROOT, 'scripts', 'start.mjs'), {
      REDIS_URL: testRedisUrl(),
      PORT: String(port),
      WORKER_PORT: String(workerPort),
      DATA_DIR: join(dir, `data-${tag}`),
      CONFIG_PATH: configPath,
      MANAGEMENT_PASSWORD: MANAGEMENT_KEY,
      LOG_LEVEL: 'log',
      SB_PROCESS_NAME: '',
      SB_WORKER_NAME: '',
      // One gateway process each (npm start runs one per core by default): four members.
      GATEWAY_WORKERS: '1',
    });
    return {
      app,
      url: `http://127.0.0.1:${port}`,
      gateway: `gateway-${HOST}-${port}`,
      worker: `worker-${HOST}-${workerPort}`,
    };
  }

  const chat = async (r: Replica, model: string, text: string, id?: string) => {
    const res = await fetch(`${r.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${CLIENT_KEY}`,
        'content-type': 'application/json',
        ...(id ? { 'x-request-id': id } : {}),
      },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: text }] }),
    });
    return { status: res.status, text: await res.text() };
  };

  const processes = async (r: Replica) =>
    (await http(`${r.url}/api/v1/processes`)).body.processes as Json[];

  beforeAll(async () => {
    distEntry('apps/gateway/src/main.js');
    fake = await FakeUpstream.start();
    oauth = await FakeOAuthServer.start();
    dir = mkdtempSync(join(tmpdir(), 'sb-seeds-'));
    authDir = join(dir, 'auth');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(authDir, { mode: 0o700 });
    configPath = join(dir, 'config.yaml');
    const portA = await freePort();
    const portB = await freePort();
    writeFileSync(
      configPath,
      `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('seeds')}"
auth-dir: "${authDir}"
claude-api-key:
  - api-key: "sk-ant-seed-upstream"
    base-url: "${fake.url}"
    models:
      - name: claude-seed
  - api-key: "sk-ant-seed-broken"
    base-url: "${fake.url}"
    models:
      - name: claude-broken
gemini-api-key:
  - api-key: "g-seed-upstream"
    base-url: "${fake.url}"
    models:
      - name: gemini-seed
openai-compatibility:
  - name: fakeoai
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "oai-seed-upstream"
    models:
      - name: gpt-seed
provider-base-urls:
  claude: "${fake.url}"
  codex: "${fake.url}/backend-api/codex"
worker:
  quota-poll-seconds: 2
${oauth.endpointsYaml({ claude: { 'redirect-uri': `http://127.0.0.1:${portA}/anthropic/callback` } })}`,
    );
    a = await launch('a', portA);
    b = await launch('b', portB);
    replicas.push(a, b);
    for (const r of replicas) {
      await waitFor(async () => (await fetch(`${r.url}/status`)).status === 200, {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: `${r.gateway} /status`,
      });
    }
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) await r.app.stop('SIGINT', 30_000);
    await fake?.close();
    await oauth?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  beforeEach(() => {
    fake.reset();
  });

  it('should register four members under unique names, in the seed shapes', async () => {
    const names = [a.gateway, a.worker, b.gateway, b.worker];
    const list = await waitFor(
      async () => {
        const procs = await processes(b);
        const mine = procs.filter((p) => names.includes(p.name as string));
        return mine.length === 4 && mine.every((p) => p.status === 'running') ? mine : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'four running members' },
    );
    expect(new Set(list.map((p) => p.pid)).size).toBe(4);
    for (const p of list) expectKeys(p, SEED.process);
    const status = await http(`${a.url}/api/v1/status`);
    expectKeys(status.body, SEED.status);
    expect(status.body).toMatchObject({ status: 'running', api_version: 'v1' });
    const detail = (await http(`${a.url}/api/v1/processes/${b.gateway}`)).body;
    expectKeys(detail, SEED.detail);
    expectKeys(detail.healthcheck, SEED.healthcheck);
    expect(detail.cmd).toContain('dist/apps/gateway/src/main.js');
    expect((detail.env as Json).PORT).toBe(b.url.split(':').pop());
    const missing = await http(`${a.url}/api/v1/processes/nobody`, { method: 'GET' });
    expect(missing.status).toBe(404);
    expect(Object.keys(missing.body).sort()).toEqual([...SEED.error]);
  });

  it('should refuse a third `npm start` under names live members hold, without a restart loop', async () => {
    const before = (await processes(a)).find((p) => p.name === a.gateway);
    const third = startNode(join(REPO_ROOT, 'scripts', 'start.mjs'), {
      REDIS_URL: testRedisUrl(),
      PORT: String(await freePort()),
      WORKER_PORT: String(await freePort()),
      DATA_DIR: join(dir, 'data-third'),
      CONFIG_PATH: configPath,
      MANAGEMENT_PASSWORD: MANAGEMENT_KEY,
      SB_PROCESS_NAME: a.gateway,
      SB_WORKER_NAME: a.worker,
      GATEWAY_WORKERS: '1',
    });
    try {
      // The first refusal stops the launcher (exit 78, like a config problem): no restart loop.
      await waitFor(() => third.child.exitCode !== null, {
        timeoutMs: 45_000,
        intervalMs: 200,
        what: 'the third launcher to exit',
      });
      const out = third.output();
      expect(third.child.exitCode).toBe(78);
      expect(out).toMatch(new RegExp(`already named \\\\?"(${a.gateway}|${a.worker})\\\\?"`));
      expect(out).toContain('SB_PROCESS_NAME');
      expect(out).toMatch(/cannot run with this configuration/);
      expect(out).not.toMatch(/restarting in/);
    } finally {
      await third.stop('SIGKILL');
    }
    const after = (await processes(a)).find((p) => p.name === a.gateway);
    expect(after).toMatchObject({ status: 'running', pid: before?.pid });
  }, 60_000);

  it('should carry commands to the named member and config edits to the other replica', async () => {
    expect(await http(`${a.url}/api/v1/processes/${b.gateway}/stop`, { method: 'POST' })).toEqual(
      expect.objectContaining({ status: 200, body: { success: true } }),
    );
    expect((await chat(b, 'gpt-seed', 'while stopped')).status).toBe(503);
    expect((await chat(a, 'gpt-seed', 'other replica')).status).toBe(200);
    expect(
      (await http(`${a.url}/api/v1/processes/${b.gateway}/start`, { method: 'POST' })).body,
    ).toEqual({ success: true });
    expect((await chat(b, 'gpt-seed', 'started again')).status).toBe(200);

    // An edit through one replica reaches the other (each ignores only its own announcement).
    const url = (r: Replica) => `${r.url}/v0/management/max-retry-interval`;
    const before = (await http(url(a))).body['max-retry-interval'];
    expect((await http(url(b), { method: 'PUT', json: { value: 17 } })).status).toBe(200);
    await waitFor(async () => (await http(url(a))).body['max-retry-interval'] === 17, {
      timeoutMs: 5000,
      intervalMs: 100,
      what: 'the edit on replica A',
    });
    expect((await http(url(a), { method: 'PUT', json: { value: before } })).status).toBe(200);
  });

  it('should list proxied requests in the seed shape, newest first across both replicas', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const id = `seed-order-${Date.now()}-${i}`;
      ids.push(id);
      expect((await chat(i % 2 ? b : a, 'gpt-seed', `order ${i}`, id)).status).toBe(200);
    }
    fake.fail({ status: 500, times: 10, match: { model: 'claude-broken' } });
    const failedId = `seed-failed-${Date.now()}`;
    expect((await chat(b, 'claude-broken', 'broken', failedId)).status).toBeGreaterThanOrEqual(500);

    const page = await waitFor(
      async () => {
        const r = await http(`${a.url}/api/v1/proxy/requests?limit=1000`);
        const got = (r.body.requests as Json[]).map((e) => e.request_id);
        return ids.every((id) => got.includes(id)) && got.includes(failedId) ? r.body : undefined;
      },
      { what: 'every request in the log' },
    );
    expectKeys(page, SEED.requests);
    const entries = page.requests as Json[];
    expect(page.filtered_count).toBe(entries.length);
    expect(page.total_count as number).toBeGreaterThanOrEqual(entries.length);
    for (const e of entries) expectKeys(e, SEED.request);
    // newest first by time, the two replicas interleaved as the requests were made
    const mine = entries.filter((e) => ids.includes(e.request_id as string));
    expect(mine.map((e) => e.request_id)).toEqual([...ids].reverse());
    expect(mine.map((e) => e.process)).toEqual(
      [...ids].reverse().map((_, i) => (i % 2 ? a.gateway : b.gateway)),
    );
    const times = entries.map((e) => Date.parse(e.timestamp as string));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect(mine[0]).toMatchObject({
      method: 'POST',
      url: '/v1/chat/completions',
      subdomain: 'openai-compatibility',
      status_code: 200,
      remote_addr: '127.0.0.1',
      duration_ms: expect.any(Number),
    });

    const q = async (query: string) =>
      (await http(`${b.url}/api/v1/proxy/requests?${query}`)).body.requests as Json[];
    const errors = await q('min_status=500&subdomain=claude');
    expect(errors.map((e) => e.request_id)).toContain(failedId);
    expect(errors.every((e) => (e.status_code as number) >= 500 && e.subdomain === 'claude')).toBe(
      true,
    );
    expect((await q('max_status=299&method=POST&model=claude-seed')).length).toBe(0);
    expect((await q('max_status=299&model=gpt-seed')).length).toBeGreaterThanOrEqual(8);
    expect((await q(`key=${CLIENT_KEY}&limit=2`)).length).toBe(2);
    expect((await q('method=GET')).length).toBe(0);
    const capped = await http(`${b.url}/api/v1/proxy/requests?limit=5000`);
    expect(capped.status).toBe(200);
    const bad = await http(`${b.url}/api/v1/proxy/requests?min_status=abc`);
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body).sort()).toEqual([...SEED.error]);
  });

  it('should stream requests: `event: connected` first, then plain data frames', async () => {
    const sse = openSse(`${a.url}/api/v1/proxy/requests/stream?subdomain=openai-compatibility`);
    try {
      await waitFor(() => sse.raw().length > 0, { what: 'the connected frame' });
      expect(sse.raw().startsWith('event: connected\ndata: {}\n\n')).toBe(true);
      const id = `seed-live-${Date.now()}`;
      expect((await chat(b, 'gpt-seed', 'live', id)).status).toBe(200);
      expect((await chat(b, 'claude-seed', 'filtered out')).status).toBe(200);
      await waitFor(() => sse.data().some((d) => d.request_id === id), {
        timeoutMs: 5000,
        what: 'the live entry',
      });
      const frames = sse.frames().slice(1);
      expect(frames.every((f) => f.startsWith('data: {'))).toBe(true);
      const entry = sse.data().find((d) => d.request_id === id);
      expectKeys(entry, SEED.request);
      expect(entry).toMatchObject({ process: b.gateway, subdomain: 'openai-compatibility' });
      expect(sse.data().every((d) => d.subdomain === 'openai-compatibility')).toBe(true);
    } finally {
      sse.close();
      await sse.done;
    }
  });

  it('should serve logs in the seed shape: stream per level, process lists, pattern and regex', async () => {
    const both = `${a.gateway},${b.gateway}`;
    const page = await waitFor(
      async () => {
        const r = await http(`${a.url}/api/v1/logs?process=${both}&lines=500`);
        const procs = new Set((r.body.logs as Json[]).map((l) => l.process));
        return procs.has(a.gateway) && procs.has(b.gateway) ? r.body : undefined;
      },
      { what: 'lines of both gateways' },
    );
    expectKeys(page, SEED.logs);
    const logs = page.logs as Json[];
    expect(page.filtered_count).toBe(logs.length);
    expect(page.total_count as number).toBeGreaterThanOrEqual(logs.length);
    for (const l of logs) {
      expectKeys(l, SEED.log);
      expect([a.gateway, b.gateway]).toContain(l.process);
      expect(l.stream).toBe(l.level === 'error' || l.level === 'warn' ? 'stderr' : 'stdout');
    }
    expect((await http(`${a.url}/api/v1/logs?lines=3`)).body.logs).toHaveLength(3);

    // The live stream: a comment, then plain data frames of the same objects.
    const probe = 'stopped by the cluster API';
    const sse = openSse(
      `${b.url}/api/v1/logs/stream?process=${b.worker}&pattern=${encodeURIComponent(probe)}`,
    );
    try {
      await waitFor(() => sse.raw().length > 0, { what: 'the stream to open' });
      expect(sse.raw().startsWith(': connected\n\n')).toBe(true);
      await http(`${a.url}/api/v1/processes/${b.worker}/stop`, { method: 'POST' });
      await waitFor(() => sse.data().length > 0, { timeoutMs: 5000, what: 'the warn line' });
      expect(sse.raw()).not.toMatch(/^event:/m);
      const line = sse.data()[0];
      expectKeys(line, SEED.log);
      expect(line).toMatchObject({ process: b.worker, stream: 'stderr' });
      expect(line.line).toContain(probe);
    } finally {
      await http(`${a.url}/api/v1/processes/${b.worker}/start`, { method: 'POST' });
      sse.close();
      await sse.done;
    }

    // `pattern` is a substring unless `regex=true` makes it a regular expression.
    const sub = await http(`${a.url}/api/v1/logs?pattern=${encodeURIComponent('[Cluster] st')}`);
    expect((sub.body.logs as Json[]).length).toBeGreaterThan(0);
    const re = await http(
      `${a.url}/api/v1/logs?regex=true&pattern=${encodeURIComponent('^\\[Cluster\\] (stopped|started) by')}`,
    );
    const matched = re.body.logs as Json[];
    expect(matched.length).toBeGreaterThanOrEqual(2);
    for (const l of matched) expect(l.line).toMatch(/^\[Cluster\] (stopped|started) by/);
    const invalid = await http(
      `${a.url}/api/v1/logs?regex=true&pattern=${encodeURIComponent('(')}`,
    );
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.body).sort()).toEqual([...SEED.error]);
    expect(invalid.body.code).toBe('INVALID_PATTERN');
    // the same text as a plain substring is fine
    expect((await http(`${a.url}/api/v1/logs?pattern=${encodeURIComponent('(')}`)).status).toBe(
      200,
    );
  });

  it("should count every replica's open streams in sessionCount", async () => {
    const status = async () =>
      (await http(`${a.url}/api/cliproxy/proxy-status`)).body.sessionCount as number;
    expect(await status()).toBe(0);
    fake.delayBetweenChunks(800, { times: Infinity });
    const res = await fetch(`${b.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-seed',
        stream: true,
        messages: [{ role: 'user', content: 'a slow stream' }],
      }),
    });
    const body = res.text();
    const openedAt = Date.now();
    await waitFor(async () => (await status()) === 1, {
      timeoutMs: 3000,
      intervalMs: 50,
      what: "B's stream in A's sessionCount",
    });
    // published on change, not at the next heartbeat (5 s)
    expect(Date.now() - openedAt).toBeLessThan(3000);
    await body;
    fake.reset();
    await waitFor(async () => (await status()) === 0, { timeoutMs: 3000, what: 'back to 0' });
  });

  it('should ask the serving upstream for token counts across formats, estimating only without one', async () => {
    fake.onRequest((req) =>
      req.path.endsWith(':countTokens')
        ? { status: 200, body: { totalTokens: 1111 } }
        : req.path.endsWith('/count_tokens')
          ? { status: 200, body: { input_tokens: 2222 } }
          : undefined,
    );
    const anthropic = new Anthropic({ apiKey: CLIENT_KEY, baseURL: a.url, maxRetries: 0 });
    const claudeForGemini = await anthropic.messages
      .countTokens({ model: 'gemini-seed', messages: [{ role: 'user', content: 'count me' }] })
      .withResponse();
    expect(claudeForGemini.data).toEqual({ input_tokens: 1111 });
    expect(claudeForGemini.response.headers.get('x-switchboard-token-count')).toBeNull();
    expect(fake.lastRequest()?.path).toBe('/v1beta/models/gemini-seed:countTokens');

    const geminiForClaude = await fetch(`${b.url}/v1beta/models/claude-seed:countTokens`, {
      method: 'POST',
      headers: { 'x-goog-api-key': CLIENT_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'count me' }] }] }),
    });
    expect(await geminiForClaude.json()).toEqual({ totalTokens: 2222 });
    expect(fake.lastRequest()?.path).toBe('/v1/messages/count_tokens');

    fake.clearRequests();
    const estimate = await anthropic.messages
      .countTokens({ model: 'gpt-seed', messages: [{ role: 'user', content: 'count me' }] })
      .withResponse();
    expect(estimate.data.input_tokens).toBeGreaterThan(0);
    expect(estimate.response.headers.get('x-switchboard-token-count')).toBe('estimate');
    expect(fake.requests()).toHaveLength(0);
  });

  it('should show a refused refresh token as an error on both APIs until a new login clears it', async () => {
    const file = 'claude-max@example.com.json';
    const model = 'claude-sonnet-4-5-20250929';
    oauth.revoke('rt-claude-refused');
    writeAuthFile(authDir, file, {
      type: 'claude',
      email: 'max@example.com',
      access_token: 'at-claude-refused',
      refresh_token: 'rt-claude-refused',
      expired: inMs(30_000),
    });
    const row = async (r: Replica) =>
      ((await http(`${r.url}/v0/management/auth-files`)).body.files as Json[]).find(
        (f) => f.name === file,
      );
    const errored = await waitFor(
      async () => {
        const f = await row(b);
        return f?.status === 'error' ? f : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'the refused refresh marked on B' },
    );
    expect(errored).toMatchObject({ unavailable: true, disabled: false });
    expect(errored.status_message).toMatch(/invalid_grant.*Sign in again/);
    const control = (await http(`${a.url}/api/cliproxy/auth-files`)).body.files as Json[];
    expect(control.find((f) => f.name === file)).toMatchObject({
      status: 'error',
      unavailable: true,
      status_message: errored.status_message,
    });
    expect((await chat(b, model, 'skipped')).status).toBe(503);

    // A new login for the same account replaces the file and clears the mark at once.
    const start = await http(`${a.url}/v0/management/anthropic-auth-url`);
    const authUrl = new URL(start.body.url as string);
    oauth.issueCode('claude', 'code-seed-login', authUrl.searchParams.get('code_challenge')!);
    const landing = await fetch(
      `${a.url}/anthropic/callback?code=code-seed-login&state=${start.body.state as string}`,
    );
    expect(landing.status).toBe(200);
    await waitFor(
      async () =>
        (await http(`${a.url}/v0/management/get-auth-status?state=${start.body.state as string}`))
          .body.status === 'ok',
      { what: 'the login to finish' },
    );
    const fresh = await waitFor(
      async () => {
        const f = await row(b);
        return f?.status === 'active' ? f : undefined;
      },
      { timeoutMs: 5000, what: 'the account active again on B' },
    );
    expect(fresh).toMatchObject({ unavailable: false, status_message: '' });
    await waitFor(async () => (await chat(b, model, 'served again')).status === 200, {
      timeoutMs: 5000,
      what: 'B to serve the account again',
    });
  }, 40_000);

  it('should keep one quota snapshot per credential and refuse an email two accounts share', async () => {
    const email = 'team@example.com';
    for (const plan of ['plus', 'team']) {
      writeAuthFile(authDir, `codex-${email}-${plan}.json`, {
        type: 'codex',
        email,
        account_id: `acct-${plan}`,
        access_token: `at-codex-${plan}`,
        refresh_token: `rt-codex-${plan}`,
        expired: inMs(24 * 3600_000),
      });
    }
    const ambiguous = await waitFor(
      async () => {
        const r = await http(`${b.url}/api/cliproxy/quota/codex/${email}`);
        return r.status === 409 ? r.body : undefined;
      },
      { timeoutMs: 10_000, what: 'both accounts loaded' },
    );
    const choices = ambiguous.choices as Json[];
    expect(ambiguous).toMatchObject({ success: false, error: 'Ambiguous account ID' });
    expect(choices.map((c) => c.name).sort()).toEqual([
      `codex-${email}-plus.json`,
      `codex-${email}-team.json`,
    ]);
    for (const c of choices) {
      const snap = await waitFor(
        async () => {
          const r = await http(`${a.url}/api/cliproxy/quota/codex/${c.auth_index as string}`);
          return r.status === 200 ? r.body : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 250, what: `the snapshot of ${c.name as string}` },
      );
      expect(snap).toMatchObject({ authIndex: c.auth_index, fileName: c.name, success: true });
      // the auth file name names the same account
      const byName = await http(`${a.url}/api/cliproxy/quota/codex/${c.name as string}`);
      expect(byName.body.authIndex).toBe(c.auth_index);
    }
  }, 40_000);

  it('should name relay credentials aistudio in errors and the request log', async () => {
    const ws = new WebSocket(`${a.url.replace('http', 'ws')}/v1/ws`, {
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    // The browser app fails every request it is given.
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as { id: string; type: string };
      if (frame.type === 'http_request') {
        ws.send(JSON.stringify({ id: frame.id, type: 'error', payload: { error: 'tab closed' } }));
      }
    });
    try {
      const id = `seed-relay-${Date.now()}`;
      // until B learns of the connection, the model is unknown there (400, or 503 "no
      // credential" while the catalog knows it)
      const res = await waitFor(
        async () => {
          const r = await chat(b, 'gemini-2.5-flash', 'over the relay', id);
          return r.status > 503 || r.status === 502 ? r : undefined;
        },
        { what: 'the relay credential on B' },
      );
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.text).toContain('Upstream aistudio failed');
      expect(res.text).not.toContain('Upstream gemini');
      const entry = await waitFor(
        async () =>
          (
            (await http(`${a.url}/api/v1/proxy/requests?subdomain=aistudio`)).body
              .requests as Json[]
          ).find((e) => e.request_id === id),
        { what: 'the relayed request in the log' },
      );
      expect(entry.subdomain).toBe('aistudio');
    } finally {
      ws.close();
    }
  });

  it('should call a Qwen account whose resource_url has a scheme and /v1 without doubling it', async () => {
    writeAuthFile(authDir, 'qwen-seed.json', {
      type: 'qwen',
      email: 'qwen@example.com',
      access_token: 'at-qwen-seed',
      refresh_token: 'rt-qwen-seed',
      resource_url: `${fake.url}/v1`,
      expired: inMs(24 * 3600_000),
    });
    fake.clearRequests();
    await waitFor(async () => (await chat(a, 'qwen3-coder-plus', 'hi qwen')).status === 200, {
      what: 'the Qwen account served',
    });
    const rec = fake.lastRequest()!;
    expect(rec.path).toBe('/v1/chat/completions');
    expect(rec.apiKey).toBe('at-qwen-seed');
  });

  it('should keep the launchers running throughout', () => {
    for (const r of replicas) {
      expect(r.app.child.exitCode).toBeNull();
      expect(readFileSync(configPath, 'utf8')).toContain('auth-dir');
    }
  });
});
