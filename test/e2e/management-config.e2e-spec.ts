import { hashSync } from 'bcryptjs';
import { readFileSync } from 'node:fs';
import { ConfigService, parseConfig } from '@app/config';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';
import { postJson } from './proxy-e2e.helpers';

// The config, scalar and list routes of /v0/management: a walk over every route (a success and
// an error each, checked against CATALOG at the end), then two replicas sharing one config file.

const SECRET = 'mgmt-config-e2e';
const CLIENT_KEY = 'sk-client-1';
const FF_KEYS = ['ff-key-1', 'ff-key-2'];
const KEY_LISTS = ['gemini-api-key', 'claude-api-key', 'codex-api-key', 'vertex-api-key'];

/** Every route this spec must walk: `METHOD path` under /v0/management. */
const CATALOG: string[] = [
  'GET config',
  'GET config.yaml',
  'PUT config.yaml',
  ...[
    'debug',
    'logging-to-file',
    'logs-max-total-size-mb',
    'error-logs-max-files',
    'request-retry',
    'max-retry-interval',
    'force-model-prefix',
    'routing/strategy',
    'ws-auth',
    'request-log',
    'quota-exceeded/switch-project',
    'quota-exceeded/switch-preview-model',
    'proxy-url',
    'ampcode/upstream-url',
    'ampcode/upstream-api-key',
    'ampcode/restrict-management-to-localhost',
    'ampcode/force-model-mappings',
  ].flatMap((r) => [`GET ${r}`, `PUT ${r}`, `PATCH ${r}`]),
  'DELETE proxy-url',
  'DELETE ampcode/upstream-url',
  'DELETE ampcode/upstream-api-key',
  'GET ampcode',
  ...[
    'api-keys',
    ...KEY_LISTS,
    'openai-compatibility',
    'oauth-excluded-models',
    'oauth-model-alias',
    'ampcode/model-mappings',
    'ampcode/upstream-api-keys',
  ].flatMap((r) => [`GET ${r}`, `PUT ${r}`, `PATCH ${r}`, `DELETE ${r}`]),
];

type Method = 'GET' | 'PUT' | 'PATCH' | 'DELETE';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Record<string, unknown>;
}

/** Route → statuses seen, for the coverage check. */
const seen = new Map<string, number[]>();

function configYaml(prefix: string, fakeUrl: string): string {
  return `# management config e2e
redis:
  key-prefix: "${prefix}"
remote-management:
  # cost 4 keeps the spec fast
  secret-key: "${hashSync(SECRET, 4)}"
# client keys
api-keys:
  - ${CLIENT_KEY}
routing:
  strategy: round-robin
claude-api-key:
${FF_KEYS.map((k) => `  - api-key: "${k}"\n    base-url: "${fakeUrl}"\n    models:\n      - name: claude-ff`).join('\n')}
# trailing comment kept
`;
}

async function call(
  gw: TestGateway,
  method: Method,
  route: string,
  payload?: unknown,
  opts: { contentType?: string; auth?: boolean } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.auth !== false) headers.authorization = `Bearer ${SECRET}`;
  let body: string | undefined;
  if (payload !== undefined) {
    headers['content-type'] = opts.contentType ?? 'application/json';
    body = typeof payload === 'string' && opts.contentType ? payload : JSON.stringify(payload);
  }
  const res = await gw.app.inject({
    method,
    url: `/v0/management/${route}`,
    headers,
    payload: body,
    remoteAddress: '127.0.0.1',
  });
  const key = `${method} ${route.split('?')[0]}`;
  seen.set(key, [...(seen.get(key) ?? []), res.statusCode]);
  let parsed: Record<string, unknown> = {};
  try {
    parsed = res.json<Record<string, unknown>>();
  } catch {
    // config.yaml answers in YAML
  }
  return { status: res.statusCode, body: parsed, text: res.body, headers: res.headers };
}

/** A call that must succeed; returns its body. */
async function okCall(
  gw: TestGateway,
  method: Method,
  route: string,
  payload?: unknown,
): Promise<Record<string, unknown>> {
  const r = await call(gw, method, route, payload);
  expect([method, route, r.status, r.body]).toEqual([method, route, 200, r.body]);
  return r.body;
}

/** A call that must fail with `status` and an `{"error": …}` matching `error`. */
async function failCall(
  gw: TestGateway,
  method: Method,
  route: string,
  payload: unknown,
  status: number,
  error: string | RegExp,
): Promise<void> {
  const r = await call(gw, method, route, payload);
  expect([method, route, r.status]).toEqual([method, route, status]);
  expect(r.body.error).toEqual(typeof error === 'string' ? error : expect.stringMatching(error));
}

