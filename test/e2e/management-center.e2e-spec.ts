import { hashSync } from 'bcryptjs';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { maskSecret } from '@app/config';
import { CredentialActivityService } from '@app/usage';
import { FakeUpstream } from '@test/fakes';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { postJson } from './proxy-e2e.helpers';

// CLIProxyAPI's Management Center against the gateway: CORS (checked by Chromium itself, from
// another origin), GET /config in the clear, list round trips that keep every secret, masked
// writes that keep them too, the shared per-credential counters on two replicas, the access
// lines in /logs, and every call the UI makes answered by a route (never a bare 404).

const SECRET = 'mc-e2e-management-key';
const CLIENT_KEY = 'sk-mc-client-key-0000-aaaa';
const GEM_A = 'AIzaSyMc-gemini-key-one-1111';
const GEM_B = 'AIzaSyMc-gemini-key-two-2222';
const OR_KEY = 'sk-or-mc-router-key-3333';
const CLAUDE_KEY = 'sk-ant-mc-claude-key-4444';
const HEADER_SECRET = 'Bearer mc-upstream-header-secret-5555';
const AUTH_FILE = 'claude-team@example.com.json';
const CHROMIUM = '/usr/bin/chromium';
const MGMT = { authorization: `Bearer ${SECRET}` };

jest.setTimeout(60000);

