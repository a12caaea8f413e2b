import { compareSync } from 'bcryptjs';
import { readFileSync } from 'node:fs';
import { buildInfo } from '@app/common';
import { ManagementAuthService } from '@app/management';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';

const SECRET = 'mgmt-e2e-secret';

function configWith(prefix: string, management: string): string {
  return `# management auth e2e
redis:
  key-prefix: "${prefix}"
${management}
# trailing comment
usage-statistics-enabled: true
`;
}

type Headers = Record<string, string>;

async function call(
  gw: TestGateway,
  opts: {
    key?: string;
    header?: 'bearer' | 'x';
    remote?: string;
    forwardedFor?: string;
    url?: string;
  } = {},
) {
  const headers: Headers = {};
  if (opts.key !== undefined) {
    if (opts.header === 'x') headers['x-management-key'] = opts.key;
    else headers.authorization = `Bearer ${opts.key}`;
  }
  if (opts.forwardedFor) headers['x-forwarded-for'] = opts.forwardedFor;
  const res = await gw.app.inject({
    method: 'GET',
    url: opts.url ?? '/v0/management/usage',
    headers,
    remoteAddress: opts.remote ?? '127.0.0.1',
  });
  return {
    status: res.statusCode,
    body: res.json<Record<string, unknown>>(),
    headers: res.headers,
  };
}

