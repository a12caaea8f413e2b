// Process faults (issue 10, "Faults"): a gateway SIGKILLed under load loses only the requests
// it had in flight; a SIGTERMed one finishes them all; a worker killed in the middle of a token
// refresh leaves the credential intact and refreshable.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { authIndexOf, CredentialService } from '@app/routing';
import { RedisService } from '@app/storage';
import { FakeUpstream } from '@test/fakes';
import { FakeOAuthServer } from '@test/fakes/oauth/fake-oauth-server';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { startGateway } from '@test/utils/gateway-harness';
import { freePort, tempConfigDir, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';
import { writeAuthFile } from '../e2e/worker-oauth.helpers';
import {
  load,
  shoot,
  sleep,
  startGatewayChild,
  startOwnRedis,
  usageTotals,
  type GatewayChild,
  type OwnRedis,
  type Shot,
} from './fault-harness';

const KEY = 'sk-process-faults-0001';

function gatewayYaml(prefix: string, fakeUrl: string): string {
  return `
api-keys: ["${KEY}"]
usage-statistics-enabled: true
redis:
  key-prefix: "${prefix}"
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "pf-up-1"
    models:
      - name: gpt-pf
`;
}

describe('fault: gateway processes killed and stopped under load', () => {
  let redis: OwnRedis;
  let client: Redis;
  let fake: FakeUpstream;
  const children: GatewayChild[] = [];
  const cfgs: { cleanup: () => void }[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    client = redis.client();
    fake = await FakeUpstream.start({ maxRecords: 100 });
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => c.app.stop('SIGKILL')));
    await fake?.close();
    await redis?.stop();
    for (const c of cfgs) c.cleanup();
  });

  beforeEach(() => {
    fake.reset();
    // Streams take about 300 ms, so a replica always has requests in flight.
    fake.configure({ streamChunks: 10 });
    fake.delayBetweenChunks(30);
  });

  it('should lose only the in-flight requests of a SIGKILLed replica; the other serves the rest', async () => {
    const prefix = uniquePrefix('sigkill');
    const cfg = tempConfigDir(gatewayYaml(prefix, fake.url));
    cfgs.push(cfg);
    const a = await startGatewayChild(cfg.path, redis.url, 'gateway-kill-a');
    const b = await startGatewayChild(cfg.path, redis.url, 'gateway-kill-b');
    children.push(a, b);
    let killedAt = 0;
    let stop = false;
    const shots: { target: 'a' | 'b'; shot: Shot }[] = [];
    // A load balancer: alternate replicas; a refused connection goes to the other one.
    const traffic = load(
      12,
      () => stop,
      async (w, n) => {
        const first = (w + n) % 2 === 0 ? a : b;
        let shot = await shoot(first.url, KEY, 'gpt-pf', n % 3 !== 0);
        let target: 'a' | 'b' = first === a ? 'a' : 'b';
        if (shot.status === 0 && shot.error === 'ECONNREFUSED') {
          shot = await shoot(b.url, KEY, 'gpt-pf', n % 3 !== 0);
          target = 'b';
        }
        shots.push({ target, shot });
      },
    );
    await sleep(2000);
    killedAt = Date.now();
    a.app.child.kill('SIGKILL');
    await sleep(3000);
    stop = true;
    await traffic;

    const failed = shots.filter((s) => !(s.shot.status === 200 && s.shot.complete));
    const ok = shots.length - failed.length;
    console.log(
      `SIGKILL under load: ${shots.length} requests, ${ok} ok, ${failed.length} lost ` +
        `(${failed.map((f) => f.shot.error ?? f.shot.status).join(', ')})`,
    );
    // Only what replica A had in flight: at most one request per client, all ending at the kill.
    expect(failed.length).toBeLessThanOrEqual(12);
    for (const f of failed) {
      expect(f.target).toBe('a');
      expect(f.shot.at).toBeGreaterThanOrEqual(killedAt);
      expect(f.shot.at).toBeLessThan(killedAt + 1000);
    }
    expect(shots.filter((s) => s.shot.at > killedAt + 1000).length).toBeGreaterThan(50);

    // Usage: B's records all arrive; A's are those it had written before it died (it flushes
    // every 500 ms, so at most that much of its finished work is lost with the process).
    const answered = shots.filter((s) => s.shot.status > 0).length;
    const lostWindow = shots.filter(
      (s) => s.target === 'a' && s.shot.status > 0 && s.shot.at > killedAt - 600,
    ).length;
    await sleep(1500);
    const recorded = (await usageTotals(client, prefix)).requests;
    expect(recorded).toBeLessThanOrEqual(answered);
    expect(recorded).toBeGreaterThanOrEqual(answered - lostWindow);
  }, 60000);

  it('should finish every in-flight request and stream on SIGTERM, then exit 0', async () => {
    const prefix = uniquePrefix('sigterm');
    const cfg = tempConfigDir(gatewayYaml(prefix, fake.url));
    cfgs.push(cfg);
    const gw = await startGatewayChild(cfg.path, redis.url, 'gateway-drain');
    children.push(gw);
    fake.reset();
    fake.configure({ streamChunks: 10 });
    fake.delayBetweenChunks(150);
    fake.clearRequests();
    const N = 16;
    const pending = Array.from({ length: N }, (_, i) => shoot(gw.url, KEY, 'gpt-pf', i % 4 !== 0));
    await waitFor(() => fake.requests().length === N, { what: `${N} requests upstream` });
    gw.app.child.kill('SIGTERM');
    const results = await Promise.all(pending);
    expect(results.map((r) => [r.status, r.complete])).toEqual(results.map(() => [200, true]));
    // Streams take about 1.5 s: they really were in flight when the signal came.
    expect(Math.max(...results.map((r) => r.ms))).toBeGreaterThan(1000);
    expect(await gw.app.exited).toBe(0);
    // Drained: the usage of every one of them was written before the exit.
    expect((await usageTotals(client, prefix)).requests).toBe(N);
  }, 60000);
});

