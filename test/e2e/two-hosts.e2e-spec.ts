import { hashSync } from 'bcryptjs';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStoreRepository, RedisService } from '@app/storage';
import { FakeUpstream } from '@test/fakes';
import { FakeOAuthServer } from '@test/fakes/oauth/fake-oauth-server';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';

// Two gateways and a worker as separate hosts would run them: one Redis, but each process has
// its own CONFIG_PATH, AUTH_DIR and DATA_DIR (nothing shared on disk), config-store: redis.

const SECRET = 'two-hosts-management-secret';
const CLIENT_KEY = 'sk-client-two-hosts';
const MODEL = 'claude-sonnet-4-5-20250929';

interface HostProcess {
  name: string;
  root: string;
  configPath: string;
  authDir: string;
  url: string;
  app: ChildApp;
}

function claudeFile(email: string, accessToken: string, refreshToken: string, expiresInMs: number) {
  return {
    type: 'claude',
    email,
    access_token: accessToken,
    refresh_token: refreshToken,
    expired: new Date(Date.now() + expiresInMs).toISOString(),
  };
}

/** Save a file the way editors do (a temp file renamed over it): works on a read-only copy. */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.swp`, content);
  renameSync(`${path}.swp`, path);
}

function bearerOf(h: string | string[] | undefined): string {
  return (Array.isArray(h) ? h[0] : (h ?? '')).replace(/^Bearer /, '');
}

describe('two hosts sharing one Redis (config-store: redis)', () => {
  const prefix = uniquePrefix('two-hosts');
  let fake: FakeUpstream;
  let oauth: FakeOAuthServer;
  let redis: RedisService;
  let store: ConfigStoreRepository;
  let a: HostProcess;
  let b: HostProcess;
  let w: HostProcess;
  const hosts: HostProcess[] = [];

  /** This host's own files: the first host brings the cluster's config, the others a stub. */
  function hostDirs(name: string, configText: string) {
    const root = mkdtempSync(join(tmpdir(), `sb-host-${name}-`));
    const authDir = join(root, 'auths');
    mkdirSync(authDir);
    const configPath = join(root, 'config.yaml');
    writeFileSync(configPath, configText);
    return { root, authDir, configPath };
  }

  async function start(
    name: string,
    kind: 'gateway' | 'worker',
    configText: string,
    existing?: HostProcess,
  ): Promise<HostProcess> {
    const dirs = existing ?? hostDirs(name, configText);
    const port = await freePort();
    const env: Record<string, string> = {
      CONFIG_PATH: dirs.configPath,
      AUTH_DIR: dirs.authDir,
      DATA_DIR: join(dirs.root, 'data'),
      REDIS_URL: testRedisUrl(),
      CONFIG_STORE: 'redis',
      SB_PROCESS_NAME: name,
      LOG_LEVEL: 'warn',
    };
    if (kind === 'gateway') env.PORT = String(port);
    else env.WORKER_PORT = String(port);
    const app = startNode(distEntry(`apps/${kind}/src/main.js`), env);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (app.child.exitCode !== null) throw new Error(`${name} exited:\n${app.output()}`);
        return (await fetch(`${url}/readyz`)).status === 200;
      },
      { timeoutMs: 40_000, intervalMs: 100, what: `${name} to be ready` },
    );
    const host = { name, ...dirs, url, app };
    hosts.push(host);
    return host;
  }

  const mgmt = (host: HostProcess, path: string, init: RequestInit = {}) =>
    fetch(`${host.url}/v0/management/${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${SECRET}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string>),
      },
    });

  const chat = async (host: HostProcess, key = CLIENT_KEY) => {
    const res = await fetch(`${host.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }),
    });
    return { status: res.status, body: await res.text() };
  };

  /** The auth files of a host's mirror, name → parsed JSON. */
  const mirrorAuth = (host: HostProcess) =>
    Object.fromEntries(
      readdirSync(host.authDir)
        .filter((n) => n.endsWith('.json'))
        .sort()
        .map((n) => [n, readFileSync(join(host.authDir, n), 'utf8')]),
    );

  const storeAuth = async () => {
    const meta = await store.meta();
    const files = await store.readAuth([...meta.auth.keys()]);
    return Object.fromEntries([...files.entries()].sort().map(([n, f]) => [n, f.text]));
  };

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    oauth = await FakeOAuthServer.start({ rotateRefreshTokens: true });
    redis = new RedisService(
      { url: testRedisUrl(), keyPrefix: prefix, commandTimeoutMs: 2000, connectTimeoutMs: 2000 },
      'two-hosts-spec',
    );
    redis.connect();
    await redis.waitReady(5000);
    store = new ConfigStoreRepository(redis);

    const stub = `config-store: redis\nredis:\n  key-prefix: "${prefix}"\n`;
    const cluster = `${stub}api-keys: ["${CLIENT_KEY}"]
remote-management:
  secret-key: "${hashSync(SECRET, 4)}"
provider-base-urls:
  claude: "${fake.url}"
${oauth.endpointsYaml()}`;
    // A brings the config (it imports into the empty store); B and the worker join with a stub.
    a = await start('gateway-a', 'gateway', cluster);
    [b, w] = await Promise.all([
      start('gateway-b', 'gateway', stub),
      start('worker-w', 'worker', stub),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.app.stop('SIGTERM')));
    for (const h of hosts) rmSync(h.root, { recursive: true, force: true });
    await redis?.close();
    await fake?.close();
    await oauth?.close();
  });

  it('should start every host from the store: B and the worker run A’s config', async () => {
    const stored = await store.readConfig();
    expect(stored?.text).toContain(CLIENT_KEY);
    for (const h of [a, b, w]) expect(readFileSync(h.configPath, 'utf8')).toBe(stored?.text);
    expect(await mgmt(b, 'api-keys').then((r) => r.json())).toEqual({ 'api-keys': [CLIENT_KEY] });
  });

  it('should apply a management edit made on A on B within 1 s', async () => {
    const res = await mgmt(a, 'api-keys', {
      method: 'PATCH',
      body: JSON.stringify({ old: 'not-there', new: 'sk-added-on-a' }),
    });
    expect(res.status).toBe(200);
    const t0 = Date.now();
    await waitFor(
      async () => {
        const body = (await mgmt(b, 'api-keys').then((r) => r.json())) as Record<string, string[]>;
        return body['api-keys'].includes('sk-added-on-a');
      },
      { timeoutMs: 1000, intervalMs: 10, what: 'B to apply the edit' },
    );
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('should serve on A an auth file uploaded on B', async () => {
    const name = 'claude-up@example.com.json';
    const res = await mgmt(b, `auth-files?name=${name}`, {
      method: 'POST',
      body: JSON.stringify(claudeFile('up@example.com', 'at-uploaded-on-b', 'rt-up', 86_400_000)),
    });
    expect(res.status).toBe(200);
    fake.clearRequests();
    await waitFor(async () => (await chat(a)).status === 200, {
      timeoutMs: 2000,
      what: 'A to serve with the uploaded credential',
    });
    const tokens = fake.requests().map((r) => bearerOf(r.headers.authorization));
    expect(tokens).toContain('at-uploaded-on-b');
  });

  it('should store an OAuth login finished on A and list it on B', async () => {
    const start = (await mgmt(a, 'qwen-auth-url').then((r) => r.json())) as Record<string, string>;
    expect(start).toMatchObject({ status: 'ok', flow: 'device' });
    expect(oauth.approveDevice(start.user_code)).toBe(true);
    const done = await waitFor(
      async () => {
        const s = (await mgmt(a, `get-auth-status?state=${start.state}`).then((r) =>
          r.json(),
        )) as Record<string, string>;
        return s.status === 'wait' ? undefined : s;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'the Qwen device login' },
    );
    expect(done).toEqual({ status: 'ok', file: expect.stringMatching(/^qwen-.*\.json$/) });
    expect((await store.readAuth([done.file])).get(done.file)?.text).toContain('access_token');
    await waitFor(
      async () => {
        const list = (await mgmt(b, 'auth-files').then((r) => r.json())) as {
          files: { name: string }[];
        };
        return list.files.some((f) => f.name === done.file);
      },
      { timeoutMs: 1000, what: 'B to list the new account' },
    );
    const del = await fetch(`${a.url}/v0/management/auth-files?name=${done.file}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${SECRET}` },
    });
    expect(del.status).toBe(200);
  });

  it('should bring a token refreshed by the worker to both gateways, once', async () => {
    const name = 'claude-due@example.com.json';
    // Inside Claude's refresh lead, so the worker refreshes it right away.
    const res = await mgmt(a, `auth-files?name=${name}`, {
      method: 'POST',
      body: JSON.stringify(claudeFile('due@example.com', 'at-due-old', 'rt-due', 120_000)),
    });
    expect(res.status).toBe(200);
    // The other credential leaves the pool so every call uses this one.
    const del = await fetch(`${a.url}/v0/management/auth-files?name=claude-up@example.com.json`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${SECRET}` },
    });
    expect(del.status).toBe(200);

    const refreshed = await waitFor(
      async () => {
        const text = (await store.readAuth([name])).get(name)?.text;
        const token = text ? (JSON.parse(text) as { access_token: string }).access_token : '';
        return token && token !== 'at-due-old' ? token : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'the worker to refresh the token' },
    );
    expect(oauth.refreshCount('rt-due')).toBe(1);

    for (const gw of [a, b]) {
      await waitFor(
        async () => {
          fake.clearRequests();
          const r = await chat(gw);
          const sent = fake.requests().map((q) => bearerOf(q.headers.authorization));
          return r.status === 200 && sent.length === 1 && sent[0] === refreshed;
        },
        { timeoutMs: 2000, what: `${gw.name} to use the refreshed token` },
      );
      const mirrored = JSON.parse(readFileSync(join(gw.authDir, name), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(mirrored.access_token).toBe(refreshed);
    }
    expect(oauth.refreshCalls).toHaveLength(1);
  });

  it('should keep every one of concurrent list edits made on A and B', async () => {
    const edits = Array.from({ length: 6 }, (_, i) =>
      mgmt(i % 2 ? a : b, 'api-keys', {
        method: 'PATCH',
        body: JSON.stringify({ old: `none-${i}`, new: `sk-concurrent-${i}` }),
      }),
    );
    const statuses = (await Promise.all(edits)).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const expected = Array.from({ length: 6 }, (_, i) => `sk-concurrent-${i}`);
    for (const h of [a, b]) {
      await waitFor(
        async () => {
          const body = (await mgmt(h, 'api-keys').then((r) => r.json())) as Record<
            string,
            string[]
          >;
          return expected.every((k) => body['api-keys'].includes(k));
        },
        { timeoutMs: 1000, what: `${h.name} to list every concurrent edit` },
      );
    }
    expect((await chat(b, 'sk-concurrent-3')).status).toBe(200);
  });

  it('should keep every host’s local copies equal to the store', async () => {
    const stored = await store.readConfig();
    const auth = await storeAuth();
    expect(Object.keys(auth)).toEqual(['claude-due@example.com.json']);
    for (const h of [a, b, w]) {
      await waitFor(
        () =>
          readFileSync(h.configPath, 'utf8') === stored?.text &&
          JSON.stringify(mirrorAuth(h)) === JSON.stringify(auth),
        { timeoutMs: 1500, what: `${h.name}'s mirror to match the store` },
      );
    }
  });

  it('should refuse a hand edit of a local copy and say how to make the change', async () => {
    const before = readFileSync(b.configPath, 'utf8');
    replaceFile(b.configPath, `${before}\nrequest-retry: 9\n`);
    await waitFor(() => readFileSync(b.configPath, 'utf8') === before, {
      timeoutMs: 3000,
      what: 'the hand edit to be undone',
    });
    expect(b.app.output()).toContain(
      'was edited by hand, but this process runs with config-store: redis',
    );
    expect(b.app.output()).toContain('npm run config -- push');
    const retry = (await mgmt(b, 'request-retry').then((r) => r.json())) as {
      'request-retry': number;
    };
    expect(retry['request-retry']).not.toBe(9);
  });

  it('should start again from the store when a host comes back with a stale local file', async () => {
    await b.app.stop('SIGTERM');
    hosts.splice(hosts.indexOf(b), 1);
    replaceFile(
      b.configPath,
      `config-store: redis\nredis:\n  key-prefix: "${prefix}"\napi-keys: ["sk-stale"]\n`,
    );
    b = await start('gateway-b', 'gateway', '', b);
    expect(b.app.output()).toContain('differs from the config store');
    expect(readFileSync(b.configPath, 'utf8')).toBe((await store.readConfig())?.text);
    expect((await chat(b, 'sk-stale')).status).toBe(401);
    expect((await chat(b)).status).toBe(200);
  }, 60_000);
});
