// Security properties of docs/security.md that no other spec covers end to end: secrets stay
// masked in relayed upstream errors, error logs, request logs and process logs, and GET /config
// shows them only to the management key;
// api-call refuses metadata and link-local destinations however they are spelled; and the
// control and cluster APIs decide "localhost" by the socket peer, trusting a forwarded address
// only from `trusted-proxies`.
import { Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessLogger, ProcessLogStore } from '@app/logs';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';
import { postJson } from './proxy-e2e.helpers';

const SECRETS = {
  client: 'sk-sec-client-Vb7Nq2Lx9Tz4',
  management: 'mgmt-sec-secret-Hc5Rw8Jm3Kp1',
  openai: 'sk-sec-upstream-openai-Dq6Fy1Zs8Wn3',
  claude: 'sk-ant-sec-claude-Mx4Gt9Pv2Lb7',
  gemini: 'AIzaSecGemini-Qw3Er5Ty7Ui9Op1As3Df5Gh',
};
const CORES = Object.values(SECRETS).map((s) => s.slice(3, -4));
const TRUSTED_PROXY = '10.20.30.40';

function leaks(text: string): string[] {
  return CORES.filter((c) => text.includes(c));
}

describe('security (e2e)', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  const mgmt = { authorization: `Bearer ${SECRETS.management}` };

  async function configure(requestLog: boolean): Promise<TestGateway> {
    return startGateway(
      `
api-keys: ["${SECRETS.client}"]
remote-management:
  secret-key: "${SECRETS.management}"
trusted-proxies: ["${TRUSTED_PROXY}"]
request-log: ${requestLog}
redis:
  key-prefix: "${uniquePrefix('security')}"
openai-compatibility:
  - name: secoai
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "${SECRETS.openai}"
    models:
      - name: gpt-sec
claude-api-key:
  - api-key: "${SECRETS.claude}"
    base-url: "${fake.url}"
    models:
      - name: claude-sec
gemini-api-key:
  - api-key: "${SECRETS.gemini}"
    base-url: "${fake.url}"
    models:
      - name: gemini-sec
`,
      requestLog ? 'gateway-security-rl' : 'gateway-security',
    );
  }

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await configure(false);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  afterEach(() => {
    fake.reset();
    fake.clearRequests();
  });

  it('should mask an upstream key that an upstream error echoes before relaying the error', async () => {
    fake.fail({
      status: 401,
      times: 3,
      body: {
        error: {
          message: `Incorrect API key provided: ${SECRETS.openai}. Authorization: Bearer ${SECRETS.openai}`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      },
    });
    const res = await postJson(
      `${gw.url}/v1/chat/completions`,
      { model: 'gpt-sec', messages: [{ role: 'user', content: 'hi' }] },
      { authorization: `Bearer ${SECRETS.client}` },
    );
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({
      error: { message: expect.stringContaining('Incorrect API key') },
    });
    expect(leaks(res.text)).toEqual([]);
  });

  it('should keep secrets out of error logs and the shared request log', async () => {
    fake.fail({ status: 500, match: { model: 'gemini-sec' } });
    const res = await postJson(
      `${gw.url}/v1beta/models/gemini-sec:generateContent?key=${SECRETS.client}`,
      { contents: [{ role: 'user', parts: [{ text: `my key is ${SECRETS.client}` }] }] },
    );
    expect(res.status).toBe(500);
    const list = await waitFor(
      async () => {
        const r = await fetch(`${gw.url}/v0/management/request-error-logs`, { headers: mgmt });
        const body = (await r.json()) as { files: { name: string }[] };
        return body.files.length > 0 ? body.files : undefined;
      },
      { what: 'an error log' },
    );
    const log = await (
      await fetch(`${gw.url}/v0/management/request-error-logs/${list[0].name}`, { headers: mgmt })
    ).text();
    expect(log).toContain('HTTP Status: 500');
    expect(leaks(log)).toEqual([]);

    const requests = await waitFor(
      async () => {
        const r = await fetch(`${gw.url}/api/v1/proxy/requests?limit=10`);
        const text = await r.text();
        return text.includes('gemini-sec') ? text : undefined;
      },
      { what: 'the request log entry' },
    );
    expect(leaks(requests)).toEqual([]);
  });

  it('should mask credentials in full request logs (request-log: true)', async () => {
    const rl = await configure(true);
    try {
      const res = await fetch(`${rl.url}/v1/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': SECRETS.client,
          'anthropic-version': '2023-06-01',
        },
        body: JSON.stringify({
          model: 'claude-sec',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'hello' }],
        }),
      });
      expect(res.status).toBe(200);
      const id = res.headers.get('x-request-id')!;
      const detail = await waitFor(
        async () => {
          const r = await fetch(`${rl.url}/v0/management/request-log-by-id/${id}`, {
            headers: mgmt,
          });
          return r.status === 200 ? r.text() : undefined;
        },
        { what: 'the request log' },
      );
      expect(detail.toLowerCase()).toContain('x-api-key');
      expect(leaks(detail)).toEqual([]);
    } finally {
      await rl.close();
    }
  });

  it('should mask secrets in process logs, printed and shared', async () => {
    const logger = gw.app.get(ProcessLogger);
    const printed = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      logger.log(
        `refresh answered {"access_token":"${SECRETS.claude}","key":"${SECRETS.gemini}"}`,
        'SecTest',
      );
    } finally {
      printed.mockRestore();
    }
    expect(leaks(printed.mock.calls.map((c) => String(c[0])).join(''))).toEqual([]);
    await gw.app.get(ProcessLogStore).flush();
    const text = await (await fetch(`${gw.url}/api/v1/logs?pattern=refresh%20answered`)).text();
    expect(text).toContain('refresh answered');
    expect(leaks(text)).toEqual([]);
  });

  it('should show config.yaml secrets in GET /v0/management/config to the management key only', async () => {
    const anonymous = await fetch(`${gw.url}/v0/management/config`);
    expect(anonymous.status).toBe(401);
    expect(leaks(await anonymous.text())).toEqual([]);
    const res = await fetch(`${gw.url}/v0/management/config`, { headers: mgmt });
    expect(res.status).toBe(200);
    // As CLIProxyAPI: the key holder gets the values clients write back whole (lists).
    const cfg = (await res.json()) as Record<string, unknown>;
    expect(cfg['api-keys']).toEqual([SECRETS.client]);
    expect(JSON.stringify(cfg['gemini-api-key'])).toContain(SECRETS.gemini);
    // The secret key itself is stored hashed, never in the clear.
    expect(JSON.stringify(cfg)).not.toContain(SECRETS.management);
    expect(readFileSync(gw.configPath, 'utf8')).not.toContain(SECRETS.management);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://2852039166/',
    'http://0xA9FEA9FE/',
    'http://0251.0376.0251.0376/',
    'http://169.254.169.254.:80/',
    'http://metadata.google.internal./computeMetadata/v1/',
    'http://METADATA.GOOG/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
    'http://100.100.100.200/',
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379/_INFO',
    'ftp://example.com/',
  ])('should refuse api-call to %s', async (url) => {
    const res = await postJson(
      `${gw.url}/v0/management/api-call`,
      { method: 'GET', url, header: {} },
      mgmt,
    );
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: expect.any(String) });
  });

  it('should let the control and cluster APIs trust a forwarded address only from trusted-proxies', async () => {
    const as = (remoteAddress: string, forwarded?: string) =>
      ['/api/cliproxy/proxy-status', '/api/v1/processes'].map(async (url) => {
        const res = await gw.app.inject({
          method: 'GET',
          url,
          remoteAddress,
          headers: forwarded ? { 'x-forwarded-for': forwarded } : {},
        });
        return res.statusCode;
      });
    // A loopback peer needs nothing; a remote one claiming to be loopback gets nothing.
    expect(await Promise.all(as('127.0.0.1'))).toEqual([200, 200]);
    expect(await Promise.all(as('203.0.113.7', '127.0.0.1'))).toEqual([403, 401]);
    // Behind the trusted proxy the forwarded client decides, and only the nearest hop counts.
    expect(await Promise.all(as(TRUSTED_PROXY, '127.0.0.1'))).toEqual([200, 200]);
    expect(await Promise.all(as(TRUSTED_PROXY, '127.0.0.1, 198.51.100.9'))).toEqual([403, 401]);
    expect(await Promise.all(as(TRUSTED_PROXY))).toEqual([403, 401]);
  });

  it('should not give key-free loopback access to a web page from elsewhere open in a local browser', async () => {
    const as = (headers: Record<string, string>, method: 'GET' | 'POST' = 'GET') =>
      Promise.all(
        ['/api/cliproxy/config.yaml', '/api/v1/processes'].map(async (url) => {
          const res = await gw.app.inject({ method, url, remoteAddress: '127.0.0.1', headers });
          return res.statusCode;
        }),
      );
    // Programs on this machine, and pages served from it, keep their key-free access.
    expect(await as({ host: '127.0.0.1:8317' })).toEqual([200, 200]);
    expect(await as({ host: 'localhost:8317', origin: 'http://localhost:5173' })).toEqual([
      200, 200,
    ]);
    // A cross-site page (fetch, form post), a sandboxed frame, a rebound DNS name: a key is needed.
    expect(await as({ host: '127.0.0.1:8317', origin: 'https://evil.example' })).toEqual([
      401, 401,
    ]);
    expect(await as({ host: '127.0.0.1:8317', origin: 'null' })).toEqual([401, 401]);
    expect(await as({ host: '127.0.0.1:8317', 'sec-fetch-site': 'cross-site' })).toEqual([
      401, 401,
    ]);
    expect(await as({ host: 'rebound.evil.example:8317' })).toEqual([401, 401]);
    // ...and with the key, the same page may.
    expect(await as({ ...mgmt, host: '127.0.0.1:8317', origin: 'https://evil.example' })).toEqual([
      200, 200,
    ]);
    // The shutdown a cross-site form could post without a key is refused, and nothing stops.
    const shutdown = await gw.app.inject({
      method: 'POST',
      url: '/api/v1/shutdown',
      remoteAddress: '127.0.0.1',
      headers: { host: '127.0.0.1:8317', origin: 'https://evil.example' },
    });
    expect(shutdown.statusCode).toBe(401);
  });

  it('should run the container as a non-root user, node under an init that forwards SIGTERM', () => {
    const root = join(__dirname, '..', '..');
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    // Root only in the entrypoint, which fixes the mounts' ownership and then drops it for good
    // (npm run test:compose checks the running processes' user).
    expect(runtime).toMatch(
      /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "\/usr\/local\/bin\/switchboard-entrypoint"\]/m,
    );
    expect(runtime).toMatch(/^CMD \["node", /m);
    const script = readFileSync(join(root, 'scripts', 'docker-entrypoint.sh'), 'utf8');
    // The uid is node's for root-owned mounts, else the (non-root) owner's: never 0.
    expect(script).toMatch(/if \[ "\$owner" = 0 \]; then\n\s+uid=\$\(id -u node\)/);
    const last = script.trimEnd().split('\n').pop();
    expect(last).toMatch(/^exec setpriv --reuid="\$uid" --regid="\$gid" --clear-groups /);
  });

  beforeAll(() => {
    // The 500s above are expected; keep the output for real failures.
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
});
