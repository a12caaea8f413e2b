import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authIndexOf, CredentialService } from '@app/routing';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { freePort, uniquePrefix, waitFor } from '@test/utils/env';

const SECRET = 'files-e2e-secret';
const AUTH = { authorization: `Bearer ${SECRET}` };
const FIXTURES = join(__dirname, '../fixtures/auth-files');
const CANARY_TEXT = '{"type":"claude","access_token":"CANARY-DO-NOT-READ"}\n';

const claudeFile = (token: string, email: string) =>
  JSON.stringify({ type: 'claude', access_token: token, email }, null, 2);

const SERVICE_ACCOUNT = {
  type: 'service_account',
  project_id: 'e2e-proj',
  private_key_id: 'k',
  private_key: '-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n',
  client_email: 'sa@e2e-proj.iam.gserviceaccount.com',
};

interface Reply {
  status: number;
  body: unknown;
  text: string;
  headers: Record<string, unknown>;
}

type Json = Record<string, unknown>;

/** A local HTTP server that records what it gets and answers JSON. */
async function recordingServer(
  answer: (url: string, headers: IncomingHttpHeaders, body: string) => [number, unknown],
): Promise<{
  url: string;
  seen: { url: string; headers: IncomingHttpHeaders; body: string }[];
  server: Server;
}> {
  const seen: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      const [status, json] = answer(req.url ?? '', req.headers, body);
      res.writeHead(status, { 'content-type': 'application/json', 'x-echo': 'yes' });
      res.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

describe('management API: auth files, api-call, latest-version (e2e)', () => {
  let root: string;
  let authDir: string;
  let canary: string;
  let gw: TestGateway;
  let api: Awaited<ReturnType<typeof recordingServer>>;
  let feed: Awaited<ReturnType<typeof recordingServer>>;
  let deadFeed: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'sb-files-'));
    authDir = join(root, 'auths');
    mkdirSync(authDir);
    canary = join(root, 'canary.json');
    writeFileSync(canary, CANARY_TEXT);
    api = await recordingServer((url, headers, body) => [
      url.startsWith('/teapot') ? 418 : 200,
      { auth: headers.authorization ?? null, method: url, body },
    ]);
    feed = await recordingServer(() => [200, { tag_name: 'v9.8.7', name: 'Release 9.8.7' }]);
    deadFeed = `http://127.0.0.1:${await freePort()}/latest`;
    gw = await startGateway(
      `remote-management:
  secret-key: "${SECRET}"
auth-dir: "${authDir}"
redis:
  key-prefix: "${uniquePrefix('files')}"
release-feed-url: "${feed.url}/repos/x/releases/latest"
`,
      'gateway-files',
    );
  });

  afterAll(async () => {
    await gw?.close();
    await new Promise((r) => api?.server.close(r));
    await new Promise((r) => feed?.server.close(r));
    rmSync(root, { recursive: true, force: true });
  });

  async function call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = AUTH,
  ): Promise<Reply> {
    const res = await gw.app.inject({
      method,
      url,
      headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
      payload: payload === undefined ? undefined : JSON.stringify(payload),
      remoteAddress: '127.0.0.1',
    });
    let body: unknown;
    try {
      body = res.json();
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, body, text: res.body, headers: res.headers };
  }

  async function multipart(
    files: { name: string; text: string }[],
    fields: Record<string, string> = {},
    path = '/v0/management/auth-files',
  ): Promise<Reply> {
    const form = new FormData();
    for (const f of files)
      form.append('file', new Blob([f.text], { type: 'application/json' }), f.name);
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: AUTH, body: form });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, headers: Object.fromEntries(res.headers) };
  }

  const names = () => readdirSync(authDir).sort();
  const listed = async () =>
    ((await call('GET', '/v0/management/auth-files')).body as { files: Json[] }).files;

  describe('upload → list → models → status → fields → download → delete', () => {
    it('should upload many files, report the bad one with 207, and list the good ones', async () => {
      const r = await multipart([
        { name: 'claude-a@example.com.json', text: claudeFile('tok-a', 'a@example.com') },
        {
          name: 'codex-dev@example.com-plus.json',
          text: readFileSync(join(FIXTURES, 'codex-dev@example.com-plus.json'), 'utf8'),
        },
        { name: 'broken.json', text: '{"type":"martian"}' },
      ]);
      expect(r.status).toBe(207);
      expect(r.body).toEqual({
        status: 'partial',
        uploaded: 2,
        files: ['claude-a@example.com.json', 'codex-dev@example.com-plus.json'],
        failed: [
          { name: 'broken.json', error: expect.stringMatching(/unknown auth file type "martian"/) },
        ],
      });
      expect(names()).toEqual(['claude-a@example.com.json', 'codex-dev@example.com-plus.json']);
      for (const n of names()) expect(statSync(join(authDir, n)).mode & 0o777).toBe(0o600);
      // The exact bytes are kept.
      expect(readFileSync(join(authDir, 'claude-a@example.com.json'), 'utf8')).toBe(
        claudeFile('tok-a', 'a@example.com'),
      );

      const files = await listed();
      expect(files.map((f) => f.name)).toEqual([
        'claude-a@example.com.json',
        'codex-dev@example.com-plus.json',
      ]);
      expect(files[0]).toMatchObject({
        id: 'claude-a@example.com.json',
        auth_index: authIndexOf('file:claude-a@example.com.json'),
        type: 'claude',
        provider: 'claude',
        label: 'a@example.com',
        email: 'a@example.com',
        status: 'active',
        disabled: false,
        unavailable: false,
        source: 'file',
        size: claudeFile('tok-a', 'a@example.com').length,
        modtime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        account_type: 'oauth',
      });
      expect(files[1]).toMatchObject({
        provider: 'codex',
        id_token: { plan_type: 'plus', chatgpt_account_id: 'acct_fake_123' },
        last_refresh: '2029-12-31T23:00:00.000Z',
      });
      // Routing took it in at once (this process reloaded before answering).
      expect(
        gw.app
          .get(CredentialService)
          .snapshot()
          .credentials.some((c) => c.fileName === 'claude-a@example.com.json'),
      ).toBe(true);
    });

    it('should refuse a file over the 1 MiB multipart limit with 413, writing nothing', async () => {
      const huge = JSON.stringify({ type: 'claude', access_token: 'x'.repeat(1100 * 1024) });
      const r = await multipart([{ name: 'huge.json', text: huge }]);
      expect(r.status).toBe(413);
      expect((r.body as Json).error).toMatch(/^invalid multipart form: /);
      expect(names()).not.toContain('huge.json');
    });

    it('should upload one raw JSON body with ?name= and refuse an invalid one with 400', async () => {
      const ok = await call(
        'POST',
        '/v0/management/auth-files?name=claude-raw@example.com.json',
        JSON.parse(claudeFile('tok-raw', 'raw@example.com')),
      );
      expect(ok).toMatchObject({ status: 200, body: { status: 'ok' } });
      const bad = await call('POST', '/v0/management/auth-files?name=x.json', { type: 'claude' });
      expect(bad.status).toBe(400);
      expect((bad.body as Json).error).toMatch(/^invalid auth file: .*access_token/);
      const noName = await call('POST', '/v0/management/auth-files', {
        type: 'claude',
        access_token: 't',
      });
      expect(noName).toMatchObject({ status: 400, body: { error: 'name is required' } });
      expect(names()).not.toContain('x.json');
    });

    it('should list the models the credential serves, and none once disabled', async () => {
      const models = await call(
        'GET',
        '/v0/management/auth-files/models?name=claude-a@example.com.json',
      );
      expect(models.status).toBe(200);
      const list = (models.body as { models: Json[] }).models;
      expect(list.length).toBeGreaterThan(0);
      expect(list[0]).toMatchObject({
        id: expect.any(String),
        owned_by: 'anthropic',
        type: 'claude',
      });

      const off = await call('PATCH', '/v0/management/auth-files/status', {
        name: 'claude-a@example.com.json',
        disabled: true,
      });
      expect(off).toMatchObject({ status: 200, body: { status: 'ok', disabled: true } });
      expect(
        JSON.parse(readFileSync(join(authDir, 'claude-a@example.com.json'), 'utf8')),
      ).toMatchObject({
        disabled: true,
        access_token: 'tok-a',
      });
      expect((await listed()).find((f) => f.name === 'claude-a@example.com.json')).toMatchObject({
        status: 'disabled',
        disabled: true,
      });
      const none = await call(
        'GET',
        '/v0/management/auth-files/models?name=claude-a@example.com.json',
      );
      expect(none.body).toEqual({ models: [] });

      const on = await call('PATCH', '/v0/management/auth-files/status', {
        name: 'claude-a@example.com.json',
        disabled: false,
      });
      expect(on.body).toEqual({ status: 'ok', disabled: false });
    });

    it('should patch fields, validate them, and download the result', async () => {
      const ok = await call('PATCH', '/v0/management/auth-files/fields', {
        name: 'claude-a@example.com.json',
        prefix: 'team',
        priority: 9,
        headers: { 'X-Team': 'blue' },
        note: 'e2e',
      });
      expect(ok).toMatchObject({ status: 200, body: { status: 'ok' } });
      const bad = await call('PATCH', '/v0/management/auth-files/fields', {
        name: 'claude-a@example.com.json',
        prefix: 'a/b',
      });
      expect(bad.status).toBe(400);
      expect((bad.body as Json).error).toMatch(/prefix/);

      const dl = await call(
        'GET',
        '/v0/management/auth-files/download?name=claude-a@example.com.json',
      );
      expect(dl.status).toBe(200);
      expect(dl.headers['content-disposition']).toBe(
        'attachment; filename="claude-a@example.com.json"',
      );
      expect(dl.headers['content-type']).toMatch(/application\/json/);
      expect(dl.body).toMatchObject({
        type: 'claude',
        access_token: 'tok-a',
        prefix: 'team',
        priority: 9,
        headers: { 'X-Team': 'blue' },
        note: 'e2e',
      });
      const row = (await listed()).find((f) => f.name === 'claude-a@example.com.json');
      expect(row).toMatchObject({ prefix: 'team', priority: 9, note: 'e2e' });
      const models = await call(
        'GET',
        '/v0/management/auth-files/models?name=claude-a@example.com.json',
      );
      expect(
        (models.body as { models: Json[] }).models.some((m) => String(m.id).startsWith('team/')),
      ).toBe(true);
    });

    it('should delete by repeated ?name=, by body, and everything with ?all=true', async () => {
      await call(
        'POST',
        '/v0/management/auth-files?name=extra-1.json',
        JSON.parse(claudeFile('t1', 'e1@x.io')),
      );
      await call(
        'POST',
        '/v0/management/auth-files?name=extra-2.json',
        JSON.parse(claudeFile('t2', 'e2@x.io')),
      );
      const two = await call(
        'DELETE',
        '/v0/management/auth-files?name=extra-1.json&name=missing.json',
      );
      expect(two).toMatchObject({
        status: 207,
        body: {
          status: 'partial',
          deleted: 1,
          files: ['extra-1.json'],
          failed: [{ name: 'missing.json', error: 'auth file not found' }],
        },
      });
      const byBody = await call('DELETE', '/v0/management/auth-files', { names: ['extra-2.json'] });
      expect(byBody).toMatchObject({ status: 200, body: { status: 'ok' } });
      const single = await call('DELETE', '/v0/management/auth-files?name=extra-2.json');
      expect(single).toMatchObject({ status: 404, body: { error: 'auth file not found' } });
      expect(names()).not.toContain('extra-1.json');
      expect(names()).not.toContain('extra-2.json');
    });
  });

  describe('api-call', () => {
    it("should call a local server with the credential's token substituted", async () => {
      const index = authIndexOf('file:claude-raw@example.com.json');
      const r = await call('POST', '/v0/management/api-call', {
        auth_index: index,
        method: 'POST',
        url: `${api.url}/echo?x=1`,
        header: { Authorization: 'Bearer $TOKEN$', 'X-Plain': 'p' },
        data: '{"hello":"world"}',
      });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        status_code: 200,
        header: expect.objectContaining({
          'Content-Type': ['application/json'],
          'X-Echo': ['yes'],
        }),
        body: JSON.stringify({
          auth: 'Bearer tok-raw',
          method: '/echo?x=1',
          body: '{"hello":"world"}',
        }),
      });
      const seen = api.seen.at(-1);
      expect(seen?.headers.authorization).toBe('Bearer tok-raw');
      expect(seen?.headers['x-plain']).toBe('p');
    });

    it('should relay upstream error statuses as data, not as its own error', async () => {
      const r = await call('POST', '/v0/management/api-call', {
        method: 'GET',
        url: `${api.url}/teapot`,
      });
      expect(r).toMatchObject({ status: 200, body: { status_code: 418 } });
    });

    it.each([
      [
        { auth_index: 'ffffffffffffffff', method: 'GET', url: 'http://127.0.0.1:1/' },
        404,
        /no credential with auth_index/,
      ],
      [
        { method: 'GET', url: 'http://127.0.0.1:1/', header: { A: '$TOKEN$' } },
        400,
        /needs an auth_index/,
      ],
      [{ method: 'GET', url: 'file:///etc/passwd' }, 400, /only http and https/],
      [
        { method: 'GET', url: 'http://169.254.169.254/latest/meta-data/' },
        400,
        /refused destination/,
      ],
      [{ method: 'GET', url: 'http://metadata.google.internal/' }, 400, /refused destination/],
      [{ method: 'GET', url: 'http://[fe80::1]/' }, 400, /refused destination/],
      [{ url: 'http://127.0.0.1:1/' }, 400, /missing method/],
    ])('should refuse %j', async (body, status, error) => {
      const before = api.seen.length;
      const r = await call('POST', '/v0/management/api-call', body);
      expect(r.status).toBe(status);
      expect((r.body as Json).error).toMatch(error);
      expect(api.seen.length).toBe(before);
    });

    it('should answer 502 when the destination does not answer', async () => {
      const r = await call('POST', '/v0/management/api-call', {
        method: 'GET',
        url: `http://127.0.0.1:${await freePort()}/`,
      });
      expect(r.status).toBe(502);
      expect((r.body as Json).error).toMatch(/^request failed: /);
    });
  });

  describe('latest-version', () => {
    it('should answer the feed tag, then a clear 502 when the feed is unreachable', async () => {
      const ok = await call('GET', '/v0/management/latest-version');
      expect(ok).toMatchObject({ status: 200, body: { 'latest-version': 'v9.8.7' } });
      expect(feed.seen.at(-1)?.url).toBe('/repos/x/releases/latest');
      const text = readFileSync(gw.configPath, 'utf8').replace(
        /release-feed-url: ".*"/,
        `release-feed-url: "${deadFeed}"`,
      );
      writeFileSync(gw.configPath, text);
      await waitFor(
        async () => (await call('GET', '/v0/management/latest-version')).status === 502,
        {
          timeoutMs: 5000,
          what: 'the new feed URL',
        },
      );
      const dead = await call('GET', '/v0/management/latest-version');
      expect(dead.body).toEqual({
        error: expect.stringMatching(
          /^release feed http:\/\/127\.0\.0\.1:\d+\/latest is unreachable: /,
        ),
      });
    });
  });

  describe('model-definitions and vertex import', () => {
    it('should list the catalog of a channel and refuse unknown channels', async () => {
      const ok = await call('GET', '/v0/management/model-definitions/claude');
      expect(ok.status).toBe(200);
      const body = ok.body as { channel: string; models: Json[] };
      expect(body.channel).toBe('claude');
      expect(body.models[0]).toMatchObject({
        object: 'model',
        owned_by: 'anthropic',
        type: 'claude',
        context_length: expect.any(Number),
      });
      const bad = await call('GET', '/v0/management/model-definitions/martian');
      expect(bad.status).toBe(400);
      expect((bad.body as Json).error).toMatch(/unknown channel "martian"/);
    });

    it('should import a service account (multipart) as a vertex auth file', async () => {
      const r = await multipart(
        [{ name: 'key.json', text: JSON.stringify(SERVICE_ACCOUNT) }],
        { location: 'europe-west4' },
        '/v0/management/vertex/import',
      );
      expect(r).toMatchObject({
        status: 200,
        body: {
          status: 'ok',
          'auth-file': 'vertex-e2e-proj.json',
          project_id: 'e2e-proj',
          email: 'sa@e2e-proj.iam.gserviceaccount.com',
          location: 'europe-west4',
        },
      });
      expect(JSON.parse(readFileSync(join(authDir, 'vertex-e2e-proj.json'), 'utf8'))).toMatchObject(
        {
          type: 'vertex',
          project_id: 'e2e-proj',
          service_account: SERVICE_ACCOUNT,
        },
      );
      const bad = await call('POST', '/v0/management/vertex/import', { type: 'service_account' });
      expect(bad.status).toBe(400);
      expect((bad.body as Json).error).toBe('project_id missing');
    });
  });

  describe('path traversal', () => {
    const outside = () =>
      readdirSync(root)
        .filter((n) => n !== 'auths')
        .sort();
    const NASTY = [
      '../canary.json',
      '..%2Fcanary.json',
      '%2e%2e%2fcanary.json',
      '..%5Ccanary.json',
      '%2Ftmp%2Fcanary.json',
      encodeURIComponent(join(tmpdir(), 'canary.json')),
      'a.json%00.txt',
      '%00',
      `${'a'.repeat(300)}.json`,
      'auths%2F..%2F..%2Fcanary.json',
    ];
    let before: { outside: string[]; mtime: number; inside: string[] };

    beforeAll(() => {
      // A symlink in the auth dir pointing out of it must never be followed.
      symlinkSync(canary, join(authDir, 'link.json'));
      before = { outside: outside(), mtime: statSync(canary).mtimeMs, inside: names() };
    });

    afterAll(() => {
      expect(readFileSync(canary, 'utf8')).toBe(CANARY_TEXT);
      expect(statSync(canary).mtimeMs).toBe(before.mtime);
      expect(outside()).toEqual(before.outside);
      expect(names()).toEqual(before.inside);
      expect(lstatSync(join(authDir, 'link.json')).isSymbolicLink()).toBe(true);
    });

    const routes: [string, (q: string) => Promise<Reply>][] = [
      ['download', (q) => call('GET', `/v0/management/auth-files/download?name=${q}`)],
      ['models', (q) => call('GET', `/v0/management/auth-files/models?name=${q}`)],
      ['delete', (q) => call('DELETE', `/v0/management/auth-files?name=${q}`)],
      [
        'upload',
        (q) =>
          call('POST', `/v0/management/auth-files?name=${q}`, JSON.parse(claudeFile('t', 'x@y.z'))),
      ],
      [
        'status',
        (q) =>
          call('PATCH', '/v0/management/auth-files/status', {
            name: decodeURIComponent(q),
            disabled: true,
          }),
      ],
      [
        'fields',
        (q) =>
          call('PATCH', '/v0/management/auth-files/fields', {
            name: decodeURIComponent(q),
            note: 'x',
          }),
      ],
      ['control download', (q) => call('GET', `/api/cliproxy/auth-files/download?name=${q}`)],
      [
        'control error log',
        (q) => call('GET', `/api/cliproxy/error-logs/${q === '%00' ? 'error-%00.log' : q}`),
      ],
    ];

    it.each(routes)(
      '%s should answer 400/404 for every nasty name and read nothing',
      async (route, send) => {
        for (const q of NASTY) {
          const r = await send(q);
          // 414: Fastify's router refuses path parameters over 100 characters before any route.
          expect(route === 'control error log' ? [400, 404, 414] : [400, 404]).toContain(r.status);
          expect(r.text).not.toContain('CANARY-DO-NOT-READ');
        }
      },
    );

    it('multipart upload should refuse file names with paths', async () => {
      for (const name of [
        '../canary.json',
        '..\\canary.json',
        join(root, 'canary.json'),
        'a\u0000.json',
      ]) {
        const r = await multipart([{ name, text: claudeFile('t', 'x@y.z') }]);
        expect(r.status).toBe(400);
        expect((r.body as Json).error).toMatch(/name/);
      }
    });

    it('should not follow a symlink out of the auth dir', async () => {
      const dl = await call('GET', '/v0/management/auth-files/download?name=link.json');
      expect(dl.status).toBe(404);
      const patch = await call('PATCH', '/v0/management/auth-files/status', {
        name: 'link.json',
        disabled: true,
      });
      expect(patch.status).toBe(404);
      const list = await listed();
      expect(list.map((f) => f.name)).not.toContain('link.json');
    });
  });

  describe('every route answers', () => {
    // The catalog of routes this spec owns: each must answer (no unknown-route 404) both ways.
    const CATALOG: {
      method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
      ok: [string, unknown?];
      fail: [string, unknown?];
      failStatus: number;
    }[] = [
      {
        method: 'GET',
        ok: ['/v0/management/auth-files'],
        fail: ['/v0/management/auth-files'],
        failStatus: 401,
      },
      {
        method: 'GET',
        ok: ['/v0/management/auth-files/models?name=vertex-e2e-proj.json'],
        fail: ['/v0/management/auth-files/models'],
        failStatus: 400,
      },
      {
        method: 'GET',
        ok: ['/v0/management/model-definitions/codex'],
        fail: ['/v0/management/model-definitions/none'],
        failStatus: 400,
      },
      {
        method: 'GET',
        ok: ['/v0/management/auth-files/download?name=vertex-e2e-proj.json'],
        fail: ['/v0/management/auth-files/download?name=nope.json'],
        failStatus: 404,
      },
      {
        method: 'POST',
        ok: ['/v0/management/auth-files?name=walk.json', { type: 'kimi', access_token: 'k' }],
        fail: ['/v0/management/auth-files?name=walk.txt', { type: 'kimi', access_token: 'k' }],
        failStatus: 400,
      },
      {
        method: 'PATCH',
        ok: ['/v0/management/auth-files/status', { name: 'walk.json', disabled: true }],
        fail: ['/v0/management/auth-files/status', { name: 'walk.json' }],
        failStatus: 400,
      },
      {
        method: 'PATCH',
        ok: ['/v0/management/auth-files/fields', { name: 'walk.json', note: 'n' }],
        fail: ['/v0/management/auth-files/fields', { name: 'walk.json' }],
        failStatus: 400,
      },
      {
        method: 'DELETE',
        ok: ['/v0/management/auth-files?name=walk.json'],
        fail: ['/v0/management/auth-files'],
        failStatus: 400,
      },
      {
        method: 'POST',
        ok: ['/v0/management/vertex/import', SERVICE_ACCOUNT],
        fail: ['/v0/management/vertex/import', { ...SERVICE_ACCOUNT, client_email: '' }],
        failStatus: 400,
      },
      {
        method: 'POST',
        ok: ['/v0/management/api-call', { method: 'GET', url: 'http://127.0.0.1:1/' }],
        fail: ['/v0/management/api-call', { method: 'GET' }],
        failStatus: 400,
      },
      {
        method: 'GET',
        ok: ['/v0/management/latest-version'],
        fail: ['/v0/management/latest-version'],
        failStatus: 401,
      },
    ];

    it.each(CATALOG)('$method $ok.0', async ({ method, ok, fail, failStatus }) => {
      const good = await call(method, ok[0], ok[1]);
      // api-call to a closed port and latest-version against the dead feed are 502 by design.
      expect([200, 502]).toContain(good.status);
      expect(good.body ?? good.text).toBeTruthy();
      const headers = failStatus === 401 ? {} : AUTH;
      const bad = await call(method, fail[0], fail[1], headers);
      expect(bad.status).toBe(failStatus);
      expect(bad.body).toEqual({ error: expect.any(String) });
    });

    it('should need the management key on every route', async () => {
      for (const { method, ok } of CATALOG) {
        const r = await call(method, ok[0], ok[1], {});
        expect(r.status).toBe(401);
        expect(r.body).toEqual({ error: 'missing management key' });
        // A good login clears the failure count (five in a row would ban 127.0.0.1).
        await call('GET', '/v0/management/auth-files');
      }
    });
  });

  describe('replicas', () => {
    it('should make an upload on one replica visible to another within a second', async () => {
      const prefix = /key-prefix: "([^"]+)"/.exec(readFileSync(gw.configPath, 'utf8'))?.[1];
      const other = await startGateway(
        `remote-management:
  secret-key: "${SECRET}"
auth-dir: "${authDir}"
redis:
  key-prefix: "${prefix}"
`,
        'gateway-files-2',
      );
      try {
        const started = Date.now();
        const up = await call(
          'POST',
          '/v0/management/auth-files?name=claude-late@example.com.json',
          JSON.parse(claudeFile('late', 'late@x.io')),
        );
        expect(up.status).toBe(200);
        await waitFor(
          () =>
            other.app
              .get(CredentialService)
              .snapshot()
              .credentials.some((c) => c.fileName === 'claude-late@example.com.json'),
          { timeoutMs: 1000, what: 'the other replica to load the upload' },
        );
        expect(Date.now() - started).toBeLessThan(1000);
      } finally {
        await other.close();
      }
    });
  });
});
