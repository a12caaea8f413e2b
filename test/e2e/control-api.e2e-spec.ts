import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MembershipService } from '@app/cluster';
import { buildInfo } from '@app/common';
import { SessionCountService } from '@app/gateway/control/session-count.service';
import { errorLogName, ErrorLogRepository, formatErrorLog } from '@app/logs';
import { JobRepository, QueueName, quotaPollNowJobId } from '@app/jobs';
import { QuotaSnapshotRepository, QUOTA_PROVIDERS } from '@app/quota';
import { CredentialService } from '@app/routing';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { freePort, uniquePrefix, waitFor } from '@test/utils/env';

const SECRET = 'control-e2e-secret';
const CLIENT = 'sk-control-client';
const MODEL = 'claude-ctl';

type Json = Record<string, unknown>;

interface Reply {
  status: number;
  body: unknown;
  text: string;
  headers: Record<string, unknown>;
}

let remoteSeq = 0;
/** A fresh non-loopback address per anonymous call, so failed attempts never add up to a ban. */
const nextRemote = () => `10.77.${Math.floor(remoteSeq / 250)}.${(remoteSeq++ % 250) + 1}`;

describe('control API /api/cliproxy (e2e)', () => {
  let fake: FakeUpstream;
  let feed: Server;
  let feedUrl: string;
  let root: string;
  let authDir: string;
  let prefix: string;
  let a: TestGateway;
  let b: TestGateway;

  const config = (opts: { creds?: boolean; authDir?: string } = {}) => `remote-management:
  allow-remote: true
  secret-key: "${SECRET}"
api-keys: ["${CLIENT}"]
auth-dir: "${opts.authDir ?? authDir}"
redis:
  key-prefix: "${prefix}"
release-feed-url: "${feedUrl}"
${
  opts.creds === false
    ? ''
    : `claude-api-key:
  - api-key: "up-ctl-key"
    base-url: "${fake.url}"
    models:
      - name: ${MODEL}
`
}`;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    feed = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ tag_name: 'v99.0.0' }));
    });
    await new Promise<void>((r) => feed.listen(0, '127.0.0.1', r));
    feedUrl = `http://127.0.0.1:${(feed.address() as AddressInfo).port}/releases/latest`;
    root = mkdtempSync(join(tmpdir(), 'sb-control-'));
    authDir = join(root, 'auths');
    mkdirSync(authDir);
    writeFileSync(
      join(authDir, 'kimi-ctl.json'),
      JSON.stringify({ type: 'kimi', access_token: 'kimi-tok', email: 'ctl@example.com' }),
    );
    prefix = uniquePrefix('control');
    a = await startGateway(config(), 'gateway-control-a');
    b = await startGateway(config(), 'gateway-control-b');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await fake?.close();
    await new Promise((r) => feed?.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  async function call(
    gw: TestGateway,
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    opts: { payload?: unknown; remote?: string; key?: string } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    if (opts.payload !== undefined) headers['content-type'] = 'application/json';
    const res = await gw.app.inject({
      method,
      url,
      headers,
      payload: opts.payload === undefined ? undefined : JSON.stringify(opts.payload),
      remoteAddress: opts.remote ?? '127.0.0.1',
    });
    let body: unknown;
    try {
      body = res.json();
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, body, text: res.body, headers: res.headers };
  }

  const ask = async (gw: TestGateway) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  };

  describe('auth', () => {
    it('should let localhost in without a key', async () => {
      expect((await call(a, 'GET', '/api/cliproxy/proxy-status')).status).toBe(200);
    });

    it('should need the management key from anywhere else', async () => {
      const none = await call(a, 'GET', '/api/cliproxy/proxy-status', { remote: nextRemote() });
      expect(none).toMatchObject({
        status: 401,
        body: { error: 'Unauthorized', message: 'missing management key' },
      });
      const wrong = await call(a, 'GET', '/api/cliproxy/proxy-status', {
        remote: nextRemote(),
        key: 'nope',
      });
      expect(wrong).toMatchObject({ status: 401, body: { message: 'invalid management key' } });
      const ok = await call(a, 'GET', '/api/cliproxy/proxy-status', {
        remote: nextRemote(),
        key: SECRET,
      });
      expect(ok.status).toBe(200);
    });

    it('should ban an address after five failures, on every replica', async () => {
      const ip = nextRemote();
      for (let i = 0; i < 5; i++) {
        await call(i % 2 ? a : b, 'GET', '/api/cliproxy/models', { remote: ip, key: 'bad' });
      }
      const banned = await call(b, 'GET', '/api/cliproxy/models', { remote: ip, key: SECRET });
      expect(banned.status).toBe(403);
      expect((banned.body as Json).message).toMatch(/IP banned/);
    });
  });

  describe('proxy-status, proxy-stop, proxy-start', () => {
    it('should describe the running proxy', async () => {
      const r = await call(a, 'GET', '/api/cliproxy/proxy-status');
      expect(r.body).toEqual({
        running: true,
        port: a.port,
        pid: process.pid,
        sessionCount: 0,
        startedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
    });

    it("should pause every replica's proxy within a second and resume it", async () => {
      expect((await ask(b)).status).toBe(200);
      const started = Date.now();
      const stop = await call(a, 'POST', '/api/cliproxy/proxy-stop');
      expect(stop).toMatchObject({
        status: 200,
        body: { stopped: true, alreadyStopped: false, sessionCount: 0 },
      });
      expect(await ask(a)).toEqual({ status: 503, retryAfter: '30' });
      await waitFor(async () => (await ask(b)).status === 503, {
        timeoutMs: 1000,
        intervalMs: 20,
        what: 'replica B to pause',
      });
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await ask(b)).retryAfter).toBe('30');

      // Management and control stay up; the status says stopped.
      const status = await call(b, 'GET', '/api/cliproxy/proxy-status');
      expect(status.body).toMatchObject({
        running: false,
        stoppedAt: expect.stringMatching(/^\d{4}-/),
      });
      const mgmt = await b.app.inject({
        method: 'GET',
        url: '/v0/management/auth-files',
        headers: { authorization: `Bearer ${SECRET}` },
        remoteAddress: '127.0.0.1',
      });
      expect(mgmt.statusCode).toBe(200);
      expect(await call(b, 'GET', '/api/cliproxy/models')).toMatchObject({
        status: 503,
        body: { error: 'Proxy paused' },
        headers: { 'retry-after': '30' },
      });
      expect((await call(a, 'POST', '/api/cliproxy/proxy-stop')).body).toMatchObject({
        alreadyStopped: true,
      });

      // A replica that starts now comes up paused, before serving anything.
      const empty = join(root, 'empty-auths');
      mkdirSync(empty, { recursive: true });
      const c = await startGateway(config({ creds: false, authDir: empty }), 'gateway-control-c');
      try {
        expect((await ask(c)).status).toBe(503);
        const start = await call(b, 'POST', '/api/cliproxy/proxy-start');
        expect(start.body).toEqual({ started: true, alreadyRunning: false, port: b.port });
        const resumed = Date.now();
        await waitFor(async () => (await ask(a)).status === 200, {
          timeoutMs: 1000,
          intervalMs: 20,
          what: 'replica A to resume',
        });
        expect(Date.now() - resumed).toBeLessThan(1000);
        // C resumed too; it has no credentials of its own, and the model list says so.
        await waitFor(
          async () =>
            ((await call(c, 'GET', '/api/cliproxy/proxy-status')).body as Json).running === true,
          { timeoutMs: 1000, what: 'replica C to resume' },
        );
        expect(await call(c, 'GET', '/api/cliproxy/models')).toMatchObject({
          status: 503,
          body: { error: 'No credentials', message: expect.stringMatching(/auth files/) },
        });
      } finally {
        await c.close();
      }
      expect((await call(a, 'POST', '/api/cliproxy/proxy-start')).body).toMatchObject({
        alreadyRunning: true,
      });
    });

    it('should count open streams across the cluster', async () => {
      fake.neverEnd();
      const abort = new AbortController();
      const res = await fetch(`${b.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: MODEL,
          stream: true,
          messages: [{ role: 'user', content: 'x' }],
        }),
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      try {
        const sessions = b.app.get(SessionCountService);
        await waitFor(async () => (await sessions.local()) === 1, { what: 'the stream to open' });
        // B reports it in its next heartbeat; A adds it to its own (zero) count.
        await b.app.get(MembershipService).beat();
        expect((await call(a, 'GET', '/api/cliproxy/proxy-status')).body).toMatchObject({
          sessionCount: 1,
        });
        expect((await call(b, 'GET', '/api/cliproxy/proxy-status')).body).toMatchObject({
          sessionCount: 1,
        });
      } finally {
        abort.abort();
      }
      const sessions = b.app.get(SessionCountService);
      await waitFor(async () => (await sessions.local()) === 0, { what: 'the stream to close' });
      await b.app.get(MembershipService).beat();
      expect((await call(a, 'GET', '/api/cliproxy/proxy-status')).body).toMatchObject({
        sessionCount: 0,
      });
      fake.reset();
    });
  });

  describe('update-check and config.yaml', () => {
    it('should compare this build with the feed, cache the answer, and degrade when unreachable', async () => {
      const first = await call(a, 'GET', '/api/cliproxy/update-check');
      expect(first.body).toEqual({
        hasUpdate: true,
        currentVersion: buildInfo().version,
        latestVersion: 'v99.0.0',
        fromCache: false,
        checkedAt: expect.stringMatching(/^\d{4}-/),
      });
      const second = await call(a, 'GET', '/api/cliproxy/update-check');
      expect(second.body).toMatchObject({ fromCache: true, latestVersion: 'v99.0.0' });

      const current = await call(a, 'GET', '/api/cliproxy/config.yaml');
      expect(current.status).toBe(200);
      expect(current.headers['content-type']).toMatch(/^text\/yaml/);
      expect(current.text).toBe(readFileSync(a.configPath, 'utf8'));
      const dead = `http://127.0.0.1:${await freePort()}/latest`;
      const put = await call(a, 'PUT', '/api/cliproxy/config.yaml', {
        payload: { content: current.text.replace(feedUrl, dead) },
      });
      expect(put.body).toEqual({ success: true, path: a.configPath });
      expect(readFileSync(a.configPath, 'utf8')).toContain(dead);

      const degraded = await call(a, 'GET', '/api/cliproxy/update-check');
      expect(degraded.body).toEqual({
        hasUpdate: false,
        currentVersion: buildInfo().version,
        latestVersion: null,
        fromCache: false,
        checkedAt: expect.stringMatching(/^\d{4}-/),
        error: expect.stringMatching(/unreachable/),
      });
    });

    it('should refuse invalid config and write nothing', async () => {
      const before = readFileSync(a.configPath, 'utf8');
      const broken = await call(a, 'PUT', '/api/cliproxy/config.yaml', {
        payload: { content: 'port: [unclosed\n' },
      });
      expect(broken.status).toBe(400);
      expect(broken.body).toMatchObject({ error: 'Invalid config', message: expect.any(String) });
      expect((broken.body as Json).message).not.toBe('');
      const wrongType = await call(a, 'PUT', '/api/cliproxy/config.yaml', {
        payload: { content: 'port: "eighty"\n' },
      });
      expect(wrongType.status).toBe(400);
      expect((wrongType.body as Json).message).toMatch(/port/);
      const missing = await call(a, 'PUT', '/api/cliproxy/config.yaml', { payload: {} });
      expect(missing).toMatchObject({
        status: 400,
        body: { message: 'Missing required field: content' },
      });
      expect(readFileSync(a.configPath, 'utf8')).toBe(before);
    });
  });

  describe('models, error logs, auth files, quota', () => {
    it('should group the served models by owner', async () => {
      const r = await call(b, 'GET', '/api/cliproxy/models');
      expect(r.status).toBe(200);
      const body = r.body as {
        models: Json[];
        byCategory: Record<string, Json[]>;
        totalCount: number;
      };
      expect(body.totalCount).toBe(body.models.length);
      expect(body.models.map((m) => m.id)).toContain(MODEL);
      const grouped = Object.values(body.byCategory).flat();
      expect(grouped).toHaveLength(body.totalCount);
      for (const [owner, list] of Object.entries(body.byCategory))
        for (const m of list) expect(m.owned_by).toBe(owner);
    });

    it('should list error logs with their status and model, and serve one as text', async () => {
      const repo = a.app.get(ErrorLogRepository);
      const name = errorLogName('ctl-req-1', new Date());
      const text = formatErrorLog({
        requestId: 'ctl-req-1',
        method: 'POST',
        path: '/v1/messages',
        headers: {},
        requestBody: { model: 'claude-ctl-logged', messages: [] },
        upstreamStatus: 500,
        upstreamBody: 'upstream exploded',
        responseStatus: 502,
      });
      await repo.add(name, text, 50);
      const list = await call(b, 'GET', '/api/cliproxy/error-logs');
      expect(list.status).toBe(200);
      const entry = (list.body as { files: Json[] }).files.find((f) => f.name === name);
      expect(entry).toEqual({
        name,
        size: Buffer.byteLength(text),
        modified: expect.any(Number),
        statusCode: 502,
        model: 'claude-ctl-logged',
      });
      const one = await call(b, 'GET', `/api/cliproxy/error-logs/${name}`);
      expect(one.status).toBe(200);
      expect(one.headers['content-type']).toMatch(/^text\/plain/);
      expect(one.text).toBe(text);
      expect(await call(b, 'GET', '/api/cliproxy/error-logs/error-nope.log')).toMatchObject({
        status: 404,
        body: { error: 'Error log not found' },
      });
      for (const bad of [
        'passwd',
        'error-..%2Fx.log',
        '..%2F..%2Fetc%2Fpasswd',
        'error-x%5C.log',
      ]) {
        expect(await call(b, 'GET', `/api/cliproxy/error-logs/${bad}`)).toMatchObject({
          status: 400,
          body: { error: 'Invalid error log filename' },
        });
      }
    });

    it('should list and download auth files', async () => {
      const list = await call(a, 'GET', '/api/cliproxy/auth-files');
      expect(list.body).toEqual({
        files: [
          {
            name: 'kimi-ctl.json',
            size: expect.any(Number),
            mtime: expect.any(Number),
            status: 'active',
            status_message: '',
            disabled: false,
            unavailable: false,
          },
        ],
        directory: authDir,
      });
      const dl = await call(a, 'GET', '/api/cliproxy/auth-files/download?name=kimi-ctl.json');
      expect(dl.status).toBe(200);
      expect(dl.headers['content-type']).toBe('application/octet-stream');
      expect(dl.headers['content-disposition']).toBe('attachment; filename="kimi-ctl.json"');
      expect(dl.text).toBe(readFileSync(join(authDir, 'kimi-ctl.json'), 'utf8'));
      expect(await call(a, 'GET', '/api/cliproxy/auth-files/download')).toMatchObject({
        status: 400,
        body: { message: 'Missing required query parameter: name' },
      });
      expect(
        await call(a, 'GET', '/api/cliproxy/auth-files/download?name=nope.json'),
      ).toMatchObject({
        status: 404,
      });
      expect(
        await call(a, 'GET', '/api/cliproxy/auth-files/download?name=..%2Fx.json'),
      ).toMatchObject({ status: 400 });
    });

    it('should ask the worker for an immediate poll when a loaded account has no snapshot', async () => {
      writeFileSync(
        join(authDir, 'codex-poll@example.com-plus.json'),
        JSON.stringify({
          type: 'codex',
          email: 'poll@example.com',
          access_token: 'poll-access-token-1234',
          refresh_token: 'poll-refresh-token-1234',
        }),
      );
      await b.app.get(CredentialService).reloadAuthDir('test', false);
      const cred = b.app
        .get(CredentialService)
        .snapshot()
        .credentials.find((c) => c.email === 'poll@example.com');
      expect(cred).toBeDefined();
      const jobs = b.app.get(JobRepository);
      const jobId = quotaPollNowJobId(cred?.authIndex ?? '');
      await jobs.remove(QueueName.Quota, jobId);
      expect(await call(b, 'GET', '/api/cliproxy/quota/codex/poll@example.com')).toMatchObject({
        status: 404,
        body: { success: false, pollRequested: true },
      });
      expect(await jobs.jobState(QueueName.Quota, jobId)).not.toBe('unknown');
      await jobs.remove(QueueName.Quota, jobId);
    });

    it('should serve the latest quota snapshot, and say when there is none yet', async () => {
      const cred = b.app
        .get(CredentialService)
        .snapshot()
        .credentials.find((c) => c.email === 'poll@example.com');
      const snapshot = {
        success: true,
        provider: 'codex' as const,
        accountId: 'poll@example.com',
        authIndex: cred?.authIndex ?? '',
        windows: [{ name: 'primary', percentage: 42, resetTime: '2030-01-01T00:00:00Z' }],
        plan: 'plus',
        lastUpdated: new Date().toISOString(),
      };
      await a.app.get(QuotaSnapshotRepository).put(snapshot);
      // the account by email (unique here), by auth file name and by auth_index
      for (const id of ['poll@example.com', cred?.fileName ?? '', snapshot.authIndex]) {
        expect(await call(b, 'GET', `/api/cliproxy/quota/codex/${id}`)).toMatchObject({
          status: 200,
          body: snapshot,
        });
      }
      expect(await call(b, 'GET', '/api/cliproxy/quota/codex/other@example.com')).toMatchObject({
        status: 404,
        body: { success: false, error: 'No quota snapshot yet', message: expect.any(String) },
      });
      const bad = await call(b, 'GET', '/api/cliproxy/quota/martian/x');
      expect(bad).toMatchObject({ status: 400, body: { error: 'Invalid provider' } });
      expect((bad.body as Json).message).toBe(
        `Provider must be one of: ${QUOTA_PROVIDERS.join(', ')}`,
      );
      for (const id of ['x..y', 'a%2Fb', 'a%5Cb', 'a%00b']) {
        expect(await call(b, 'GET', `/api/cliproxy/quota/codex/${id}`)).toMatchObject({
          status: 400,
          body: { error: 'Invalid account ID' },
        });
      }
    });
  });

  describe('every route answers', () => {
    const ROUTES: {
      method: 'GET' | 'POST' | 'PUT';
      url: string;
      payload?: () => unknown;
      fail?: [string, unknown?, number?];
    }[] = [
      { method: 'GET', url: '/api/cliproxy/proxy-status' },
      { method: 'POST', url: '/api/cliproxy/proxy-start' },
      { method: 'GET', url: '/api/cliproxy/update-check' },
      { method: 'GET', url: '/api/cliproxy/models' },
      { method: 'GET', url: '/api/cliproxy/error-logs' },
      { method: 'GET', url: '/api/cliproxy/config.yaml', fail: ['/api/cliproxy/config.yaml'] },
      {
        method: 'PUT',
        url: '/api/cliproxy/config.yaml',
        payload: () => ({ content: readFileSync(b.configPath, 'utf8') }),
        fail: ['/api/cliproxy/config.yaml', { content: 42 }, 400],
      },
      { method: 'GET', url: '/api/cliproxy/auth-files' },
      {
        method: 'GET',
        url: '/api/cliproxy/auth-files/download?name=kimi-ctl.json',
        fail: ['/api/cliproxy/auth-files/download?name=..%5Ckimi-ctl.json', undefined, 400],
      },
      {
        method: 'GET',
        url: '/api/cliproxy/quota/codex/poll@example.com',
        fail: ['/api/cliproxy/quota/ghost/dev@example.com', undefined, 400],
      },
      { method: 'POST', url: '/api/cliproxy/proxy-stop' },
    ];

    it.each(ROUTES)('$method $url', async ({ method, url, payload, fail }) => {
      const ok = await call(b, method, url, { payload: payload?.() });
      expect(ok.status).toBe(200);
      expect(ok.text).not.toBe('');
      // A remote caller without the key; or the route's own validation error.
      const [failUrl, failPayload, failStatus] = fail ?? [url];
      const bad =
        failStatus === undefined
          ? await call(b, method, failUrl, { remote: nextRemote(), payload: failPayload })
          : await call(b, method, failUrl, { payload: failPayload });
      expect(bad.status).toBe(failStatus ?? 401);
      expect(bad.body).toEqual(
        expect.objectContaining({ error: expect.any(String), message: expect.any(String) }),
      );
    });

    afterAll(async () => {
      await call(b, 'POST', '/api/cliproxy/proxy-start');
    });
  });
});
