// Shared pieces of the fault suite: a Redis of its own (so a spec can stop it without touching
// the run's shared one), built gateway processes, their memory, and their metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { freePort, waitFor } from '@test/utils/env';
import { parsePrometheusText } from '@test/utils/prom-text';

/** A redis-server this spec owns: it can be paused, resumed and stopped at will. */
export interface OwnRedis {
  url: string;
  port: number;
  /** SIGSTOP: the socket stays open and every command hangs (the harder outage). */
  pause: () => void;
  /** SIGCONT. */
  resume: () => void;
  /** A client for assertions (short timeouts, so a paused server never hangs a test). */
  client: () => Redis;
  stop: () => Promise<void>;
}

function redisBinary(): string {
  const bin = [
    process.env.SB_TEST_REDIS_BIN,
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
  ].find((p): p is string => !!p && existsSync(p));
  if (!bin) {
    throw new Error('The fault suite needs redis-server: `apt-get install -y redis-server`');
  }
  return bin;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

/** Start a redis-server on a free loopback port (no persistence), as test/setup does. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sb-fault-redis-'));
  const child: ChildProcess = spawn(
    redisBinary(),
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  await waitFor(() => answersPing(port), { timeoutMs: 10000, what: `redis-server on ${port}` });
  const clients: Redis[] = [];
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    client: () => {
      const c = new Redis(`redis://127.0.0.1:${port}`, {
        commandTimeout: 2000,
        maxRetriesPerRequest: 1,
      });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    stop: async () => {
      for (const c of clients) c.disconnect();
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A built gateway process. */
export interface GatewayChild {
  app: ChildApp;
  url: string;
  port: number;
  pid: number;
}

/** Start `dist/apps/gateway/src/main.js` and wait until it answers /healthz. */
export async function startGatewayChild(
  configPath: string,
  redisUrl: string,
  name: string,
  env: Record<string, string> = {},
): Promise<GatewayChild> {
  const port = await freePort();
  const app = startNode(distEntry('apps/gateway/src/main.js'), {
    CONFIG_PATH: configPath,
    REDIS_URL: redisUrl,
    PORT: String(port),
    SB_PROCESS_NAME: name,
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (app.child.exitCode !== null) throw new Error(`${name} exited:\n${app.output()}`);
      return (await fetch(`${url}/healthz`)).ok;
    },
    { timeoutMs: 30000, what: `${name} to answer` },
  );
  return { app, url, port, pid: app.child.pid ?? 0 };
}

/** Resident memory of a process in MiB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Sum of every sample of `name` whose labels include `labels`, from a /metrics endpoint. */
export async function metricValue(
  baseUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = 0;
  for (const s of parsePrometheusText(text).samples) {
    if (s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** Requests and tokens in the usage store of a key prefix (`<prefix>{usage}:totals`). */
export async function usageTotals(
  redis: Redis,
  prefix: string,
): Promise<{ requests: number; success: number; failure: number }> {
  const h = await redis.hgetall(`${prefix}{usage}:totals`);
  return {
    requests: Number(h.requests ?? 0),
    success: Number(h.success ?? 0),
    failure: Number(h.failure ?? 0),
  };
}

/** One client request's outcome, as a load generator saw it. */
export interface Shot {
  /** HTTP status, or 0 when the connection failed. */
  status: number;
  ms: number;
  /** When the answer was complete (Date.now()). */
  at: number;
  /** Stream answers: the stream ended with its proper terminator. */
  complete: boolean;
  error?: string;
}

/** A chat request (OpenAI format), streamed or not, read to the end. */
export async function shoot(
  baseUrl: string,
  key: string,
  model: string,
  stream: boolean,
  text = 'fault suite',
): Promise<Shot> {
  const t0 = Date.now();
  try {
    const res = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: text }] }),
    });
    const body = await res.text();
    const complete = stream
      ? body.trimEnd().endsWith('data: [DONE]') && !body.includes('"error"')
      : res.status === 200 && body.includes('"choices"');
    return { status: res.status, ms: Date.now() - t0, at: Date.now(), complete };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return {
      status: 0,
      ms: Date.now() - t0,
      at: Date.now(),
      complete: false,
      error: cause?.code ?? (err as Error).message,
    };
  }
}

/** Run `fn` from `workers` loops until `until()` says stop; every result is kept. */
export async function load<T>(
  workers: number,
  until: () => boolean,
  fn: (worker: number, n: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = [];
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let n = 0; !until(); n++) out.push(await fn(w, n));
    }),
  );
  return out;
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Pause. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
