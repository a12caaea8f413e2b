import { Logger } from '@nestjs/common';
import { hashSync } from 'bcryptjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix } from '@test/utils/env';

const SECRET = 'auth-hardening-secret';
const CLIENT_KEY = 'sk-auth-hardening';
// Cost 12 (~0.3 s of bcryptjs a check): on the event loop, a few guesses would stall it for seconds.
const SECRET_HASH = hashSync(SECRET, 12);
const BANNED = /^IP banned due to too many failed attempts\. Try again in (30m0s|29m5\ds)$/;

function config(prefix: string, fakeUrl: string): string {
  return `redis:
  key-prefix: "${prefix}"
api-keys: ["${CLIENT_KEY}"]
remote-management:
  allow-remote: true
  secret-key: '${SECRET_HASH}'
# A proxy on this machine (and one elsewhere) whose X-Forwarded-For is believed.
trusted-proxies: ["127.0.0.1", "10.0.0.2"]
claude-api-key:
  - api-key: "up-claude"
    base-url: "${fakeUrl}"
    models:
      - name: claude-h
`;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function get(
  gw: TestGateway,
  url: string,
  remote: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await gw.app.inject({ method: 'GET', url, headers, remoteAddress: remote });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function tally(answers: Answer[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const a of answers) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

describe('auth hardening (e2e, two replicas)', () => {
  let fake: FakeUpstream;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    const yaml = config(uniquePrefix('auth-hard'), fake.url);
    a = await startGateway(yaml, 'gateway-hard-1');
    b = await startGateway(yaml, 'gateway-hard-2');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await fake?.close();
  });

  it('should evaluate at most 5 of 50 concurrent wrong keys from one address across both replicas', async () => {
    const attacker = '198.51.100.10';
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        get(i % 2 ? a : b, '/v0/management/usage', attacker, bearer(`guess-${i}`)),
      ),
    );
    // A 401 is a key that was checked; a 403 was refused before its key was looked at.
    expect(tally(answers)).toEqual({ 401: 5, 403: 45 });
    for (const ans of answers.filter((x) => x.status === 401))
      expect(ans.body).toEqual({ error: 'invalid management key' });
    for (const ans of answers.filter((x) => x.status === 403))
      expect(ans.body.error).toMatch(BANNED);
    for (const gw of [a, b]) {
      const right = await get(gw, '/v0/management/usage', attacker, bearer(SECRET));
      expect(right.status).toBe(403);
    }
    expect((await get(a, '/v0/management/usage', '198.51.100.99', bearer(SECRET))).status).toBe(
      200,
    );
  });

  it('should count cluster API guesses with the same ban as the management and control APIs', async () => {
    const attacker = '198.51.100.11';
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        get(i % 2 ? a : b, '/api/v1/status', attacker, bearer(`guess-${i}`)),
      ),
    );
    expect(tally(answers)).toEqual({ 401: 5, 403: 45 });
    expect(answers.find((x) => x.status === 401)?.body).toMatchObject({ code: 'UNAUTHORIZED' });
    const banned = answers.find((x) => x.status === 403);
    expect(banned?.body).toMatchObject({ code: 'FORBIDDEN', error: expect.stringMatching(BANNED) });
    // One ban: the management and control APIs refuse the right key from that address now.
    const mgmt = await get(b, '/v0/management/usage', attacker, bearer(SECRET));
    expect(mgmt.status).toBe(403);
    expect(mgmt.body.error).toMatch(BANNED);
    const control = await get(a, '/api/cliproxy/proxy-status', attacker, bearer(SECRET));
    expect(control).toMatchObject({ status: 403, body: { error: 'Forbidden' } });
    // The management key still opens the cluster API for everyone else, without allow-remote.
    expect((await get(a, '/api/v1/status', '198.51.100.12', bearer(SECRET))).status).toBe(200);
  });

  it('should keep serving proxy traffic while bcrypt checks wrong guesses', async () => {
    const proxyOnce = async (): Promise<number> => {
      const t0 = performance.now();
      const res = await a.app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { ...bearer(CLIENT_KEY), 'content-type': 'application/json' },
        payload: { model: 'claude-h', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
        remoteAddress: '198.51.100.20',
      });
      expect(res.statusCode).toBe(200);
      return performance.now() - t0;
    };
    const sequential = async (n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(await proxyOnce());
      return out;
    };
    await sequential(3); // warm-up
    const baseline = await sequential(10);
    // Eight guesses from eight addresses: each is checked (~0.3 s of bcrypt apiece).
    let guessesDone = 0;
    const guesses = Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        get(a, '/v0/management/usage', `203.0.113.${100 + i}`, bearer(`wrong-${i}`)).then((r) => {
          guessesDone++;
          return r.status;
        }),
      ),
    );
    const during = await sequential(10);
    const stillChecking = guessesDone < 8;
    expect(await guesses).toEqual(Array.from({ length: 8 }, () => 401));
    // The proxy requests ran while the checks were still going on...
    expect(stillChecking).toBe(true);
    // ...and were not held up by them (on the event loop, each would wait out ~100 ms slices of
    // every pending check).
    expect(median(during)).toBeLessThan(Math.max(250, 4 * median(baseline)));
  });

  describe('a trusted proxy that does not say who its client is', () => {
    it.each([
      ['no X-Forwarded-For', {}],
      ['an empty X-Forwarded-For', { 'x-forwarded-for': '' }],
      ['X-Forwarded-For: unknown', { 'x-forwarded-for': 'unknown' }],
    ])('should make a caller with %s remote, not local', async (_, headers) => {
      // 127.0.0.1 is a trusted proxy: without a usable header its caller could be anyone.
      const control = await get(a, '/api/cliproxy/proxy-status', '127.0.0.1', headers);
      expect([401, 403]).toContain(control.status);
      const cluster = await get(a, '/api/v1/status', '127.0.0.1', headers);
      expect([401, 403]).toContain(cluster.status);
      const status = await get(a, '/status', '127.0.0.1', headers);
      expect(status.status).toBe(401);
    });

    it('should still take a usable header: a local client through the proxy is local', async () => {
      const headers = { 'x-forwarded-for': '127.0.0.1' };
      expect((await get(b, '/api/cliproxy/proxy-status', '127.0.0.1', headers)).status).toBe(200);
      expect((await get(b, '/status', '127.0.0.1', headers)).status).toBe(200);
      expect((await get(b, '/status', '10.0.0.2', headers)).status).toBe(200);
    });
  });

  it('should answer 409 with the parse problem to an edit while config.yaml is invalid, and leave it alone', async () => {
    const original = readFileSync(a.configPath, 'utf8');
    const broken = `${original}\nrequest-retry: [unclosed\n`;
    // The file watcher logs the rejected reload: expected here.
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      writeFileSync(a.configPath, broken);
      const res = await a.app.inject({
        method: 'PUT',
        url: '/v0/management/request-retry',
        headers: { ...bearer(SECRET), 'x-forwarded-for': '198.51.100.30' },
        payload: { value: 2 },
        remoteAddress: '10.0.0.2',
      });
      expect(res.statusCode).toBe(409);
      const error = res.json<{ error: string }>().error;
      expect(error).toMatch(
        /^config\.yaml on disk is invalid, so it was left untouched; fix it first/,
      );
      expect(error).toMatch(/line \d+: YAML syntax: /);
      expect(readFileSync(a.configPath, 'utf8')).toBe(broken);
    } finally {
      writeFileSync(a.configPath, original);
      errors.mockRestore();
    }
  });
});