/** GET answers with no key: 401, the error every GET route is checked with. */
async function unauthenticated(gw: TestGateway, route: string): Promise<void> {
  const r = await call(gw, 'GET', route, undefined, { auth: false });
  expect([route, r.status, r.body]).toEqual([route, 401, { error: 'missing management key' }]);
}

describe('management config routes (e2e)', () => {
  let fake: FakeUpstream;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    const yaml = configYaml(uniquePrefix('mgmt-config'), fake.url);
    a = await startGateway(yaml, 'gateway-mgmt-config-a');
    b = await startGateway(yaml, 'gateway-mgmt-config-b', { configPath: a.configPath });
  });

  afterAll(async () => {
    // B first: A's close removes the shared config dir.
    await b?.close();
    await a?.close();
    await fake?.close();
  });

  const fileText = () => readFileSync(a.configPath, 'utf8');

  describe('walk of every route', () => {
    it('should answer GET /config with every key, its defaults filled in and secrets as stored', async () => {
      const cfg = await okCall(a, 'GET', 'config');
      expect(cfg).toMatchObject({ port: 8317, debug: false, routing: { strategy: 'round-robin' } });
      expect((cfg['api-keys'] as string[])[0]).toBe(CLIENT_KEY);
      expect(JSON.stringify(cfg)).toContain(FF_KEYS[0]);
      await unauthenticated(a, 'config');
    });

    it('should serve config.yaml byte for byte and replace it only with valid text', async () => {
      const get = await call(a, 'GET', 'config.yaml');
      expect(get.status).toBe(200);
      expect(get.headers['content-type']).toBe('application/yaml; charset=utf-8');
      expect(get.text).toBe(fileText());
      await unauthenticated(a, 'config.yaml');

      const edited = `${get.text}# edited through PUT /config.yaml\n`;
      const put = await call(a, 'PUT', 'config.yaml', edited, { contentType: 'application/yaml' });
      expect([put.status, put.body]).toEqual([200, { ok: true, status: 'ok', changed: [] }]);
      expect(fileText()).toBe(edited);

      const retry = `${edited}request-retry: 1\n`;
      const plain = await call(a, 'PUT', 'config.yaml', retry, { contentType: 'text/plain' });
      expect([plain.status, plain.body.changed]).toEqual([200, ['config']]);
      expect(a.app.get(ConfigService).current['request-retry']).toBe(1);

      const broken = await call(a, 'PUT', 'config.yaml', `${retry}debug: [true\n`, {
        contentType: 'application/yaml',
      });
      expect(broken.status).toBe(400);
      expect(broken.body).toMatchObject({ error: 'invalid_yaml' });
      expect(broken.body.message).toMatch(/line \d+: YAML syntax/);

      const lines = retry.split('\n').length;
      const invalid = await call(a, 'PUT', 'config.yaml', `${retry}max-retry-interval: soon\n`, {
        contentType: 'application/yaml',
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body).toMatchObject({
        error: 'invalid_config',
        issues: [{ path: 'max-retry-interval', line: lines }],
      });
      expect(invalid.body.message).toContain(`line ${lines}: max-retry-interval:`);

      await failCall(a, 'PUT', 'config.yaml', { content: retry }, 400, /raw request body/);
      // Nothing refused was written.
      expect(fileText()).toBe(retry);
    });

    const SCALARS: [string, unknown, unknown, RegExp][] = [
      ['debug', true, 'yes', /must be a boolean/],
      ['logging-to-file', true, 1, /must be a boolean/],
      ['logs-max-total-size-mb', 100, -5, /must be ≥ 0/],
      ['error-logs-max-files', 5, 'x', /must be an integer/],
      ['request-retry', 2, 1.5, /must be an integer/],
      ['max-retry-interval', 30, -1, /must be ≥ 0/],
      ['force-model-prefix', true, null, /must be a boolean/],
      ['routing/strategy', 'fill-first', 'random', /one of round-robin, fill-first/],
      ['ws-auth', true, 'true', /must be a boolean/],
      ['request-log', true, 0, /must be a boolean/],
      ['quota-exceeded/switch-project', true, {}, /must be a boolean/],
      ['quota-exceeded/switch-preview-model', true, [], /must be a boolean/],
      ['proxy-url', 'socks5://127.0.0.1:1080', 'ftp://proxy', /must be a proxy URL/],
      ['ampcode/upstream-url', 'https://amp.example', 'amp.example', /http:\/\/ or https/],
      ['ampcode/upstream-api-key', 'sk-amp-upstream', 5, /must be a string/],
      ['ampcode/restrict-management-to-localhost', true, 'no', /must be a boolean/],
      ['ampcode/force-model-mappings', true, 'no', /must be a boolean/],
    ];

    it.each(SCALARS)('should read, set and refuse %s', async (route, good, bad, error) => {
      const key = route.split('/').pop() as string;
      const before = await okCall(a, 'GET', route);
      expect(Object.keys(before)).toEqual([key]);
      expect(await okCall(a, 'PUT', route, { value: good })).toEqual({ status: 'ok' });
      expect(await okCall(a, 'GET', route)).toEqual({ [key]: good });
      expect(await okCall(b, 'GET', 'config')).toBeDefined();
      expect(await okCall(a, 'PATCH', route, { value: before[key] })).toEqual({ status: 'ok' });
      expect(await okCall(a, 'GET', route)).toEqual(before);
      await failCall(a, 'PUT', route, { value: bad }, 400, error);
      await failCall(a, 'PATCH', route, { wrong: good }, 400, /^invalid body: expected \{"value"/);
      await unauthenticated(a, route);
      expect(await okCall(a, 'GET', route)).toEqual(before);
      if (typeof good === 'string' && key !== 'strategy') {
        await okCall(a, 'PUT', route, { value: good });
        expect(await okCall(a, 'DELETE', route)).toEqual({ status: 'ok' });
        expect(await okCall(a, 'GET', route)).toEqual({ [key]: '' });
        const del = await call(a, 'DELETE', route, undefined, { auth: false });
        expect(del.status).toBe(401);
      }
    });

    it('should edit api-keys as CLIProxyAPI does', async () => {
      expect(await okCall(a, 'GET', 'api-keys')).toEqual({ 'api-keys': [CLIENT_KEY] });
      await okCall(a, 'PUT', 'api-keys', [CLIENT_KEY, 'k2']);
      await okCall(a, 'PUT', 'api-keys', { items: [CLIENT_KEY, 'k2', 'k3'] });
      await okCall(a, 'PATCH', 'api-keys', { old: 'k2', new: 'k2b' });
      await okCall(a, 'PATCH', 'api-keys', { old: 'absent', new: 'k4' });
      await okCall(a, 'PATCH', 'api-keys', { index: 2, value: 'k3b' });
      expect(await okCall(a, 'GET', 'api-keys')).toEqual({
        'api-keys': [CLIENT_KEY, 'k2b', 'k3b', 'k4'],
      });
      await okCall(a, 'DELETE', 'api-keys?value=k4');
      await okCall(a, 'DELETE', 'api-keys?index=1');
      expect(await okCall(a, 'GET', 'api-keys')).toEqual({ 'api-keys': [CLIENT_KEY, 'k3b'] });

      await failCall(a, 'PUT', 'api-keys', [CLIENT_KEY, 7], 400, 'api-keys[1] must be a string');
      await failCall(a, 'PATCH', 'api-keys', { index: 9, value: 'x' }, 404, /no item at index 9/);
      await failCall(a, 'PATCH', 'api-keys', { old: 'k3b' }, 400, /^invalid body/);
      await failCall(a, 'DELETE', 'api-keys', undefined, 400, 'missing index or value');
      await failCall(a, 'DELETE', 'api-keys?index=x', undefined, 400, /whole number/);
      await unauthenticated(a, 'api-keys');
      await okCall(a, 'PUT', 'api-keys', [CLIENT_KEY]);
    });

    it.each(KEY_LISTS)('should edit %s by index, match and base-url', async (section) => {
      const original = (await okCall(a, 'GET', section))[section] as Record<string, unknown>[];
      if (section === 'claude-api-key') {
        expect(original.map((e) => e['auth-index'])).toEqual([
          expect.stringMatching(/^[0-9a-f]{16}$/),
          expect.stringMatching(/^[0-9a-f]{16}$/),
        ]);
      }
      await okCall(a, 'PUT', section, [
        { 'api-key': ' a-1 ', 'base-url': 'https://one.example' },
        { 'api-key': 'dup', 'base-url': 'https://two.example' },
        { 'api-key': 'dup', 'base-url': 'https://three.example' },
      ]);
      await okCall(a, 'PATCH', section, { match: 'a-1', value: { prefix: 'team' } });
      await failCall(
        a,
        'PATCH',
        section,
        { match: 'dup', value: { priority: 2 } },
        400,
        'multiple items match; index is required',
      );
      await okCall(a, 'PATCH', `${section}?base-url=https://three.example`, {
        match: 'dup',
        value: { priority: 2 },
      });
      await failCall(a, 'PATCH', section, { index: 9, value: {} }, 404, /item not found/);
      await failCall(
        a,
        'DELETE',
        `${section}?api-key=dup`,
        undefined,
        400,
        'multiple items match api-key; base-url is required',
      );
      let list = (await okCall(a, 'GET', section))[section] as Record<string, unknown>[];
      expect(list).toHaveLength(3);
      expect(list[0]).toMatchObject({ 'api-key': 'a-1', prefix: 'team' });
      expect(list[2]).toMatchObject({ 'base-url': 'https://three.example', priority: 2 });

      await okCall(a, 'DELETE', `${section}?api-key=dup&base-url=https://two.example`);
      await okCall(a, 'PATCH', section, { index: 0, value: { 'api-key': '' } });
      list = (await okCall(a, 'GET', section))[section] as Record<string, unknown>[];
      expect(list.map((e) => e['base-url'])).toEqual(['https://three.example']);
      await okCall(a, 'DELETE', `${section}?index=0`);
      expect(await okCall(a, 'GET', section)).toEqual({ [section]: [] });

      await failCall(a, 'PUT', section, [{ 'base-url': 'https://x' }], 400, /config rejected:/);
      await failCall(a, 'DELETE', section, undefined, 400, 'missing api-key or index');
      await unauthenticated(a, section);
      // Back as it was (GET's auth-index is not stored).
      await okCall(a, 'PUT', section, original);
      expect(await okCall(a, 'GET', section)).toEqual({ [section]: original });
    });

    it('should edit openai-compatibility by name and index', async () => {
      await okCall(a, 'PUT', 'openai-compatibility', [
        {
          name: 'lan',
          'base-url': 'http://127.0.0.1:9/v1',
          'api-key-entries': [{ 'api-key': 'lan-key' }],
          models: [{ name: 'lan-model' }],
        },
      ]);
      const got = (await okCall(a, 'GET', 'openai-compatibility'))['openai-compatibility'];
      expect(got).toEqual([
        expect.objectContaining({
          name: 'lan',
          'api-key-entries': [
            expect.objectContaining({
              'api-key': 'lan-key',
              'auth-index': expect.stringMatching(/^[0-9a-f]{16}$/),
            }),
          ],
        }),
      ]);
      await okCall(a, 'PATCH', 'openai-compatibility', { name: 'lan', value: { prefix: 'home' } });
      await failCall(
        a,
        'PATCH',
        'openai-compatibility',
        { name: 'nope', value: {} },
        404,
        /not found/,
      );
      await failCall(a, 'PUT', 'openai-compatibility', { list: [] }, 400, /^invalid body/);
      await failCall(a, 'DELETE', 'openai-compatibility?name=nope', undefined, 404, /not found/);
      await okCall(a, 'DELETE', 'openai-compatibility?name=lan');
      expect(await okCall(a, 'GET', 'openai-compatibility')).toEqual({
        'openai-compatibility': [],
      });
      await unauthenticated(a, 'openai-compatibility');
    });

    it('should edit oauth-excluded-models per provider', async () => {
      await okCall(a, 'PUT', 'oauth-excluded-models', { codex: ['gpt-5'] });
      await okCall(a, 'PATCH', 'oauth-excluded-models', { provider: 'Claude', models: [' opus '] });
      expect(await okCall(a, 'GET', 'oauth-excluded-models')).toEqual({
        'oauth-excluded-models': { codex: ['gpt-5'], claude: ['opus'] },
      });
      await okCall(a, 'DELETE', 'oauth-excluded-models?provider=codex');
      await failCall(
        a,
        'PATCH',
        'oauth-excluded-models',
        { provider: ' ' },
        400,
        'invalid provider',
      );
      await failCall(a, 'PUT', 'oauth-excluded-models', { codex: 'x' }, 400, /list of model names/);
      await failCall(
        a,
        'DELETE',
        'oauth-excluded-models?provider=qwen',
        undefined,
        404,
        'provider not found',
      );
      expect(await okCall(a, 'GET', 'oauth-excluded-models')).toEqual({
        'oauth-excluded-models': { claude: ['opus'] },
      });
      await unauthenticated(a, 'oauth-excluded-models');
    });

    it('should edit oauth-model-alias per channel', async () => {
      await okCall(a, 'PUT', 'oauth-model-alias', {
        items: { codex: [{ name: 'gpt-5', alias: 'g5' }] },
      });
      await okCall(a, 'PATCH', 'oauth-model-alias', {
        provider: 'claude',
        aliases: [{ name: 'claude-opus', alias: 'opus', fork: true }],
      });
      expect(await okCall(a, 'GET', 'oauth-model-alias')).toEqual({
        'oauth-model-alias': {
          codex: [{ name: 'gpt-5', alias: 'g5' }],
          claude: [{ name: 'claude-opus', alias: 'opus', fork: true }],
        },
      });
      await okCall(a, 'DELETE', 'oauth-model-alias?channel=codex');
      await failCall(a, 'PATCH', 'oauth-model-alias', { aliases: [] }, 400, 'invalid channel');
      await failCall(a, 'PUT', 'oauth-model-alias', { codex: [5] }, 400, /must be \{"name"/);
      await failCall(a, 'DELETE', 'oauth-model-alias', undefined, 400, 'missing channel');
      await unauthenticated(a, 'oauth-model-alias');
    });

    it('should edit the ampcode model mappings and upstream keys', async () => {
      expect((await okCall(a, 'GET', 'ampcode')).ampcode).toMatchObject({
        'upstream-url': '',
        'model-mappings': [],
      });
      await unauthenticated(a, 'ampcode');

      await okCall(a, 'PUT', 'ampcode/model-mappings', {
        value: [{ from: 'claude-opus-4', to: 'claude-ff' }],
      });
      await okCall(a, 'PATCH', 'ampcode/model-mappings', {
        value: [
          { from: 'claude-opus-4', to: 'gpt-5' },
          { from: '^gpt-.*', to: 'claude-ff', regex: true },
        ],
      });
      expect(await okCall(a, 'GET', 'ampcode/model-mappings')).toEqual({
        'model-mappings': [
          { from: 'claude-opus-4', to: 'gpt-5', regex: false },
          { from: '^gpt-.*', to: 'claude-ff', regex: true },
        ],
      });
      await okCall(a, 'DELETE', 'ampcode/model-mappings', { value: ['claude-opus-4'] });
      await failCall(
        a,
        'PATCH',
        'ampcode/model-mappings',
        { value: [{ from: '(', to: 'x', regex: true }] },
        400,
        'model-mappings[0].from is not a valid regular expression',
      );
      await failCall(a, 'PUT', 'ampcode/model-mappings', { value: 'x' }, 400, /^invalid body/);
      await failCall(a, 'DELETE', 'ampcode/model-mappings', undefined, 400, /^missing value/);
      expect((await okCall(a, 'GET', 'ampcode/model-mappings'))['model-mappings']).toHaveLength(1);
      await unauthenticated(a, 'ampcode/model-mappings');

      await okCall(a, 'PUT', 'ampcode/upstream-api-keys', {
        value: [{ 'upstream-api-key': 'amp-1', 'api-keys': [CLIENT_KEY] }],
      });
      await okCall(a, 'PATCH', 'ampcode/upstream-api-keys', {
        value: [{ 'upstream-api-key': 'amp-2', 'api-keys': ['k9'] }],
      });
      await okCall(a, 'DELETE', 'ampcode/upstream-api-keys', { value: ['amp-1'] });
      expect(await okCall(a, 'GET', 'ampcode/upstream-api-keys')).toEqual({
        'upstream-api-keys': [{ 'upstream-api-key': 'amp-2', 'api-keys': ['k9'] }],
      });
      await failCall(
        a,
        'PATCH',
        'ampcode/upstream-api-keys',
        { value: [{ 'upstream-api-key': 'a', 'api-keys': 'k' }] },
        400,
        'upstream-api-keys[0].api-keys must be a list of strings',
      );
      await failCall(a, 'PUT', 'ampcode/upstream-api-keys', 'x', 400, /^invalid body/);
      await failCall(a, 'DELETE', 'ampcode/upstream-api-keys', {}, 400, /^missing value/);
      await okCall(a, 'DELETE', 'ampcode/upstream-api-keys', { value: [] });
      expect(await okCall(a, 'GET', 'ampcode/upstream-api-keys')).toEqual({
        'upstream-api-keys': [],
      });
      await unauthenticated(a, 'ampcode/upstream-api-keys');
    });

    it('should keep the comments of config.yaml through every edit', () => {
      const text = fileText();
      for (const comment of [
        '# management config e2e',
        '# cost 4 keeps the spec fast',
        '# client keys',
        '# trailing comment kept',
        '# edited through PUT /config.yaml',
      ]) {
        expect(text).toContain(comment);
      }
    });

    it('should have walked every route of the catalog, with a success and an error each', () => {
      const missing = CATALOG.filter((route) => {
        const statuses = seen.get(route) ?? [];
        return !statuses.some((s) => s < 300) || !statuses.some((s) => s >= 400);
      });
      expect(missing).toEqual([]);
      // And nothing outside the catalog answered (a typo in a route would show up here).
      expect([...seen.keys()].filter((k) => !CATALOG.includes(k))).toEqual([]);
    });
  });

  describe('two replicas on one config file', () => {
    const ask = (gw: TestGateway, key: string) =>
      postJson(
        `${gw.url}/v1/chat/completions`,
        { model: 'claude-ff', messages: [{ role: 'user', content: 'hi' }] },
        { authorization: `Bearer ${key}` },
      );

    it('should accept a client key added on replica A at replica B within 1 s', async () => {
      expect((await ask(b, 'sk-added-on-a')).status).toBe(401);
      await okCall(a, 'PUT', 'api-keys', [CLIENT_KEY, 'sk-added-on-a']);
      const start = Date.now();
      await waitFor(async () => (await ask(b, 'sk-added-on-a')).status === 200, {
        timeoutMs: 1000,
        intervalMs: 50,
        what: 'replica B to accept the new key',
      });
      expect(Date.now() - start).toBeLessThan(1000);
    });

    it('should switch both replicas between fill-first and round-robin', async () => {
      const strategyOf = (gw: TestGateway) => gw.app.get(ConfigService).current.routing.strategy;

      await okCall(a, 'PATCH', 'routing/strategy', { value: 'fill-first' });
      await waitFor(() => strategyOf(b) === 'fill-first', { timeoutMs: 1000, what: 'B to reload' });
      fake.clearRequests();
      for (let i = 0; i < 6; i++) expect((await ask(i % 2 ? a : b, CLIENT_KEY)).status).toBe(200);
      expect(fake.requests().map((r) => r.apiKey)).toEqual(Array(6).fill(FF_KEYS[0]));

      await okCall(b, 'PATCH', 'routing/strategy', { value: 'round-robin' });
      await waitFor(() => strategyOf(a) === 'round-robin', {
        timeoutMs: 1000,
        what: 'A to reload',
      });
      fake.clearRequests();
      for (let i = 0; i < 6; i++) expect((await ask(i % 2 ? a : b, CLIENT_KEY)).status).toBe(200);
      expect(new Set(fake.requests().map((r) => r.apiKey))).toEqual(new Set(FF_KEYS));
    });

    it("should show replica A's change in GET /config on replica B", async () => {
      await okCall(a, 'PUT', 'request-retry', { value: 4 });
      await waitFor(async () => (await okCall(b, 'GET', 'config'))['request-retry'] === 4, {
        timeoutMs: 1000,
        what: "B's GET /config to show request-retry 4",
      });
    });

    it('should lose no edit when both replicas edit the same list at once', async () => {
      const added = Array.from({ length: 16 }, (_, i) => `sk-race-${i}`);
      const answers = await Promise.all(
        added.map((key, i) =>
          call(i % 2 ? a : b, 'PATCH', 'api-keys', { old: 'not-there', new: key }),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(16).fill(200));
      const want = [CLIENT_KEY, 'sk-added-on-a', ...added].sort();
      // The file holds every edit at once; each replica's GET follows within a second.
      const onDisk = parseConfig(fileText());
      expect(onDisk.ok && [...onDisk.config['api-keys']].sort()).toEqual(want);
      for (const gw of [a, b]) {
        await waitFor(
          async () => {
            const keys = (await okCall(gw, 'GET', 'api-keys'))['api-keys'] as string[];
            return JSON.stringify([...keys].sort()) === JSON.stringify(want);
          },
          { timeoutMs: 1000, what: 'every replica to show all 16 keys' },
        );
      }
      await okCall(a, 'PUT', 'api-keys', [CLIENT_KEY]);
    });
  });
});