describe('management auth (e2e)', () => {
  describe('without a secret or MANAGEMENT_PASSWORD', () => {
    let gw: TestGateway;

    beforeAll(async () => {
      gw = await startGateway(configWith(uniquePrefix('mgmt-off'), ''), 'gateway-mgmt-off');
    });

    afterAll(async () => {
      await gw?.close();
    });

    it('should answer every management route exactly like an unknown route', async () => {
      for (const url of [
        '/v0/management/usage',
        '/v0/management/usage/export',
        '/v0/management/usage-statistics-enabled',
      ]) {
        const res = await call(gw, { key: SECRET, url });
        const unknown = await call(gw, { key: SECRET, url: `${url}-nope` });
        expect(res.status).toBe(404);
        expect(unknown.status).toBe(404);
        expect(res.body).toEqual({
          error: { type: 'not_found_error', message: `Cannot GET ${url}` },
        });
        expect(unknown.body).toEqual({
          error: { type: 'not_found_error', message: `Cannot GET ${url}-nope` },
        });
        expect(res.headers['x-cpa-version']).toBeUndefined();
      }
      const put = await gw.app.inject({
        method: 'PUT',
        url: '/v0/management/usage-statistics-enabled',
        payload: { value: false },
        remoteAddress: '127.0.0.1',
      });
      expect(put.statusCode).toBe(404);
    });
  });

  describe('with a plain-text secret in config.yaml', () => {
    let gw: TestGateway;
    let original: string;

    beforeAll(async () => {
      original = configWith(
        uniquePrefix('mgmt-on'),
        `remote-management:
  # who may manage
  allow-remote: false
  secret-key: '${SECRET}' # hashed on load
trusted-proxies: ["10.0.0.2"]`,
      );
      gw = await startGateway(original, 'gateway-mgmt-on');
    });

    afterAll(async () => {
      await gw?.close();
    });

    it('should write the secret back bcrypt-hashed, changing nothing else in the file', async () => {
      const text = await waitFor(
        () => {
          const t = readFileSync(gw.configPath, 'utf8');
          return t.includes(SECRET) ? undefined : t;
        },
        { timeoutMs: 5000, what: 'the hashed secret in config.yaml' },
      );
      const m = /secret-key: '(\$2[aby]\$10\$[./A-Za-z0-9]{53})' # hashed on load/.exec(text);
      expect(m).not.toBeNull();
      expect(compareSync(SECRET, m![1])).toBe(true);
      expect(text).toBe(original.replace(SECRET, m![1]));
      await gw.app.get(ManagementAuthService).settled();
    });

    it('should accept the key as a Bearer token or X-Management-Key, with version headers', async () => {
      const b = buildInfo();
      for (const header of ['bearer', 'x'] as const) {
        const res = await call(gw, { key: SECRET, header });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ usage: { total_requests: 0 }, failed_requests: 0 });
        expect(res.headers['x-cpa-version']).toBe(b.version);
        expect(res.headers['x-cpa-commit']).toBe(b.commit);
        expect(res.headers['x-cpa-build-date']).toBe(b.date);
      }
    });

    it('should answer 401 for a missing or wrong key, with version headers', async () => {
      const missing = await call(gw);
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ error: 'missing management key' });
      expect(missing.headers['x-cpa-version']).toBe(buildInfo().version);
      const wrong = await call(gw, { key: 'nope' });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ error: 'invalid management key' });
      // A success clears those two failures.
      expect((await call(gw, { key: SECRET })).status).toBe(200);
    });

    it('should refuse remote peers with 403 unless allow-remote, whatever their key', async () => {
      const remote = await call(gw, { key: SECRET, remote: '203.0.113.7' });
      expect(remote.status).toBe(403);
      expect(remote.body).toEqual({ error: 'remote management disabled' });
      // A forwarded header only counts from a trusted proxy.
      expect(
        (await call(gw, { key: SECRET, remote: '203.0.113.7', forwardedFor: '127.0.0.1' })).status,
      ).toBe(403);
      expect(
        (await call(gw, { key: SECRET, remote: '10.0.0.2', forwardedFor: '127.0.0.1' })).status,
      ).toBe(200);
      expect(
        (await call(gw, { key: SECRET, remote: '10.0.0.2', forwardedFor: '198.51.100.1' })).status,
      ).toBe(403);
    });
  });

  describe('with MANAGEMENT_PASSWORD only', () => {
    let gw: TestGateway;

    beforeAll(async () => {
      process.env.MANAGEMENT_PASSWORD = 'env-only-password';
      try {
        gw = await startGateway(configWith(uniquePrefix('mgmt-env'), ''), 'gateway-mgmt-env');
      } finally {
        delete process.env.MANAGEMENT_PASSWORD;
      }
    });

    afterAll(async () => {
      await gw?.close();
    });

    it('should enable the management API with that password as the key', async () => {
      expect((await call(gw, { key: 'env-only-password' })).status).toBe(200);
      expect((await call(gw, { key: SECRET })).status).toBe(401);
    });
  });

  describe('bans, shared by two replicas', () => {
    let a: TestGateway;
    let b: TestGateway;

    beforeAll(async () => {
      const yaml = configWith(
        uniquePrefix('mgmt-ban'),
        `remote-management:
  allow-remote: true
  secret-key: '${SECRET}'`,
      );
      a = await startGateway(yaml, 'gateway-ban-1');
      b = await startGateway(yaml, 'gateway-ban-2');
    });

    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it('should let a remote peer in with the key when allow-remote is on', async () => {
      expect((await call(a, { key: SECRET, remote: '198.51.100.50' })).status).toBe(200);
    });

    it('should ban an address on every replica after 5 failures on any of them', async () => {
      const attacker = '198.51.100.23';
      const fails = [a, a, b, a, b];
      for (const [i, gw] of fails.entries()) {
        const res = await call(gw, { key: `guess-${i}`, remote: attacker });
        expect([i, res.status]).toEqual([i, 401]);
      }
      for (const gw of [a, b]) {
        const res = await call(gw, { key: SECRET, remote: attacker });
        expect(res.status).toBe(403);
        expect(res.body.error).toMatch(
          /^IP banned due to too many failed attempts\. Try again in (30m0s|29m5\ds)$/,
        );
        expect(res.headers['x-cpa-version']).toBe(buildInfo().version);
      }
      // Nobody else is affected.
      expect((await call(b, { key: SECRET, remote: '198.51.100.24' })).status).toBe(200);
      expect((await call(a, { key: SECRET })).status).toBe(200);
    });

    it('should not ban after fewer failures than the limit and reset on success', async () => {
      const user = '198.51.100.77';
      for (let i = 0; i < 4; i++)
        expect((await call(i % 2 ? a : b, { key: 'typo', remote: user })).status).toBe(401);
      expect((await call(a, { key: SECRET, remote: user })).status).toBe(200);
      for (let i = 0; i < 4; i++)
        expect((await call(b, { key: 'typo', remote: user })).status).toBe(401);
      expect((await call(b, { key: SECRET, remote: user })).status).toBe(200);
    });
  });
});
