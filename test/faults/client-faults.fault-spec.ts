// Client faults (issue 10, "Faults"): clients that leave mid-stream, slowloris headers, and
// 10,000 idle connections.
import { connect, type Socket } from 'node:net';
import { ProxyMetrics } from '@app/proxy';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { tempConfigDir, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';
import { captureUsage } from '../e2e/proxy-e2e.helpers';
import { rssMb, shoot, sleep, startGatewayChild, type GatewayChild } from './fault-harness';

const KEY = 'sk-client-faults-0001';

function config(prefix: string, fakeUrl: string, extra = ''): string {
  return `
api-keys: ["${KEY}"]
redis:
  key-prefix: "${prefix}"
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "client-faults-up"
    models:
      - name: gpt-cf
${extra}`;
}

type Format = 'openai' | 'claude' | 'gemini' | 'responses';
const FORMATS: readonly Format[] = ['openai', 'claude', 'gemini', 'responses'];

function streamCall(format: Format, text: string): { path: string; init: RequestInit } {
  const json = { 'content-type': 'application/json' };
  switch (format) {
    case 'openai':
      return {
        path: '/v1/chat/completions',
        init: {
          headers: { ...json, authorization: `Bearer ${KEY}` },
          body: JSON.stringify({
            model: 'gpt-cf',
            stream: true,
            messages: [{ role: 'user', content: text }],
          }),
        },
      };
    case 'claude':
      return {
        path: '/v1/messages',
        init: {
          headers: { ...json, 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
          body: JSON.stringify({
            model: 'gpt-cf',
            stream: true,
            max_tokens: 100,
            messages: [{ role: 'user', content: text }],
          }),
        },
      };
    case 'gemini':
      return {
        path: '/v1beta/models/gpt-cf:streamGenerateContent?alt=sse',
        init: {
          headers: { ...json, 'x-goog-api-key': KEY },
          body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text }] }] }),
        },
      };
    case 'responses':
      return {
        path: '/v1/responses',
        init: {
          headers: { ...json, authorization: `Bearer ${KEY}` },
          body: JSON.stringify({ model: 'gpt-cf', stream: true, input: text }),
        },
      };
  }
}

async function gauge(gw: TestGateway, name: 'openStreams' | 'inFlight'): Promise<number> {
  return (await gw.app.get(ProxyMetrics)[name].get()).values[0]?.value ?? 0;
}

describe('fault: clients that disconnect mid-stream', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(config(uniquePrefix('client-abort'), fake.url), 'gateway-aborts');
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  it('should abort every upstream, record every usage, and bring the gauges back', async () => {
    const baseline = { open: await gauge(gw, 'openStreams'), flight: await gauge(gw, 'inFlight') };
    const usage = captureUsage(gw);
    try {
      fake.configure({ streamChunks: 40 });
      fake.delayBetweenChunks(50);
      const N = 40;
      const opened: number[] = [];
      await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const format = FORMATS[i % 4];
          const call = streamCall(format, `leave me ${i} ${'word '.repeat(20)}`);
          const controller = new AbortController();
          const res = await fetch(`${gw.url}${call.path}`, {
            ...call.init,
            method: 'POST',
            signal: controller.signal,
          });
          expect(res.status).toBe(200);
          const reader = res.body!.getReader();
          // Leave after a few chunks, at a different point for each client.
          for (let k = 0; k < 2 + (i % 5); k++) await reader.read();
          opened.push(await gauge(gw, 'openStreams'));
          controller.abort();
        }),
      );
      expect(Math.max(...opened)).toBeGreaterThan(baseline.open);
      await fake.waitForAborts(N, 5000);
      expect(fake.abortedCount()).toBe(N);
      await waitFor(() => usage.records.length === N, { what: `${N} usage records` });
      for (const rec of usage.records) {
        expect(rec).toMatchObject({ status: 499, failed: true, errorClass: 'client_abort' });
        expect(rec.tokens.input_tokens).toBeGreaterThan(0);
        expect(rec.tokens.output_tokens).toBeGreaterThan(0);
      }
      await waitFor(async () => (await gauge(gw, 'openStreams')) === baseline.open, {
        what: 'the open-stream gauge to return',
      });
      expect(await gauge(gw, 'inFlight')).toBe(baseline.flight);
    } finally {
      usage.stop();
      fake.reset();
      fake.configure({ streamChunks: 5 });
    }
  });
});