function configYaml(prefix: string, fakeUrl: string, authDir: string): string {
  return `# management center e2e
host: 127.0.0.1
redis:
  key-prefix: "${prefix}"
remote-management:
  # cost 4 keeps the spec fast
  secret-key: "${hashSync(SECRET, 4)}"
api-keys:
  - ${CLIENT_KEY}
# nothing leaves loopback: the release feed is a dead local port
release-feed-url: "http://127.0.0.1:9/releases/latest"
request-retry: 2
disable-cooling: true
auth-dir: "${authDir}"
provider-base-urls:
  claude: "${fakeUrl}"
gemini-api-key:
  - api-key: ${GEM_A} # first key
    base-url: "${fakeUrl}"
    headers:
      Authorization: "${HEADER_SECRET}"
    models:
      - name: gemini-2.5-flash
  - api-key: "${GEM_B}"
    base-url: "${fakeUrl}"
    models:
      - name: gemini-2.5-flash
claude-api-key:
  - api-key: ${CLAUDE_KEY}
    base-url: "${fakeUrl}"
    models:
      - name: claude-opus-4-1-20250805
openai-compatibility:
  - name: TeamRouter
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: ${OR_KEY}
    models:
      - name: gpt-4o-mini
`;
}

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** A management call from "another origin", as the UI makes it. */
async function mc(
  gw: TestGateway,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = MGMT,
): Promise<Answer> {
  const init: RequestInit = {
    method,
    headers: { origin: 'http://ui.example', ...headers },
  };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] =
      typeof body === 'string' ? 'application/yaml' : 'application/json';
  }
  const res = await fetch(`${gw.url}/v0/management/${path}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // YAML, or empty
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

async function ok<T = Record<string, unknown>>(
  gw: TestGateway,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const r = await mc(gw, method, path, body);
  expect([method, path, r.status]).toEqual([method, path, 200]);
  return r.body as T;
}

describe('CLIProxyAPI Management Center against the management API (e2e)', () => {
  let fake: FakeUpstream;
  let authDir: string;
  let a: TestGateway;
  let b: TestGateway;
  const fileText = () => readFileSync(a.configPath, 'utf8');

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    authDir = mkdtempSync(join(tmpdir(), 'sb-mc-auth-'));
    writeFileSync(
      join(authDir, AUTH_FILE),
      JSON.stringify({
        type: 'claude',
        email: 'team@example.com',
        access_token: 'sk-ant-oat01-mc-team',
        refresh_token: 'sk-ant-ort01-mc-team',
        expired: '2099-01-01T00:00:00Z',
      }),
    );
    const yaml = configYaml(uniquePrefix('mc'), fake.url, authDir);
    a = await startGateway(yaml, 'gateway-mc-a');
    b = await startGateway(yaml, 'gateway-mc-b', { configPath: a.configPath });
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await fake?.close();
    if (authDir) rmSync(authDir, { recursive: true, force: true });
  });

  describe('CORS', () => {
    const preflight = (gw: TestGateway, path: string, method = 'GET') =>
      fetch(`${gw.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://ui.example',
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization,content-type',
        },
      });

    it.each([
      ['management', '/v0/management/config', 'PUT'],
      ['proxy', '/v1/chat/completions', 'POST'],
      ['proxy (Gemini)', '/v1beta/models/gemini-2.5-flash:generateContent', 'POST'],
      ['control', '/api/cliproxy/proxy-status', 'GET'],
      ['cluster', '/api/v1/status', 'GET'],
      ['unknown', '/no/such/route', 'DELETE'],
    ])('should answer a %s preflight 204 without a key', async (_surface, path, method) => {
      const res = await preflight(a, path, method);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toBe(
        'GET, POST, PUT, PATCH, DELETE, OPTIONS',
      );
      expect(res.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
      expect(await res.text()).toBe('');
    });

    it('should never count a preflight as a failed login (no ban after many)', async () => {
      for (let i = 0; i < 8; i++)
        expect((await preflight(a, '/v0/management/config')).status).toBe(204);
      expect((await mc(a, 'GET', 'config')).status).toBe(200);
    });

    it('should grant CORS on management, proxy and control answers and expose the version headers', async () => {
      const config = await mc(a, 'GET', 'config');
      const refused = await mc(a, 'GET', 'config', undefined, { authorization: 'Bearer wrong' });
      const proxy = await postJson(
        `${a.url}/v1/chat/completions`,
        { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] },
        { authorization: `Bearer ${CLIENT_KEY}`, origin: 'http://ui.example' },
      );
      const control = await fetch(`${a.url}/api/cliproxy/proxy-status`, {
        headers: { origin: 'http://ui.example', ...MGMT },
      });
      expect([config.status, refused.status, proxy.status, control.status]).toEqual([
        200, 401, 200, 200,
      ]);
      for (const h of [config.headers, refused.headers, proxy.headers, control.headers]) {
        expect(h.get('access-control-allow-origin')).toBe('*');
        const exposed = (h.get('access-control-expose-headers') ?? '').split(/,\s*/);
        expect(exposed).toEqual(
          expect.arrayContaining([
            'X-CPA-VERSION',
            'X-CPA-COMMIT',
            'X-CPA-BUILD-DATE',
            'X-Request-Id',
          ]),
        );
      }
      expect(proxy.headers.get('content-type')).toContain('text/event-stream');
      expect(config.headers.get('x-cpa-version')).toBeTruthy();
      expect(config.headers.get('x-cpa-commit')).toBeTruthy();
      expect(config.headers.get('x-cpa-build-date')).toBeTruthy();
    });

    it('should not let a foreign page read the loopback-trusting APIs without a key', async () => {
      // The test runs on loopback, as a page in a browser on this machine would: its foreign
      // Origin makes it ask for a key, and without the grant the browser keeps even the refusal.
      const evil = { origin: 'https://evil.example' };
      const keyless = await fetch(`${a.url}/api/cliproxy/config.yaml`, { headers: evil });
      expect(keyless.status).toBe(401);
      expect(keyless.headers.get('access-control-allow-origin')).toBeNull();
      const keyed = await fetch(`${a.url}/api/cliproxy/config.yaml`, {
        headers: { ...evil, ...MGMT },
      });
      expect(keyed.headers.get('access-control-allow-origin')).toBe('*');
      const local = await fetch(`${a.url}/api/v1/status`, {
        headers: { origin: 'http://localhost:3000' },
      });
      expect(local.headers.get('access-control-allow-origin')).toBe('*');
    });

    describe('in Chromium, from a page on another origin', () => {
      const suite = existsSync(CHROMIUM) || process.env.CI ? it : it.skip;
      let browser: Browser | undefined;
      let page: Server | undefined;
      let origin = '';

      beforeAll(async () => {
        if (!existsSync(CHROMIUM) && !process.env.CI) return;
        const port = await freePort();
        page = createServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end('<!doctype html><title>ui</title>');
        });
        await new Promise<void>((resolve) => page!.listen(port, '127.0.0.1', resolve));
        origin = `http://127.0.0.1:${port}`;
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          headless: true,
          args: ['--no-sandbox', '--disable-dev-shm-usage'],
        });
      });

      afterAll(async () => {
        await browser?.close();
        await new Promise((resolve) => (page ? page.close(resolve) : resolve(undefined)));
      });

      suite(
        'should let the browser log in, read the version headers, write and stream',
        async () => {
          const tab = await browser!.newPage();
          await tab.goto(origin);
          const got = await tab.evaluate(
            async ({ api, key, clientKey }) => {
              const auth = { Authorization: `Bearer ${key}` };
              const cfg = await fetch(`${api}/v0/management/config`, { headers: auth });
              const body = (await cfg.json()) as { 'api-keys': string[] };
              const put = await fetch(`${api}/v0/management/request-log`, {
                method: 'PUT',
                headers: { ...auth, 'Content-Type': 'application/json' },
                body: JSON.stringify({ value: false }),
              });
              const models = await fetch(`${api}/v1/models`, {
                headers: { Authorization: `Bearer ${clientKey}` },
              });
              const chat = await fetch(`${api}/v1/chat/completions`, {
                method: 'POST',
                headers: {
                  Authorization: `Bearer ${clientKey}`,
                  'Content-Type': 'application/json',
                },
                body: JSON.stringify({
                  model: 'gpt-4o-mini',
                  stream: true,
                  messages: [{ role: 'user', content: 'hi' }],
                }),
              });
              const streamed = await chat.text();
              return {
                status: cfg.status,
                version: cfg.headers.get('x-cpa-version'),
                buildDate: cfg.headers.get('x-cpa-build-date'),
                requestId: cfg.headers.get('x-request-id'),
                apiKeys: body['api-keys'],
                put: put.status,
                models: models.status,
                chat: chat.status,
                streamed: streamed.includes('data: [DONE]'),
              };
            },
            { api: a.url, key: SECRET, clientKey: CLIENT_KEY },
          );
          expect(got).toEqual({
            status: 200,
            version: expect.any(String),
            buildDate: expect.any(String),
            requestId: expect.any(String),
            apiKeys: [CLIENT_KEY],
            put: 200,
            models: 200,
            chat: 200,
            streamed: true,
          });
          await tab.close();
        },
      );
    });
  });

  describe('GET /config and writes back', () => {
    it('should answer the real values', async () => {
      const cfg = await ok(a, 'GET', 'config');
      expect(cfg['api-keys']).toEqual([CLIENT_KEY]);
      const gemini = cfg['gemini-api-key'] as Record<string, unknown>[];
      expect(gemini.map((e) => e['api-key'])).toEqual([GEM_A, GEM_B]);
      expect(gemini[0].headers).toEqual({ Authorization: HEADER_SECRET });
      const compat = cfg['openai-compatibility'] as {
        'api-key-entries': { 'api-key': string }[];
      }[];
      expect(compat[0]['api-key-entries'][0]['api-key']).toBe(OR_KEY);
    });

    it('should keep every secret through a list round trip (GET /config → edit one entry → PUT the list)', async () => {
      const cfg = await ok(a, 'GET', 'config');
      const gemini = cfg['gemini-api-key'] as Record<string, unknown>[];
      gemini[1] = { ...gemini[1], priority: 3 };
      expect(await ok(a, 'PUT', 'gemini-api-key', gemini)).toEqual({ status: 'ok' });
      const compat = cfg['openai-compatibility'] as Record<string, unknown>[];
      compat[0] = { ...compat[0], prefix: 'team' };
      expect(await ok(b, 'PUT', 'openai-compatibility', compat)).toEqual({ status: 'ok' });

      const after = await ok(b, 'GET', 'config');
      const list = after['gemini-api-key'] as Record<string, unknown>[];
      expect(list.map((e) => [e['api-key'], e.priority ?? 0])).toEqual([
        [GEM_A, 0],
        [GEM_B, 3],
      ]);
      expect(list[0].headers).toEqual({ Authorization: HEADER_SECRET });
      for (const s of [GEM_A, GEM_B, OR_KEY, HEADER_SECRET, CLAUDE_KEY, CLIENT_KEY])
        expect(fileText()).toContain(s);
    });

    it('should keep the stored secrets when a write sends their masked forms', async () => {
      const masked = (await ok(a, 'GET', 'gemini-api-key'))['gemini-api-key'] as Record<
        string,
        unknown
      >[];
      const olderPanel = masked.map((e) => ({
        ...e,
        'api-key': maskSecret(String(e['api-key'])),
        headers:
          (e.headers as Record<string, string>).Authorization === HEADER_SECRET
            ? { Authorization: maskSecret(HEADER_SECRET) }
            : e.headers,
      }));
      expect(await ok(a, 'PUT', 'gemini-api-key', olderPanel)).toEqual({ status: 'ok' });
      expect(await ok(a, 'PUT', 'api-keys', [maskSecret(CLIENT_KEY)])).toEqual({ status: 'ok' });
      expect(
        await ok(a, 'PATCH', 'claude-api-key', {
          index: 0,
          value: { 'api-key': maskSecret(CLAUDE_KEY), priority: 1 },
        }),
      ).toEqual({ status: 'ok' });
      // A whole config.yaml with every secret masked, as an older GET /config showed them.
      const yamlMasked = fileText()
        .replace(OR_KEY, maskSecret(OR_KEY))
        .replace(GEM_B, maskSecret(GEM_B))
        .replace('request-retry: 2', 'request-retry: 1');
      const put = await mc(a, 'PUT', 'config.yaml', yamlMasked);
      expect(put.status).toBe(200);

      const cfg = await ok(a, 'GET', 'config');
      expect(cfg['api-keys']).toEqual([CLIENT_KEY]);
      expect((cfg['gemini-api-key'] as Record<string, unknown>[]).map((e) => e['api-key'])).toEqual(
        [GEM_A, GEM_B],
      );
      expect(cfg['request-retry']).toBe(1);
      expect((cfg['claude-api-key'] as Record<string, unknown>[])[0]).toMatchObject({
        'api-key': CLAUDE_KEY,
        priority: 1,
      });
      for (const s of [GEM_A, GEM_B, OR_KEY, HEADER_SECRET, CLAUDE_KEY, CLIENT_KEY])
        expect(fileText()).toContain(s);
      // The client key still opens the proxy on both replicas.
      for (const gw of [a, b]) {
        const res = await postJson(
          `${gw.url}/v1/chat/completions`,
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
          { authorization: `Bearer ${CLIENT_KEY}` },
        );
        expect(res.status).toBe(200);
      }
    });

    it('should refuse a mask it cannot attribute to one stored secret', async () => {
      const twinA = 'AIzaSyMc-twin-key-aaaa-9999';
      const twinB = 'AIzaSyMc-twin-key-bbbb-9999';
      expect(maskSecret(twinA)).toBe(maskSecret(twinB));
      const gemini = (await ok(a, 'GET', 'config'))['gemini-api-key'] as Record<string, unknown>[];
      await ok(a, 'PUT', 'gemini-api-key', [...gemini, { 'api-key': twinA }, { 'api-key': twinB }]);
      const r = await mc(a, 'PUT', 'gemini-api-key', [{ 'api-key': maskSecret(twinA) }]);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: expect.stringMatching(/masked form of more than one/) });
      await ok(a, 'PUT', 'gemini-api-key', gemini);
    });

    it('should keep an auth file’s proxy password when a field edit sends it masked', async () => {
      await ok(a, 'PATCH', 'auth-files/fields', {
        name: AUTH_FILE,
        proxy_url: 'http://team:proxy-pass-6666@127.0.0.1:9',
      });
      await ok(a, 'PATCH', 'auth-files/fields', {
        name: AUTH_FILE,
        proxy_url: 'http://team:****@127.0.0.1:9/',
        note: 'edited',
      });
      const file = JSON.parse(readFileSync(join(authDir, AUTH_FILE), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(file).toMatchObject({
        proxy_url: 'http://team:proxy-pass-6666@127.0.0.1:9',
        note: 'edited',
      });
      await ok(a, 'PATCH', 'auth-files/fields', { name: AUTH_FILE, proxy_url: null, note: null });
    });
  });

  describe('per-credential counters on two replicas', () => {
    type Usage = Record<
      string,
      Record<
        string,
        {
          success: number;
          failed: number;
          recent_requests: { time: string; success: number; failed: number }[];
        }
      >
    >;
    type Rows = {
      files: {
        name: string;
        success: number;
        failed: number;
        recent_requests: { success: number; failed: number }[];
      }[];
    };

    const chat = (gw: TestGateway, model: string) =>
      postJson(
        `${gw.url}/v1/chat/completions`,
        { model, messages: [{ role: 'user', content: 'count me' }] },
        { authorization: `Bearer ${CLIENT_KEY}` },
      );

    it('should count every attempt once, and both replicas answer the same', async () => {
      // Earlier tests' attempts are written first, so the baseline holds them on both replicas.
      for (const gw of [a, b]) await gw.app.get(CredentialActivityService).flush();
      const before = await ok<Usage>(a, 'GET', 'api-key-usage');
      const geminiKey = (k: string) => `${fake.url}|${k}`;
      const start = {
        a: before.gemini[geminiKey(GEM_A)],
        b: before.gemini[geminiKey(GEM_B)],
        or: before.teamrouter[`${fake.url}/v1|${OR_KEY}`],
      };
      const fileBefore = (await ok<Rows>(a, 'GET', 'auth-files')).files.find(
        (f) => f.name === AUTH_FILE,
      )!;

      // Gemini: 3 requests per replica; the first attempt on key B fails once and is retried.
      fake.fail({ status: 500, times: 1, match: { apiKey: GEM_B } });
      for (const gw of [a, b, a, b, a, b])
        expect((await chat(gw, 'gemini-2.5-flash')).status).toBe(200);
      // The auth file (Claude OAuth) through both replicas, and the compat key once.
      for (const gw of [a, b])
        expect((await chat(gw, 'claude-sonnet-4-5-20250929')).status).toBe(200);
      expect((await chat(b, 'gpt-4o-mini')).status).toBe(200);

      const read = async () => {
        const [ua, ub] = [
          await ok<Usage>(a, 'GET', 'api-key-usage'),
          await ok<Usage>(b, 'GET', 'api-key-usage'),
        ];
        const [ra, rb] = [
          await ok<Rows>(a, 'GET', 'auth-files'),
          await ok<Rows>(b, 'GET', 'auth-files'),
        ];
        return { ua, ub, ra, rb };
      };
      let last: unknown;
      const got = await waitFor(
        async () => {
          const r = await read();
          const ka = r.ua.gemini[geminiKey(GEM_A)];
          const kb = r.ua.gemini[geminiKey(GEM_B)];
          const attempts = ka.success + ka.failed + kb.success + kb.failed;
          const startAttempts = start.a.success + start.a.failed + start.b.success + start.b.failed;
          const same =
            JSON.stringify(r.ua) === JSON.stringify(r.ub) &&
            JSON.stringify(r.ra) === JSON.stringify(r.rb);
          last = { same, attempts: attempts - startAttempts, r };
          return same && attempts === startAttempts + 7 ? r : undefined;
        },
        { timeoutMs: 5000, what: 'both replicas to count 7 Gemini attempts' },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last read: ${JSON.stringify(last)}`);
      });

      const ka = got.ua.gemini[geminiKey(GEM_A)];
      const kb = got.ua.gemini[geminiKey(GEM_B)];
      expect(kb.failed - start.b.failed).toBe(1);
      expect(ka.failed - start.a.failed).toBe(0);
      expect(ka.success + kb.success - start.a.success - start.b.success).toBe(6);
      const or = got.ua.teamrouter[`${fake.url}/v1|${OR_KEY}`];
      expect(or.success - start.or.success).toBe(1);
      expect(Object.keys(got.ua).sort()).toEqual(['claude', 'gemini', 'teamrouter']);
      expect(got.ua.claude[`${fake.url}|${CLAUDE_KEY}`]).toMatchObject({ success: 0, failed: 0 });
      for (const entry of [ka, kb, or]) {
        expect(entry.recent_requests).toHaveLength(20);
        expect(entry.recent_requests[19].time).toMatch(/^\d\d:\d\d-\d\d:\d\d$/);
        const sum = entry.recent_requests.reduce((n, r) => n + r.success + r.failed, 0);
        expect(sum).toBe(entry.success + entry.failed);
      }

      const file = got.ra.files.find((f) => f.name === AUTH_FILE)!;
      expect(file.success - fileBefore.success).toBe(2);
      expect(file.failed).toBe(fileBefore.failed);
      expect(file.recent_requests).toHaveLength(20);
      expect(file.recent_requests.reduce((n, r) => n + r.success, 0)).toBe(file.success);
    });
  });

  describe('routes the UI calls that this gateway has no feature for', () => {
    it('should list no plugins and answer 501 for xAI, Gemini Interactions and plugin actions', async () => {
      expect(await ok(a, 'GET', 'plugins')).toEqual({
        plugins_enabled: false,
        plugins_dir: '',
        plugins: [],
      });
      expect(await ok(a, 'GET', 'plugin-store')).toMatchObject({ plugins: [] });
      for (const [method, path, feature] of [
        ['GET', 'xai-auth-url?is_webui=true', /xAI/],
        ['PUT', 'xai-api-key', /xAI/],
        ['DELETE', 'xai-api-key?api-key=x&base-url=', /xAI/],
        ['GET', 'interactions-api-key', /Interactions/],
        ['PUT', 'interactions-api-key', /Interactions/],
        ['PATCH', 'plugins/p1/enabled', /plugins/],
        ['POST', 'plugin-store/p1/install', /plugins/],
      ] as const) {
        const r = await mc(
          a,
          method,
          path,
          method === 'PUT' || method === 'PATCH' ? [] : undefined,
        );
        expect([method, path, r.status]).toEqual([method, path, 501]);
        expect(r.body).toEqual({ error: expect.stringMatching(feature) });
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
      }
      expect((await mc(a, 'GET', 'plugins', undefined, {})).status).toBe(401);
    });
  });

  /**
   * Every call the current Management Center makes (its src/services/api), each answered by a
   * route: a 2xx, or the route's own error for the arguments given here, never the gateway's
   * "Cannot GET …" for a route it lacks. Each answer carries the CORS grant. The Kimi login is
   * left out: it is a device flow that would call Kimi's server.
   */
  it('should answer every call the Management Center makes with a route of its own', async () => {
    const yaml = fileText();
    const current = await ok(a, 'GET', 'config');
    const calls: [string, string, unknown?][] = [
      ['GET', 'config'],
      ['GET', 'config.yaml'],
      ['PUT', 'config.yaml', yaml],
      ['PUT', 'request-log', { value: false }],
      ['GET', 'api-keys'],
      ['PUT', 'api-keys', current['api-keys']],
      ['PATCH', 'api-keys', { index: 0, value: CLIENT_KEY }],
      ['DELETE', 'api-keys?index=99'],
      ['GET', 'api-key-usage'],
      ['GET', 'auth-files'],
      ['PATCH', 'auth-files/status', { name: 'missing.json', disabled: true }],
      ['PATCH', 'auth-files/fields', { name: 'missing.json', prefix: 'x' }],
      ['POST', 'auth-files?name=missing.json', { type: 'nothing' }],
      ['DELETE', 'auth-files', { names: ['missing.json'] }],
      ['GET', 'auth-files/download?name=missing.json'],
      ['GET', 'auth-files/models?name=missing.json'],
      ['GET', 'model-definitions/claude'],
      ['GET', 'oauth-excluded-models'],
      ['PATCH', 'oauth-excluded-models', { provider: 'claude', models: ['x-*'] }],
      ['PUT', 'oauth-excluded-models', {}],
      ['DELETE', 'oauth-excluded-models?provider=claude'],
      ['GET', 'oauth-model-alias'],
      ['PATCH', 'oauth-model-alias', { channel: 'claude', aliases: [] }],
      ['DELETE', 'oauth-model-alias?channel=claude'],
      ['GET', 'logs?limit=10'],
      ['DELETE', 'logs'],
      ['GET', 'request-error-logs'],
      ['GET', 'request-error-logs/error-missing.log'],
      ['GET', 'request-log-by-id/missing-id'],
      ['GET', 'codex-auth-url?is_webui=true'],
      ['GET', 'anthropic-auth-url?is_webui=true'],
      ['GET', 'antigravity-auth-url?is_webui=true'],
      ['GET', 'xai-auth-url?is_webui=true'],
      ['GET', 'get-auth-status?state=missing'],
      [
        'POST',
        'oauth-callback',
        { provider: 'codex', redirect_url: 'http://localhost/cb?state=x&code=y' },
      ],
      ['GET', 'plugins'],
      ['GET', 'plugin-store'],
      ['PATCH', 'plugins/p/enabled', { enabled: true }],
      ['DELETE', 'plugins/p'],
      ['GET', 'plugins/p/config'],
      ['PATCH', 'plugins/p/config', {}],
      ['POST', 'plugin-store/p/install'],
      ['PUT', 'gemini-api-key', current['gemini-api-key']],
      ['DELETE', 'gemini-api-key?api-key=missing&base-url='],
      ['PUT', 'interactions-api-key', []],
      ['DELETE', 'interactions-api-key?api-key=missing&base-url='],
      ['PUT', 'codex-api-key', []],
      ['DELETE', 'codex-api-key?api-key=missing&base-url='],
      ['PUT', 'xai-api-key', []],
      ['DELETE', 'xai-api-key?api-key=missing&base-url='],
      ['PUT', 'claude-api-key', current['claude-api-key']],
      ['DELETE', 'claude-api-key?api-key=missing&base-url='],
      ['GET', 'vertex-api-key'],
      ['PUT', 'vertex-api-key', []],
      ['DELETE', 'vertex-api-key?api-key=missing&base-url='],
      ['GET', 'openai-compatibility'],
      ['PUT', 'openai-compatibility', current['openai-compatibility']],
      ['PATCH', 'openai-compatibility', { index: 0, value: { disabled: false } }],
      ['DELETE', 'openai-compatibility?index=99'],
      ['GET', 'latest-version'],
      ['POST', 'vertex/import', { nothing: true }],
      ['POST', 'api-call', { method: 'GET' }],
    ];
    const missing: string[] = [];
    for (const [method, path, body] of calls) {
      const r = await mc(a, method, path, body);
      const routeless =
        r.status === 404 &&
        typeof r.body === 'object' &&
        r.body !== null &&
        typeof (r.body as { error?: unknown }).error !== 'string';
      if (routeless || r.status === 405) missing.push(`${method} ${path} → ${r.status}`);
      expect([method, path, r.headers.get('access-control-allow-origin')]).toEqual([
        method,
        path,
        '*',
      ]);
      expect([method, path, r.status < 500 || r.status === 501 || r.status === 502]).toEqual([
        method,
        path,
        true,
      ]);
    }
    expect(missing).toEqual([]);
    // The secrets are still where they were after all that.
    for (const s of [GEM_A, GEM_B, OR_KEY, CLAUDE_KEY, CLIENT_KEY]) expect(fileText()).toContain(s);
  });
});

describe('access lines in GET /v0/management/logs (e2e, built gateway)', () => {
  let fake: FakeUpstream;
  let authDir: string;
  let gw: ChildApp | undefined;
  let url = '';

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    authDir = mkdtempSync(join(tmpdir(), 'sb-mc-logs-'));
    const dir = mkdtempSync(join(tmpdir(), 'sb-mc-logs-cfg-'));
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, configYaml(uniquePrefix('mc-logs'), fake.url, authDir));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gw = startNode(distEntry('apps/gateway/src/main.js'), {
      CONFIG_PATH: configPath,
      REDIS_URL: testRedisUrl(),
      PORT: String(port),
      DATA_DIR: dir,
      SB_PROCESS_NAME: 'gateway-mc-logs',
      LOG_LEVEL: 'info',
    });
    await waitFor(async () => (await fetch(`${url}/healthz`)).ok, {
      timeoutMs: 30000,
      what: 'the built gateway',
    });
  });

  afterAll(async () => {
    await gw?.stop('SIGTERM', 10000);
    await fake?.close();
    if (authDir) rmSync(authDir, { recursive: true, force: true });
  });

  it('should show HTTP requests in CLIProxyAPI’s request-log layout', async () => {
    const res = await postJson(
      `${url}/v1/chat/completions`,
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'log me' }] },
      { authorization: `Bearer ${CLIENT_KEY}` },
    );
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    const denied = await fetch(`${url}/v0/management/config`, {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(denied.status).toBe(401);
    const lines = await waitFor(
      async () => {
        const r = await fetch(`${url}/v0/management/logs?limit=500`, { headers: MGMT });
        const page = (await r.json()) as { lines: string[] };
        const mine = page.lines.filter(
          (l) =>
            l.includes('request_id=') &&
            (l.includes('/v1/chat/completions') || l.includes('/v0/management/config')),
        );
        return mine.length >= 2 ? mine : undefined;
      },
      { timeoutMs: 10000, what: 'the access lines' },
    );
    const pattern = (level: string, status: number, method: string, path: string) =>
      new RegExp(
        `^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\] \\[${level}\\] \\[gateway-mc-logs\\] ${status} \\| +\\d+(?:\\.\\d+)?m?s \\| +127\\.0\\.0\\.1 \\| ${method} +"${path}" \\| request_id=`,
      );
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(pattern('info', 200, 'POST', '/v1/chat/completions')),
        expect.stringMatching(pattern('warn', 401, 'GET', '/v0/management/config')),
      ]),
    );
    expect(lines.find((l) => l.includes('POST'))).toContain(`request_id=${id}`);
    expect(lines.join('\n')).not.toContain(CLIENT_KEY);
  });
});