describe('fault: a worker killed in the middle of a token refresh', () => {
  const CLAUDE_MODEL = 'claude-sonnet-4-5-20250929';
  const FILE = 'claude-killed@example.com.json';
  let fake: FakeUpstream;
  let oauth: FakeOAuthServer;
  let authDir: string;
  let cfg: { path: string; cleanup: () => void };
  const workers: ChildApp[] = [];
  const prefix = uniquePrefix('worker-kill');

  const startWorkerChild = async (name: string): Promise<ChildApp> => {
    const w = startNode(distEntry('apps/worker/src/main.js'), {
      CONFIG_PATH: cfg.path,
      REDIS_URL: testRedisUrl(),
      WORKER_PORT: String(await freePort()),
      WORKER_HOST: '127.0.0.1',
      SB_PROCESS_NAME: name,
    });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    // The token endpoint answers after 4 s: long enough to kill the worker while it waits.
    oauth = await FakeOAuthServer.start({ tokenDelayMs: 4000 });
    authDir = mkdtempSync(join(tmpdir(), 'sb-fault-auth-'));
    cfg = tempConfigDir(`
api-keys: ["${KEY}"]
redis:
  key-prefix: "${prefix}"
auth-dir: "${authDir}"
provider-base-urls:
  claude: "${fake.url}"
${oauth.endpointsYaml({ claude: { 'refresh-lead-seconds': 50 } })}`);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await fake?.close();
    await oauth?.close();
    cfg?.cleanup();
    rmSync(authDir, { recursive: true, force: true });
  });

  it('should leave the auth file whole, keep serving, and get the token refreshed', async () => {
    const gw = await startGateway(readFileSync(cfg.path, 'utf8'), 'gateway-worker-kill');
    const chat = async (
      text: string,
    ): Promise<{ status: number; ms: number; at: number; bearer: string }> => {
      const t0 = Date.now();
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: CLAUDE_MODEL, messages: [{ role: 'user', content: text }] }),
      });
      await res.arrayBuffer();
      const bearer = String(fake.requests().at(-1)?.headers.authorization ?? '');
      return { status: res.status, ms: Date.now() - t0, at: Date.now(), bearer };
    };
    try {
      // Expires in 70 s; with a 60 s lead the worker's refresh is due in about 10 s.
      const writtenAt = Date.now();
      writeAuthFile(authDir, FILE, {
        type: 'claude',
        email: 'killed@example.com',
        access_token: 'at-claude-before',
        refresh_token: 'rt-claude-kill',
        expired: new Date(writtenAt + 70_000).toISOString(),
      });
      const before = readFileSync(join(authDir, FILE));
      const authIndex = authIndexOf(`file:${FILE}`);
      await waitFor(() => gw.app.get(CredentialService).snapshot().byAuthIndex.has(authIndex), {
        what: 'the gateway to load the auth file',
      });

      const first = await startWorkerChild('worker-doomed');
      // The refresh lock is taken right before the token call: the worker is mid-refresh.
      const lockKey = `${prefix}oauth:refresh-lock:${authIndex}`;
      const redis = gw.app.get(RedisService).command;
      await waitFor(async () => (await redis.exists(lockKey)) === 1, {
        timeoutMs: 30_000,
        intervalMs: 50,
        what: 'the worker to start refreshing',
      });
      await sleep(500);
      first.child.kill('SIGKILL');
      await first.exited;
      const killedAt = Date.now();

      // Nothing was half-written, and the old token still serves.
      expect(readFileSync(join(authDir, FILE)).equals(before)).toBe(true);
      const served = await chat('hi');
      expect(served).toMatchObject({ status: 200, bearer: 'Bearer at-claude-before' });

      // Another worker starts; traffic goes on. Whoever takes the lock once the dead worker's
      // lease has lapsed (10 s, no longer renewed) refreshes: the new worker, or the gateway
      // itself once the token is within 30 s of expiry (it waits for the lock rather than send
      // a dying token).
      await startWorkerChild('worker-next');
      const calls: Awaited<ReturnType<typeof chat>>[] = [];
      let refreshed: { access_token?: string } | undefined;
      while (!refreshed && Date.now() - killedAt < 100_000) {
        calls.push(await chat(`n${calls.length}`));
        const data = JSON.parse(readFileSync(join(authDir, FILE), 'utf8')) as {
          access_token?: string;
        };
        if (data.access_token !== 'at-claude-before') refreshed = data;
        else await sleep(1000);
      }
      const slowest = Math.max(...calls.map((c) => c.ms));
      console.log(
        `worker killed mid-refresh: token refreshed ${Date.now() - killedAt} ms after the kill ` +
          `(${Date.now() - writtenAt} ms after the file was written); ${calls.length} requests ` +
          `meanwhile, all ${[...new Set(calls.map((c) => c.status))].join('/')}, the slowest ` +
          `waited ${slowest} ms for the lock`,
      );
      expect(refreshed?.access_token).toMatch(/^at-claude-/);
      // The dead holder's lease lapsed within its 10 s TTL: nobody waited out a long lock.
      expect(slowest).toBeLessThan(15_000);
      expect(statSync(join(authDir, FILE)).mode & 0o777).toBe(0o600);
      // No request failed, and none was sent with a token past its expiry.
      expect(calls.every((c) => c.status === 200)).toBe(true);
      for (const c of calls.filter((x) => x.bearer === 'Bearer at-claude-before')) {
        expect(c.at).toBeLessThan(writtenAt + 70_000);
      }
      await waitFor(
        async () => (await chat('after')).bearer === `Bearer ${refreshed?.access_token}`,
        { timeoutMs: 10_000, what: 'the gateway to use the refreshed token' },
      );
    } finally {
      await gw.close();
    }
  }, 150_000);
});
