// GATEWAY_WORKERS=2 (issue 23): one `node dist/apps/gateway/src/main.js` runs two gateway
// processes on one port (Node's cluster module). Both serve, each is a cluster member of its own
// in /api/v1/processes, /metrics adds both up, the cluster API's restart of one brings it back
// in place, and SIGTERM drains both: requests in flight on either finish, then it exits 0.
import { hostname } from 'node:os';
import { Agent } from 'undici';
import { Redis } from 'ioredis';
import { FakeUpstream } from '@test/fakes';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import {
  freePort,
  tempConfigDir,
  testRedisIsCluster,
  testRedisUrl,
  uniquePrefix,
  waitFor,
} from '@test/utils/env';

const KEY = 'sk-gateway-workers-0001';
const MODEL = 'gpt-workers';

interface ProcessView {
  name: string;
  status: string;
  health: string;
  pid: number;
  restarts: number;
}

describe('GATEWAY_WORKERS=2: two gateway processes on one port', () => {
  const prefix = uniquePrefix('workers');
  let fake: FakeUpstream;
  let cfg: { path: string; cleanup: () => void };
  let gw: ChildApp;
  let url: string;
  let port: number;
  // A new connection per call, so the cluster's round-robin sees every call.
  const fresh = new Agent({ pipelining: 0, keepAliveTimeout: 1 });
  const names = () => [1, 2].map((i) => `gateway-${hostname()}-${port}-${i}`);

  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`, {
      dispatcher: fresh,
      headers: { connection: 'close' },
    } as unknown as RequestInit);
    return { status: res.status, text: await res.text() };
  };
  const chat = async (stream = false) => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: fresh,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${KEY}`,
        connection: 'close',
      },
      body: JSON.stringify({ model: MODEL, stream, messages: [{ role: 'user', content: 'hi' }] }),
    } as unknown as RequestInit);
    return { status: res.status, body: await res.text() };
  };
  const processes = async (): Promise<Map<string, ProcessView>> => {
    const r = await get('/api/v1/processes');
    const list = (JSON.parse(r.text) as { processes: ProcessView[] }).processes;
    return new Map(list.map((p) => [p.name, p]));
  };

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    cfg = tempConfigDir(`
api-keys: ["${KEY}"]
redis:
  key-prefix: "${prefix}"
openai-compatibility:
  - name: fakeoai
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "workers-up-1"
    models:
      - name: ${MODEL}
`);
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gw = startNode(distEntry('apps/gateway/src/main.js'), {
      CONFIG_PATH: cfg.path,
      REDIS_URL: testRedisUrl(),
      PORT: String(port),
      GATEWAY_WORKERS: '2',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    });
    await waitFor(
      async () => {
        if (gw.child.exitCode !== null) throw new Error(`exited:\n${gw.output()}`);
        return (await get('/readyz')).status === 200;
      },
      { timeoutMs: 30_000, what: 'the gateway processes' },
    );
  }, 40_000);

  afterAll(async () => {
    await gw?.stop('SIGKILL');
    await fake?.close();
    await fresh.close();
    cfg?.cleanup();
  });

  it('should serve from both processes, each a member of its own, counted as one in /metrics', async () => {
    const pids = new Set<number>();
    await waitFor(
      async () => {
        const r = await get('/status');
        pids.add((JSON.parse(r.text) as { pid: number }).pid);
        return pids.size === 2;
      },
      { timeoutMs: 10_000, what: 'both processes to answer /status' },
    );
    expect(pids.has(gw.child.pid ?? 0)).toBe(false); // the primary serves nothing itself
    const list = await waitFor(
      async () => {
        const m = await processes();
        return names().every(
          (n) => m.get(n)?.status === 'running' && m.get(n)?.health === 'healthy',
        )
          ? m
          : undefined;
      },
      { timeoutMs: 15_000, what: 'both members running and healthy' },
    );
    expect(new Set(names().map((n) => list.get(n)?.pid))).toEqual(pids);

    for (let i = 0; i < 6; i++) expect((await chat()).status).toBe(200);
    // Whichever process answers the scrape, it reports both processes' requests.
    for (let i = 0; i < 4; i++) {
      const text = (await get('/metrics')).text;
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('switchboard_http_request_duration_seconds_count{') &&
            l.includes('route="/v1/chat/completions"') &&
            l.includes('status="200"'),
        );
      expect(line?.split(' ').pop()).toBe('6');
      expect(text).toMatch(/^switchboard_redis_up 1$/m);
    }
  });

  it('should restart one process in place when the cluster API asks', async () => {
    const [, second] = names();
    const before = (await processes()).get(second);
    const r = await fetch(`${url}/api/v1/processes/${second}/restart`, {
      method: 'POST',
      dispatcher: fresh,
    } as unknown as RequestInit);
    expect(r.status).toBe(200);
    const after = await waitFor(
      async () => {
        const p = (await processes()).get(second);
        return p && p.status === 'running' && p.pid !== before?.pid ? p : undefined;
      },
      { timeoutMs: 30_000, what: `${second} back with a new pid` },
    );
    expect(after.restarts).toBe(1);
    expect(gw.child.exitCode).toBeNull();
  }, 40_000);

  it('should drain both processes on SIGTERM: requests in flight finish, then exit 0', async () => {
    // Streams that take ~1.5 s, several at once: the round-robin puts some on each process.
    fake.delayBetweenChunks(300, { match: { model: MODEL } });
    const inFlight = Array.from({ length: 4 }, () => chat(true));
    await new Promise((r) => setTimeout(r, 400));
    gw.child.kill('SIGTERM');
    const results = await Promise.all(inFlight);
    for (const res of results) {
      expect(res.status).toBe(200);
      expect(res.body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    }
    expect(await gw.exited).toBe(0);
    const lines = gw
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { process?: string; msg?: string });
    for (const name of names()) {
      expect(lines.some((l) => l.process === name && l.msg === 'stopped cleanly')).toBe(true);
    }
    // Both said goodbye: stopped, not crashed.
    if (!testRedisIsCluster()) {
      const redis = new Redis(testRedisUrl());
      try {
        for (const name of names()) {
          expect(await redis.hget(`${prefix}{cluster}:member:${name}`, 'status')).toBe('stopped');
        }
      } finally {
        redis.disconnect();
      }
    }
  }, 40_000);
});
