import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { keyId } from '@app/common';
import { defaultOAuthEndpoints, OAUTH_PROVIDERS } from '@app/oauth';
import { CREDENTIAL_PROVIDERS } from '@app/providers';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';

// The management routes behind the panel: named client keys (and the 401 for an expired one in
// every wire format), the traffic summary, the attempt chain in the request log, the attention
// list, "test this account", the provider registry the panel's menus come from, and compressed
// JSON answers.

const ADMIN = 'panel-api-admin';
const CLIENT = 'sk-panel-api-client-0001';
const MODEL = 'claude-panel-fake';
const KEYS = { a: 'up-claude-panel-a', b: 'up-claude-panel-b' };

type Json = Record<string, unknown>;

describe('panel API (client keys, traffic, attention, credential test, compression)', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let authDir: string;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    authDir = mkdtempSync(join(tmpdir(), 'sb-panel-api-'));
    // A disabled Codex account: its models are known but nothing can serve them.
    writeFileSync(
      join(authDir, 'codex-off@example.com.json'),
      JSON.stringify({
        type: 'codex',
        email: 'off@example.com',
        access_token: 'codex-off-token',
        refresh_token: 'codex-off-refresh',
        account_id: 'acct-off',
        expired: '2099-01-01T00:00:00Z',
        disabled: true,
      }),
    );
    gw = await startGateway(
      `
api-keys: ["${CLIENT}"]
remote-management:
  secret-key: "${ADMIN}"
redis:
  key-prefix: "${uniquePrefix('panelapi')}"
auth-dir: "${authDir}"
routing:
  strategy: fill-first
claude-api-key:
  - api-key: "${KEYS.a}"
    base-url: "${fake.url}"
    models:
      - name: ${MODEL}
  - api-key: "${KEYS.b}"
    base-url: "${fake.url}"
    models:
      - name: ${MODEL}
`,
      'gateway-panel-api',
    );
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    rmSync(authDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    fake.reset();
    fake.clearRequests();
  });

  async function mgmt(
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${gw.url}/v0/management/${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  async function chat(key: string, text = 'hello', requestId?: string): Promise<Response> {
    return fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: text }] }),
    });
  }

  interface KeyRow {
    key: string;
    key_id: string;
    label: string;
    owner: string;
    expires: string | null;
    expired: boolean;
    created: string | null;
    usage: { '24h': Json; '7d': Json; last_used: string | null } | null;
  }

  async function keyRows(): Promise<KeyRow[]> {
    const r = await mgmt('client-keys');
    expect(r.status).toBe(200);
    return r.body['client-keys'] as KeyRow[];
  }

  it('should create a labelled key, count its traffic, and keep api-keys a plain list', async () => {
    const created = await mgmt('client-keys', {
      method: 'POST',
      body: JSON.stringify({ label: 'CI pipeline', owner: 'ops@example.com', note: 'nightly' }),
    });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^sk-[0-9a-f]{48}$/);
    expect(created.body).toMatchObject({
      label: 'CI pipeline',
      owner: 'ops@example.com',
      expired: false,
    });
    // config.yaml: the key in api-keys, its info beside it by key id (the secret written once)
    const text = readFileSync(gw.configPath, 'utf8');
    expect(text.split(key)).toHaveLength(2);
    // Parsed, not searched: a key id such as `399144e7` reads as a number and is written quoted.
    const info = (parseYaml(text) as { 'api-key-info'?: Record<string, unknown> })['api-key-info'];
    expect(Object.keys(info ?? {})).toContain(keyId(key));
    expect((await mgmt('api-keys')).body['api-keys']).toEqual([CLIENT, key]);

    await waitFor(async () => (await chat(key, 'warm up')).status === 200, {
      what: 'the new key to work',
    });
    for (let i = 0; i < 2; i++) expect((await chat(key, `counted ${i}`)).status).toBe(200);
    const tokens = fake
      .requests()
      .reduce(
        (s, r) => s + ((r.answer?.usage as { totalTokens?: number } | undefined)?.totalTokens ?? 0),
        0,
      );
    const row = (await keyRows()).find((k) => k.key === key);
    expect(row?.usage?.['24h']).toEqual({
      requests: 3,
      failures: 0,
      tokens,
      failure_rate: 0,
    });
    expect(row?.usage?.['7d']).toMatchObject({ requests: 3 });
    expect(Date.parse(row?.usage?.last_used ?? '')).toBeGreaterThan(Date.now() - 60_000);

    // Edit and clear fields; unknown fields and bad dates are refused naming the setting.
    expect(
      (
        await mgmt('client-keys', {
          method: 'PATCH',
          body: JSON.stringify({ key_id: keyId(key), owner: null, label: 'CI' }),
        })
      ).status,
    ).toBe(200);
    await waitFor(async () => (await keyRows()).find((k) => k.key === key)?.label === 'CI', {
      what: 'the new label',
    });
    expect((await keyRows()).find((k) => k.key === key)?.owner).toBe('');
    const bad = await mgmt('client-keys', {
      method: 'PATCH',
      body: JSON.stringify({ key_id: keyId(key), expires: 'tomorrow' }),
    });
    expect(bad).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/^expires: expected an ISO 8601/) },
    });
    const typo = await mgmt('client-keys', {
      method: 'PATCH',
      body: JSON.stringify({ key_id: keyId(key), expire: '2030-01-01' }),
    });
    expect(typo.body.error).toMatch(/^expire: unknown field/);

    // The export names who each masked key is.
    const exported = await mgmt('usage/export');
    expect(exported.body.key_labels).toMatchObject({
      [`${key.slice(0, 3)}…${key.slice(-4)}`]: { key_id: keyId(key), label: 'CI' },
    });

    expect(await mgmt(`client-keys?key_id=${keyId(key)}`, { method: 'DELETE' })).toEqual({
      status: 200,
      body: { status: 'ok' },
    });
    expect(readFileSync(gw.configPath, 'utf8')).not.toContain(keyId(key));
    expect((await mgmt('api-keys')).body['api-keys']).toEqual([CLIENT]);
  });

  it("should refuse an expired key with a 401 in the caller's wire format", async () => {
    const created = await mgmt('client-keys', {
      method: 'POST',
      body: JSON.stringify({ label: 'old laptop', expires: '2020-01-01' }),
    });
    const key = created.body.key as string;
    expect(created.body).toMatchObject({ expired: true, expires: '2020-01-01' });
    await waitFor(async () => (await chat(key)).status === 401, {
      what: 'the expired key in force',
    });

    const openai = await chat(key);
    expect(await openai.json()).toEqual({
      error: {
        message: expect.stringContaining('This API key expired at 2020-01-01'),
        type: 'authentication_error',
        code: 'key_expired',
      },
    });
    const claude = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': key,
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: MODEL,
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    expect(claude.status).toBe(401);
    expect(await claude.json()).toEqual({
      type: 'error',
      error: {
        type: 'authentication_error',
        message: expect.stringContaining('expired at 2020-01-01'),
      },
    });
    const gemini = await fetch(`${gw.url}/v1beta/models/${MODEL}:generateContent?key=${key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
    });
    expect(gemini.status).toBe(401);
    expect(((await gemini.json()) as { error: Json }).error).toMatchObject({
      code: 401,
      message: expect.stringContaining('expired at 2020-01-01'),
    });
    // A later expiry lets it in again.
    await mgmt('client-keys', {
      method: 'PATCH',
      body: JSON.stringify({ key_id: keyId(key), expires: '2999-01-01' }),
    });
    await waitFor(async () => (await chat(key)).status === 200, { what: 'the extended key' });
    await mgmt(`client-keys?key_id=${keyId(key)}`, { method: 'DELETE' });
  });

  it('should keep the attempt chain of a failover and list the cooling account', async () => {
    fake.fail({ status: 429, match: { apiKey: KEYS.a }, retryAfterSeconds: 120 });
    const id = `panel-api-failover-${Date.now()}`;
    expect((await chat(CLIENT, 'fail over', id)).status).toBe(200);
    const entry = await waitFor(
      async () => {
        const res = await fetch(`${gw.url}/api/v1/proxy/requests?limit=50`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        });
        const page = (await res.json()) as { requests: Json[] };
        return page.requests.find((r) => r.request_id === id);
      },
      { what: 'the failover in the request log' },
    );
    const attempts = entry.attempts as Json[];
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({
      provider: 'claude',
      status: 429,
      error_type: 'rate_limit_error',
    });
    expect(attempts[1]).toMatchObject({ provider: 'claude', status: 200 });
    expect(attempts[0].source).toContain(KEYS.a.slice(-4));
    expect(entry.source).toContain(KEYS.b.slice(-4));

    const attention = await mgmt('attention');
    expect(attention.status).toBe(200);
    const items = attention.body.items as Json[];
    const cooling = items.find((i) => i.kind === 'credential-cooling');
    expect(cooling).toMatchObject({
      severity: 'warn',
      title: expect.stringContaining(KEYS.a.slice(-4)),
      link: { page: 'credentials', query: expect.objectContaining({ status: 'cooling' }) },
    });
    expect(Date.parse(cooling?.until as string)).toBeGreaterThan(Date.now());
    const unserved = items.find((i) => i.kind === 'model-unserved');
    expect(unserved).toMatchObject({
      severity: 'bad',
      link: { page: 'credentials', query: { provider: 'codex' } },
    });
    expect((unserved?.models as string[]).length).toBeGreaterThan(0);
    expect(attention.body.redis).toEqual({ status: 'up', down_since: null });

    // The member's health checks count them too (from its next heartbeat, every 5 s).
    const checks = await waitFor(
      async () => {
        const proc = await fetch(`${gw.url}/api/v1/processes/gateway-panel-api`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        });
        const c = ((await proc.json()) as { healthcheck: { checks: Record<string, Json> } })
          .healthcheck.checks;
        return /1 cooling now/.test(String(c.credentials.detail)) ? c : undefined;
      },
      { timeoutMs: 12000, intervalMs: 500, what: 'a heartbeat counting the cooling credential' },
    );
    expect(checks.models).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/with no usable credential/),
    });
  });

  it('should summarise the traffic of a range with failures by status and class', async () => {
    fake.fail({ status: 400, times: 2 });
    for (let i = 0; i < 2; i++) expect((await chat(CLIENT, `refused ${i}`)).status).toBe(400);
    const r = await mgmt('traffic?range=1h');
    expect(r.status).toBe(200);
    const s = r.body as {
      requests: number[];
      failures: number[];
      slots: string[];
      step_seconds: number;
      totals: Json;
      failures_by_status: Record<string, number[]>;
      failures_by_class: Record<string, number[]>;
      models: Json[];
    };
    expect(s.step_seconds).toBe(60);
    expect(s.slots).toHaveLength(60);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(s.totals.requests).toBe(sum(s.requests));
    expect(s.totals.failures).toBeGreaterThanOrEqual(2);
    expect(sum(s.failures_by_status['400'])).toBe(2);
    expect(sum(Object.values(s.failures_by_class).flat())).toBe(s.totals.failures);
    expect(s.models[0]).toMatchObject({ model: MODEL });
    expect((await mgmt('traffic?range=30d')).body.slots).toHaveLength(720);
    expect(await mgmt('traffic?range=2d')).toEqual({
      status: 400,
      body: { error: 'range: expected one of 1h, 24h, 7d, 30d' },
    });
  });

  it('should test one credential and report what the upstream said', async () => {
    const files = await mgmt('attention');
    expect(files.status).toBe(200);
    const res = await fetch(`${gw.url}/api/v1/proxy/requests?limit=200`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const entry = ((await res.json()) as { requests: Json[] }).requests.find((e) =>
      String(e.source).endsWith(KEYS.b.slice(-4)),
    );
    const authIndex = entry?.auth_index as string;
    const ok = await mgmt('credentials/test', {
      method: 'POST',
      body: JSON.stringify({ auth_index: authIndex }),
    });
    expect(ok).toEqual({
      status: 200,
      body: { ok: true, status: 200, model: MODEL, latency_ms: expect.any(Number), message: '' },
    });
    expect(fake.lastRequest()?.apiKey).toBe(KEYS.b);
    fake.fail({ status: 401, match: { apiKey: KEYS.b } });
    const refused = await mgmt('credentials/test', {
      method: 'POST',
      body: JSON.stringify({ auth_index: authIndex }),
    });
    expect(refused.body).toMatchObject({ ok: false, status: 401 });
    expect(await mgmt('credentials/test', { method: 'POST', body: '{}' })).toEqual({
      status: 400,
      body: { error: 'auth_index: name the credential to test' },
    });
  });

  it('should list the provider registry the panel builds its menus from, without secrets', async () => {
    const res = await mgmt('providers');
    expect(res.status).toBe(200);
    const providers = res.body.providers as Json[];
    expect(providers.map((p) => p.id)).toEqual([...CREDENTIAL_PROVIDERS]);
    expect(providers.find((p) => p.id === 'claude')).toEqual({
      id: 'claude',
      label: 'Claude',
      aliases: ['anthropic'],
      http: true,
      api_keys: { section: 'claude-api-key', label: expect.any(String) },
      auth_file_types: ['claude'],
      login: {
        route: 'anthropic',
        title: expect.any(String),
        flow: 'redirect',
        asks_project: false,
        aliases: expect.arrayContaining(['anthropic', 'claude']),
      },
      quota: { route: 'claude', polled: true },
    });
    expect(res.body.foreign_quota_routes).toMatchObject({ kiro: 'kiro', copilot: 'ghcp' });
    // Built-in OAuth clients stay in the gateway: the answer names routes, not credentials.
    const text = JSON.stringify(res.body);
    for (const id of OAUTH_PROVIDERS) {
      const ep = defaultOAuthEndpoints(id);
      expect(text).not.toContain(ep.clientId);
      if (ep.clientSecret) expect(text).not.toContain(ep.clientSecret);
    }
    const anonymous = await fetch(`${gw.url}/v0/management/providers`);
    expect(anonymous.status).toBe(401);
  });

  /** A raw GET: the body as it came over the wire, and its headers. */
  function raw(
    path: string,
    headers: Record<string, string>,
  ): Promise<{ headers: Json; size: number }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${gw.url}${path}`, { headers }, (res) => {
        let size = 0;
        res.on('data', (c: Buffer) => (size += c.length));
        res.on('end', () => resolve({ headers: res.headers, size }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('should compress management JSON but never the proxy or a stream', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    const plain = await raw('/v0/management/traffic?range=30d', auth);
    const br = await raw('/v0/management/traffic?range=30d', {
      ...auth,
      'accept-encoding': 'gzip, br',
    });
    const gz = await raw('/v0/management/traffic?range=30d', {
      ...auth,
      'accept-encoding': 'gzip',
    });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.size).toBeLessThan(plain.size / 4);
    // fetch decodes it transparently
    expect((await mgmt('traffic?range=30d')).body.slots).toHaveLength(720);

    const models = await raw('/v1/models', {
      authorization: `Bearer ${CLIENT}`,
      'accept-encoding': 'gzip, br',
    });
    expect(models.headers['content-encoding']).toBeUndefined();
    const stream = await new Promise<Json>((resolve, reject) => {
      const req = httpRequest(
        `${gw.url}/api/v1/proxy/requests/stream`,
        { headers: { ...auth, 'accept-encoding': 'gzip, br' } },
        (res) => {
          resolve(res.headers);
          req.destroy();
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(stream['content-encoding']).toBeUndefined();
  });
});