describe('fault: slow and idle connections (built gateway)', () => {
  let fake: FakeUpstream;
  let gw: GatewayChild;
  let cfg: { path: string; cleanup: () => void };
  const HEADERS_SECONDS = 8;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    cfg = tempConfigDir(
      config(
        uniquePrefix('client-slow'),
        fake.url,
        `server-timeouts:\n  headers-seconds: ${HEADERS_SECONDS}\n`,
      ),
    );
    gw = await startGatewayChild(cfg.path, testRedisUrl(), 'gateway-slow-clients');
  });

  afterAll(async () => {
    await gw?.app.stop('SIGKILL');
    await fake?.close();
    cfg?.cleanup();
  });

  /** Open `n` TCP connections to the gateway, `batch` at a time. */
  async function openSockets(n: number, batch = 500): Promise<Socket[]> {
    const sockets: Socket[] = [];
    for (let i = 0; i < n; i += batch) {
      const size = Math.min(batch, n - i);
      const round = await Promise.all(
        Array.from(
          { length: size },
          () =>
            new Promise<Socket>((resolve, reject) => {
              const s = connect(gw.port, '127.0.0.1');
              s.once('connect', () => resolve(s));
              s.once('error', reject);
            }),
        ),
      );
      for (const s of round) s.on('error', () => undefined);
      sockets.push(...round);
    }
    return sockets;
  }

  it('should cut slowloris clients at headers-seconds and keep serving meanwhile', async () => {
    const sockets = await openSockets(200);
    const closedAt = new Map<Socket, number>();
    const answers: string[] = [];
    for (const s of sockets) {
      s.on('data', (d: Buffer) => answers.push(d.toString().split('\r\n')[0]));
      s.on('close', () => closedAt.set(s, Date.now()));
      s.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
    }
    const t0 = Date.now();
    // One header byte every 300 ms: never complete, always "active".
    const drip = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write('X');
    }, 300);
    try {
      const normal = await shoot(gw.url, KEY, 'gpt-cf', false);
      expect(normal.status).toBe(200);
      expect(normal.ms).toBeLessThan(1000);
      await waitFor(() => closedAt.size === sockets.length, {
        timeoutMs: (HEADERS_SECONDS + 5) * 1000,
        what: 'every slowloris socket to be closed',
      });
    } finally {
      clearInterval(drip);
    }
    const slowest = Math.max(...[...closedAt.values()].map((t) => t - t0));
    expect(slowest).toBeLessThan(HEADERS_SECONDS * 1000 + 2000);
    expect(Math.min(...[...closedAt.values()].map((t) => t - t0))).toBeGreaterThan(
      HEADERS_SECONDS * 1000 - 500,
    );
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.startsWith('HTTP/1.1 408'))).toBe(true);
  }, 30000);

  it('should hold 10,000 idle connections with bounded memory, still serve, then shed them', async () => {
    const before = rssMb(gw.pid);
    const t0 = Date.now();
    const sockets = await openSockets(10_000);
    const openedMs = Date.now() - t0;
    // A socket that already closed (refused or reset while 10,000 were opening on a loaded
    // machine) emits no further 'close': count it now, or the wait below never completes.
    const closedByServer = { n: 0 };
    for (const s of sockets) {
      if (s.destroyed) closedByServer.n++;
      else s.on('close', () => closedByServer.n++);
    }
    await sleep(300);
    const held = rssMb(gw.pid);
    const alive = sockets.filter((s) => !s.destroyed).length;
    const normal = await shoot(gw.url, KEY, 'gpt-cf', true);
    const status = await fetch(`${gw.url}/status`);
    // Silent connections are closed once headers-seconds pass without a request.
    // A handful of the 10,000 can sit in the kernel's accept queue (listen backlog 511) long
    // after the client saw them connect; the gateway cannot close what it has not accepted yet.
    // 99 % is the bar; the log line reports the exact count.
    await waitFor(() => closedByServer.n >= Math.floor(sockets.length * 0.99), {
      timeoutMs: (HEADERS_SECONDS + 5) * 1000,
      what: 'the gateway to close every silent connection',
    }).catch((err: Error) => {
      throw new Error(`${err.message} (${closedByServer.n}/${sockets.length} closed)`);
    });
    const shedMs = Date.now() - t0;
    await sleep(500);
    const after = rssMb(gw.pid);
    console.log(
      `10k idle connections: opened in ${openedMs} ms, ${alive} open while measured; gateway RSS ` +
        `${before.toFixed(0)} MB before, ${held.toFixed(0)} MB holding them ` +
        `(+${(held - before).toFixed(0)} MB), ${after.toFixed(0)} MB after they were shed ` +
        `(${closedByServer.n} of ${sockets.length} closed by the gateway ${shedMs} ms after the first connect); ` +
        `a normal stream meanwhile took ${normal.ms} ms`,
    );
    expect(alive).toBe(10_000);
    expect(normal).toMatchObject({ status: 200, complete: true });
    expect(normal.ms).toBeLessThan(2000);
    expect(status.status).toBe(200);
    // A few KB per idle socket; 10,000 of them must not cost the process more than this.
    expect(held - before).toBeLessThan(250);
  }, 60000);
});
