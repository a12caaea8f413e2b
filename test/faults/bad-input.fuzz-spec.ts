// Bad input over every route family (issue 10, "Bad input"): malformed and deeply nested JSON,
// wrong types, huge strings, invalid UTF-8, unknown models, oversized bodies, bad SSE query
// parameters and header injection attempts. Every answer must be a clear 4xx in the route's wire
// format (or a success), never a 500 or a hang, never echo a secret, and the gateway must keep
// answering /status. Inputs come from fast-check with a fixed seed and a bounded number of runs,
// so a failure reproduces.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { createGatewayApp } from '@app/gateway/app.factory';
import { isAmpNamespacePath } from '@app/proxy';
import { RedisService } from '@app/storage';
import { FakeUpstream } from '@test/fakes';
import { tempConfigDir, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';

const SEED = 0x5b0a2d;
const RUNS = 6;
const DEPTH = 10_000;
const BODY_LIMIT_MB = 1;
const ANSWER_TIMEOUT_MS = 8000;

// Distinctive secrets: none of them may appear in an error, a header or a public answer.
const SECRETS = {
  client: 'sk-fuzz-client-Zq81nR5uVw3T',
  management: 'mgmt-fuzz-secret-K7d2Lp9xQe4M',
  openai: 'up-fuzz-openai-H3s8Yb6cNt1R',
  claude: 'sk-ant-fuzz-claude-P4g7Wm2kJv5X',
  gemini: 'AIzaFuzzGemini-R9t3Fq6yUc2Ln8Bx5Kd1Ws7Hp',
  access: 'sk-ant-oat01-fuzz-access-T6n1Qe8rZa3U',
  refresh: 'sk-ant-ort01-fuzz-refresh-B2v9Xc4mLs7G',
} as const;

/** The parts of a secret no masking ever shows (masks keep at most 3 leading, 4 trailing). */
const SECRET_CORES = Object.values(SECRETS).map((s) => s.slice(3, -4));

type Family = 'proxy' | 'amp' | 'management' | 'control' | 'cluster' | 'status' | 'other';
type WireShape = 'openai' | 'claude' | 'gemini' | 'management' | 'error-field' | 'status' | 'any';

interface Route {
  method: string;
  url: string;
}

interface Probe {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** What this probe is (shown in failures). */
  what: string;
  /** Statuses this probe must get, when one is known. */
  expect?: number[];
  /** The answer may legitimately carry a secret (an authenticated manager reading config). */
  mayShowSecrets?: boolean;
  /** Send through Fastify's inject as this peer address instead of over a loopback socket. */
  peer?: string;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  sse: boolean;
}

function familyOf(path: string): Family {
  // Amp's namespace (forwarded to ampcode.com, 503 while unset), as the gateway decides it.
  if (isAmpNamespacePath(path.split('?')[0])) return 'amp';
  if (/^\/(v1|v1beta|api\/provider)(\/|$)/.test(path) || path.startsWith('/v1internal')) {
    return 'proxy';
  }
  if (path.startsWith('/v0/management')) return 'management';
  if (path.startsWith('/api/cliproxy')) return 'control';
  if (path.startsWith('/api/v1/') || path === '/api/v1') return 'cluster';
  if (path === '/status') return 'status';
  return 'other';
}

/** The error shape a path must answer in (by endpoint shape, whatever provider it pins). */
function shapeOf(path: string): WireShape {
  const p = path.split('?')[0].replace(/^\/api\/provider\/[^/]*/, '');
  switch (familyOf(path)) {
    case 'proxy':
      if (/^(\/v1)?\/messages/.test(p)) return 'claude';
      if (p.startsWith('/v1beta') || p.startsWith('/v1internal')) return 'gemini';
      return 'openai';
    case 'management':
      return 'management';
    case 'control':
    case 'cluster':
    case 'amp':
      return 'error-field';
    case 'status':
      return 'status';
    case 'other':
      return 'any';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why an error body does not have the shape `shape` wants (undefined when it does). */
function shapeProblem(shape: WireShape, status: number, body: unknown): string | undefined {
  const e = isObj(body) ? body.error : undefined;
  switch (shape) {
    case 'openai':
      return isObj(e) && typeof e.message === 'string' && typeof e.type === 'string'
        ? undefined
        : 'not an OpenAI error {"error":{"message","type"}}';
    case 'claude':
      return isObj(body) &&
        body.type === 'error' &&
        isObj(e) &&
        typeof e.type === 'string' &&
        typeof e.message === 'string'
        ? undefined
        : 'not a Claude error {"type":"error","error":{"type","message"}}';
    case 'gemini':
      return isObj(e) &&
        e.code === status &&
        typeof e.message === 'string' &&
        typeof e.status === 'string'
        ? undefined
        : 'not a Gemini error {"error":{"code","message","status"}}';
    case 'management':
      // A management 404 for an unknown sub-route answers like any unknown route (plain shape).
      if (typeof e === 'string') return undefined;
      return status === 404 && isObj(e) ? undefined : 'not a management error {"error":"…"}';
    case 'error-field':
      return e !== undefined ? undefined : 'no "error" field';
    case 'status':
      return isObj(e) && typeof e.message === 'string' ? undefined : 'not {"error":{…}}';
    case 'any':
      return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---- inputs -------------------------------------------------------------------------------

const nestedArrays = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
const nestedObjects = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);

const isJson = (s: string) => parseJson(s) !== undefined || s.trim() === 'null';

const malformedJson = fc.oneof(
  fc.string({ maxLength: 120 }).filter((s) => !isJson(s)),
  fc
    .jsonValue({ maxDepth: 3 })
    .map((v) => JSON.stringify(v))
    .filter((s) => s.length > 3)
    .map((s) => s.slice(0, s.length - 1 - (s.length % 3)))
    .filter((s) => !isJson(s)),
  fc.constantFrom(
    '{',
    '{"model":',
    '[1,2',
    '{"a":1}}',
    "{'model':'x'}",
    '\uFEFF{"model":"x"}',
    '{"a":1e999999}',
    '{"a":"\\ud800"}',
    '{"a":"\\u00"}',
    '{"__proto__":{"polluted":"yes"}}',
    '{"constructor":{"prototype":{"polluted":"yes"}}}',
  ),
);

/** Nested 10,000 deep: bare, and where translators and validators walk. */
function deepBodies(model: string): string[] {
  return [
    nestedArrays,
    nestedObjects,
    `{"model":"${model}","messages":${nestedArrays}}`,
    `{"model":"${model}","messages":[{"role":"user","content":${nestedArrays}}]}`,
    `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"t","parameters":${nestedObjects}}}]}`,
    `{"model":"${model}","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"t","input_schema":${nestedObjects}}]}`,
    `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"t","parameters":${nestedObjects}}]}]}`,
    `{"value":${nestedObjects}}`,
    `{"items":${nestedArrays}}`,
  ];
}

/** A valid-looking body per endpoint shape, to break one field at a time. */
function template(shape: WireShape, model: string): Record<string, unknown> {
  switch (shape) {
    case 'claude':
      return {
        model,
        max_tokens: 16,
        system: 'be brief',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ name: 't', input_schema: { type: 'object' } }],
        stream: false,
      };
    case 'gemini':
      return {
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        generationConfig: { maxOutputTokens: 16, thinkingConfig: { thinkingBudget: 0 } },
        tools: [{ functionDeclarations: [{ name: 't', parameters: { type: 'object' } }] }],
        systemInstruction: { parts: [{ text: 'be brief' }] },
      };
    case 'openai':
    case 'management':
    case 'error-field':
    case 'status':
    case 'any':
      return {
        model,
        input: 'hi',
        prompt: 'hi',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 16,
        temperature: 0.5,
        stream: false,
        stream_options: { include_usage: true },
        tools: [{ type: 'function', function: { name: 't', parameters: { type: 'object' } } }],
        reasoning_effort: 'low',
      };
  }
}

/** One field (top level, or inside the first message / tool) replaced by a value of any type. */
function wrongTypes(shape: WireShape, model: string): fc.Arbitrary<string> {
  const tpl = template(shape, model);
  return fc
    .record({
      field: fc.constantFrom(
        ...Object.keys(tpl),
        'messages.0.content',
        'messages.0.role',
        'tools.0',
      ),
      value: fc.jsonValue({ maxDepth: 3 }),
    })
    .map(({ field, value }) => {
      const body = structuredClone(tpl);
      const [head, index, key] = field.split('.');
      const list = body[head];
      if (key !== undefined && Array.isArray(list) && isObj(list[Number(index)])) {
        (list[Number(index)] as Record<string, unknown>)[key] = value;
      } else if (index !== undefined && Array.isArray(list)) {
        list[Number(index)] = value;
      } else {
        body[head] = value;
      }
      return JSON.stringify(body);
    });
}

/** Bytes that are not UTF-8 inside a JSON string. */
const invalidUtf8 = (model: string) =>
  fc
    .uint8Array({ minLength: 1, maxLength: 12 })
    .map((bytes) =>
      Buffer.concat([
        Buffer.from(`{"model":"${model}","max_tokens":8,"messages":[{"role":"user","content":"`),
        Buffer.from([0xff, ...bytes.filter((b) => b !== 0x22 && b !== 0x5c), 0xc3]),
        Buffer.from('"}],"contents":[{"parts":[{"text":"x"}]}]}'),
      ]),
    );

const unknownModels = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '../../etc/passwd',
    'gpt-f(99999999999999999999999)',
    'gpt-f(-1)',
    'gpt-f(high',
    'gemini-f(auto)',
    'claude-f(1e309)',
    '%00',
    '\u0000',
    'x'.repeat(10_000),
    'team-a/',
    '*',
  ),
);

/** Query values that break parsers: numbers out of range, regexes, control characters, huge. */
const badQueryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    '-1',
    '0',
    '1e309',
    'NaN',
    '99999999999999999999',
    '((((',
    '(a+)+$',
    '[\\s\\S]*'.repeat(50),
    '\r\nX-Injected: 1',
    '../../../etc/passwd',
    'x'.repeat(5000),
    '%',
    '\u0000',
  ),
);

const QUERY_NAMES = [
  'name',
  'index',
  'value',
  'old',
  'new',
  'lines',
  'bytes',
  'limit',
  'pattern',
  'regex',
  'process',
  'after',
  'id',
  'min_status',
  'max_status',
  'method',
  'subdomain',
  'model',
  'key',
  'alt',
  'state',
  'code',
  'error',
  'is_webui',
];

const badQuery = fc
  .uniqueArray(fc.constantFrom(...QUERY_NAMES), { minLength: 1, maxLength: 5 })
  .chain((names) => fc.tuple(...names.map((n) => badQueryValue.map((v) => [n, v] as const))))
  .map((pairs) => pairs.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join('&'));

const sample = <T>(arb: fc.Arbitrary<T>, runs = RUNS, salt = 0): T[] =>
  fc.sample(arb, { seed: SEED + salt, numRuns: runs });

/** A URL with every `:param` and `*` filled by `fill`. */
function fillRoute(url: string, fill: string): string {
  return url
    .replace(/:[A-Za-z_]+(?=$|\/|\.|:)/g, encodeURIComponent(fill))
    .replace(/\*/g, encodeURIComponent(fill));
}

// ---- the suite ----------------------------------------------------------------------------

describe('bad input over every route family (fuzz)', () => {
  let fake: FakeUpstream;
  let app: NestFastifyApplication;
  let base: string;
  let cfg: ReturnType<typeof tempConfigDir>;
  let authDir: string;
  let configText: string;
  const routes: Route[] = [];
  const problems: string[] = [];
  let probes = 0;
  const saved = { ...process.env };

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    authDir = mkdtempSync(join(tmpdir(), 'sb-fuzz-auths-'));
    writeFileSync(
      join(authDir, 'claude-fuzz@example.com.json'),
      JSON.stringify({
        type: 'claude',
        email: 'fuzz@example.com',
        access_token: SECRETS.access,
        refresh_token: SECRETS.refresh,
        expired: '2099-01-01T00:00:00Z',
        // Listed and downloadable, but serving no model: fuzz traffic never reaches it.
        excluded_models: ['*'],
      }),
      { mode: 0o600 },
    );
    configText = `
port: 8317
api-keys: ["${SECRETS.client}"]
remote-management:
  secret-key: "${SECRETS.management}"
auth-dir: "${authDir}"
body-limit-mb: ${BODY_LIMIT_MB}
redis:
  key-prefix: "${uniquePrefix('fuzz')}"
upstream-timeouts:
  header-seconds: 3
openai-compatibility:
  - name: fuzzoai
    base-url: "${fake.url}/v1"
    api-key-entries:
      - api-key: "${SECRETS.openai}"
    models:
      - name: gpt-f
claude-api-key:
  - api-key: "${SECRETS.claude}"
    base-url: "${fake.url}"
    models:
      - name: claude-f
gemini-api-key:
  - api-key: "${SECRETS.gemini}"
    base-url: "${fake.url}"
    models:
      - name: gemini-f
`;
    cfg = tempConfigDir(configText);
    process.env.CONFIG_PATH = cfg.path;
    process.env.REDIS_URL = testRedisUrl();
    process.env.SB_PROCESS_NAME = 'gateway-fuzz';
    process.env.DATA_DIR = mkdtempSync(join(tmpdir(), 'sb-fuzz-data-'));
    app = await createGatewayApp({ logger: ['error'], accessLog: false });
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (r) => {
        for (const method of [r.method].flat()) routes.push({ method, url: r.url });
      });
    await app.listen(0, '127.0.0.1');
    expect(await app.get(RedisService).waitReady(5000)).toBe(true);
    const addr = app.getHttpServer().address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    // The secret is now stored bcrypt-hashed; restore from this text after edits.
    configText = readFileSync(cfg.path, 'utf8');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    cfg?.cleanup();
    rmSync(authDir, { recursive: true, force: true });
    if (process.env.DATA_DIR) rmSync(process.env.DATA_DIR, { recursive: true, force: true });
    process.env = saved;
  });

  beforeEach(() => {
    problems.length = 0;
  });

  /** Send one probe over a real socket; an SSE answer is read up to its headers, then closed. */
  async function send(p: Probe): Promise<Answer | undefined> {
    probes++;
    if (p.peer) {
      const res = await app.inject({
        method: p.method as 'GET',
        url: p.path,
        headers: p.headers,
        payload: p.body,
        remoteAddress: p.peer,
      });
      const sse = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
      return {
        status: res.statusCode,
        headers: res.headers as Answer['headers'],
        text: res.body,
        sse,
      };
    }
    try {
      const res = await request(base + p.path, {
        method: p.method as 'GET',
        headers: p.headers,
        body: p.body,
        headersTimeout: ANSWER_TIMEOUT_MS,
        bodyTimeout: ANSWER_TIMEOUT_MS,
        signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS + 1000),
      });
      const type = String(res.headers['content-type'] ?? '');
      const sse = type.startsWith('text/event-stream');
      let text = '';
      if (sse) {
        res.body.destroy();
      } else {
        text = await res.body.text();
      }
      return { status: res.statusCode, headers: res.headers, text, sse };
    } catch (err) {
      problems.push(
        `${p.what}: ${p.method} ${p.path.slice(0, 120)} got no answer (${(err as Error).message})`,
      );
      return undefined;
    }
  }

  /** Send and judge a probe; problems are collected and asserted at the end of each test. */
  async function probe(p: Probe): Promise<Answer | undefined> {
    const a = await send(p);
    if (!a) return undefined;
    const where = `${p.what}: ${p.method} ${p.path.slice(0, 120)} → ${a.status}`;
    const body = parseJson(a.text);
    if (p.expect && !p.expect.includes(a.status)) {
      problems.push(`${where}, expected ${p.expect.join('/')}: ${a.text.slice(0, 200)}`);
    }
    const shape = shapeOf(p.path);
    const noCredentials =
      a.status === 503 && shape !== 'any' && JSON.stringify(body).includes('no_credentials');
    // Routes that call out (no network here) may answer 502/503/504 with a clear message.
    const upstreamFacing =
      familyOf(p.path) === 'amp' || /api-call|latest-version|update-check|-auth-url/.test(p.path);
    // 501 is a deliberate "this feature is not offered here" (Management Center routes we lack).
    const notOffered = a.status === 501 && shape === 'management';
    if (a.status >= 500 && !noCredentials && !notOffered && !(upstreamFacing && a.status !== 500)) {
      problems.push(`${where}: server error ${a.text.slice(0, 200)}`);
    }
    // 431 comes from Node's HTTP parser, before any route (and its format) is known.
    if (a.status >= 400 && a.status !== 431 && !a.sse) {
      const why = shapeProblem(shape, a.status, body);
      if (why) problems.push(`${where}: ${why}: ${a.text.slice(0, 200)}`);
    }
    const shown = `${a.text}\n${JSON.stringify(a.headers)}`;
    const canShow = p.mayShowSecrets === true && a.status < 400;
    for (const core of SECRET_CORES) {
      if (!canShow && shown.includes(core)) problems.push(`${where}: echoes a secret (${core})`);
    }
    if (a.headers['x-injected'] !== undefined || JSON.stringify(a.headers).includes('pwn=1')) {
      problems.push(`${where}: a header was injected`);
    }
    return a;
  }

  async function stillServing(): Promise<void> {
    const res = await request(`${base}/status`, { headersTimeout: 5000 });
    const body = await res.body.text();
    expect({ status: res.statusCode, body: body.slice(0, 200) }).toMatchObject({ status: 200 });
  }

  function report(): void {
    // Show every distinct problem once (the same bug tends to repeat per route).
    const distinct = [...new Set(problems)];
    problems.length = 0;
    expect(distinct.slice(0, 40)).toEqual([]);
  }

  const authFor = (path: string): Record<string, string> => {
    const family = familyOf(path);
    if (family === 'proxy') return { authorization: `Bearer ${SECRETS.client}` };
    if (family === 'management' || family === 'control' || family === 'cluster') {
      return { authorization: `Bearer ${SECRETS.management}` };
    }
    return {};
  };

  const usable = (r: Route) =>
    r.method !== 'HEAD' &&
    r.method !== 'OPTIONS' &&
    // These stop or pause this very process (the cluster and control APIs' own specs cover them).
    !/\/shutdown$|\/proxy-(stop|start)$|\/processes\/:name\/(start|stop|restart)$/.test(r.url);

  const mayShowSecrets = (path: string) =>
    path.startsWith('/v0/management') ||
    /^\/api\/cliproxy\/(config\.yaml|auth-files\/download)/.test(path);

  it('should have registered every route family', () => {
    const families = new Set(routes.filter(usable).map((r) => familyOf(r.url)));
    expect([...families].sort()).toEqual(
      ['amp', 'cluster', 'control', 'management', 'other', 'proxy', 'status'].sort(),
    );
    expect(routes.filter(usable).length).toBeGreaterThan(80);
  });

  it('should answer malformed, deeply nested, mistyped, non-UTF-8 and huge bodies on proxy routes', async () => {
    const posts = routes.filter(
      (r) => usable(r) && r.method === 'POST' && familyOf(r.url) === 'proxy',
    );
    expect(posts.length).toBeGreaterThan(15);
    const models = ['gpt-f', 'claude-f', 'gemini-f'];
    for (const [i, r] of posts.entries()) {
      const model = models[i % models.length];
      const path = fillRoute(r.url, `${model}:generateContent`).replace(
        /\/v1internal%3A[^/]*$|\/v1internal[^/]*$/,
        '/v1internal:generateContent',
      );
      const shape = shapeOf(path);
      const headers = {
        ...authFor(path),
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      };
      const bodies: { what: string; body: string | Buffer; expect?: number[] }[] = [
        ...sample(malformedJson, RUNS, i).map((b) => ({ what: 'malformed JSON', body: b })),
        ...deepBodies(model).map((b) => ({ what: 'nested 10k deep', body: b })),
        ...sample(wrongTypes(shape, model), RUNS, i).map((b) => ({ what: 'wrong types', body: b })),
        ...sample(invalidUtf8(model), 2, i).map((b) => ({ what: 'invalid UTF-8', body: b })),
        ...sample(unknownModels, 3, i).map((m) => ({
          what: 'unknown model',
          body: JSON.stringify({ ...template(shape, m), model: m }),
        })),
        {
          what: 'huge string under the limit',
          body: JSON.stringify({
            ...template(shape, model),
            messages: [{ role: 'user', content: 'x'.repeat(900_000) }],
          }),
        },
        {
          what: 'oversized body',
          body: JSON.stringify({
            model,
            messages: [{ role: 'user', content: 'x'.repeat(1_200_000) }],
          }),
          expect: [413],
        },
      ];
      for (const b of bodies) {
        await probe({
          method: 'POST',
          path,
          headers,
          body: b.body,
          what: b.what,
          expect: b.expect,
        });
      }
    }
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await stillServing();
    report();
  }, 240_000);

  it('should answer bad query strings, path parameters and credentials on every GET route', async () => {
    const gets = routes.filter((r) => usable(r) && r.method === 'GET');
    for (const [i, r] of gets.entries()) {
      const fills = sample(badQueryValue, 3, i);
      const queries = sample(badQuery, 3, i);
      for (const [j, fill] of fills.entries()) {
        const path = `${fillRoute(r.url, fill)}?${queries[j]}`;
        await probe({
          method: 'GET',
          path,
          headers: authFor(path),
          what: 'bad query',
          mayShowSecrets: mayShowSecrets(path),
        });
      }
      // Wrong, huge and odd credentials: a 401/403/404 in the route's shape (or a public answer).
      // Each from its own loopback address: five failures from one address ban it (403), which
      // would shut the tests after this one out of the management API. Streams would stay open.
      if (/\/stream$|\/ws$/.test(r.url)) continue;
      for (const key of ['', 'x'.repeat(4000), `${SECRETS.client}x`, '\u00ff\u00fe', 'Bearer']) {
        const path = fillRoute(r.url, 'x');
        await probe({
          method: 'GET',
          path,
          headers: { authorization: `Bearer ${key}`, 'x-api-key': key, 'x-management-key': key },
          what: 'bad credentials',
          peer: `127.0.${(probes >> 8) & 255}.${probes & 255}`,
          // The control API needs no key from this machine (docs/control-api.md), so it answers.
          mayShowSecrets: familyOf(path) === 'control' && mayShowSecrets(path),
        });
      }
    }
    // Headers over Node's limit: refused by the HTTP parser with a 431, and the process lives on.
    const huge = await probe({
      method: 'GET',
      path: '/v1/models',
      headers: { authorization: `Bearer ${'x'.repeat(20_000)}` },
      what: 'oversized headers',
      expect: [431],
    });
    expect(huge?.status).toBe(431);
    await stillServing();
    report();
  }, 240_000);

  it('should answer malformed and mistyped bodies on management, control and cluster writes', async () => {
    const writes = routes.filter(
      (r) =>
        usable(r) &&
        ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) &&
        ['management', 'control', 'cluster'].includes(familyOf(r.url)),
    );
    expect(writes.length).toBeGreaterThan(40);
    const anyJson = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v));
    const wrapped = fc
      .record({ value: fc.jsonValue({ maxDepth: 2 }), index: fc.jsonValue({ maxDepth: 1 }) })
      .map((v) => JSON.stringify(v));
    try {
      for (const [i, r] of writes.entries()) {
        // Names that would escape the auth dir, if anything let them, point at nothing real.
        const fill = sample(
          fc.constantFrom('../h9-nothing.json', 'x%0d%0aSet-Cookie: pwn=1', 'no-such-thing', '..'),
          1,
          i,
        )[0];
        const path = fillRoute(r.url, fill);
        const headers = { ...authFor(path), 'content-type': 'application/json' };
        const bodies: { what: string; body: string | Buffer; type?: string; expect?: number[] }[] =
          [
            ...sample(malformedJson, 4, i).map((b) => ({ what: 'malformed JSON', body: b })),
            ...deepBodies('gpt-f')
              .slice(0, 2)
              .map((b) => ({ what: 'nested 10k deep', body: b })),
            ...deepBodies('gpt-f')
              .slice(7)
              .map((b) => ({ what: 'nested 10k deep', body: b })),
            ...sample(anyJson, 4, i).map((b) => ({ what: 'wrong types', body: b })),
            ...sample(wrapped, 3, i).map((b) => ({ what: 'wrong types', body: b })),
            {
              what: 'invalid UTF-8',
              body: Buffer.from([0x7b, 0x22, 0x76, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
            },
            {
              what: 'oversized body',
              body: JSON.stringify({ value: 'x'.repeat(1_200_000) }),
              // A `..` parameter can normalise the path onto no route at all: 404 before any body.
              expect: /\/\.\.(\/|$)/.test(path) ? [404, 413] : [413],
            },
          ];
        if (r.url.endsWith('config.yaml')) {
          // YAML that must be refused before anything is written: an alias bomb, tabs, binary.
          const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
            .concat(
              Array.from(
                { length: 9 },
                (_, k) =>
                  `${String.fromCharCode(98 + k)}: &${String.fromCharCode(98 + k)} [*${String.fromCharCode(97 + k)},*${String.fromCharCode(97 + k)},*${String.fromCharCode(97 + k)},*${String.fromCharCode(97 + k)}]`,
              ),
            )
            .join('\n');
          for (const yaml of [
            bomb,
            'port: [1, 2',
            '\tport: 1',
            'port: 8317\n' + 'x: '.repeat(50_000),
            '\u0000\u0001',
          ]) {
            bodies.push({ what: 'bad YAML', body: yaml, type: 'application/yaml' });
          }
        }
        for (const b of bodies) {
          await probe({
            method: r.method,
            path,
            headers: b.type ? { ...headers, 'content-type': b.type } : headers,
            body: r.method === 'DELETE' && b.what !== 'oversized body' ? undefined : b.body,
            what: b.what,
            expect: b.expect,
            mayShowSecrets: mayShowSecrets(path),
          });
        }
      }
      // Multipart uploads with broken parts.
      const boundary = 'fuzzboundary';
      for (const part of [
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="../../x.json"\r\n\r\n{}\r\n--${boundary}--\r\n`,
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a\r\n\r\n{`,
        `--${boundary}\r\n\r\n--${boundary}--`,
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="ok.json"\r\n\r\n${nestedObjects}\r\n--${boundary}--\r\n`,
      ]) {
        await probe({
          method: 'POST',
          path: '/v0/management/auth-files',
          headers: {
            ...authFor('/v0/management/auth-files'),
            'content-type': `multipart/form-data; boundary=${boundary}`,
          },
          body: part,
          what: 'broken multipart upload',
        });
      }
    } finally {
      // Some mistyped bodies are valid edits (a toggle, a list); put the config back.
      writeFileSync(cfg.path, configText);
    }
    await waitFor(
      async () => {
        const res = await request(`${base}/v0/management/api-keys`, {
          headers: authFor('/v0/management/api-keys'),
        });
        const text = await res.body.text();
        return res.statusCode === 200 && text.includes(SECRETS.client);
      },
      { timeoutMs: 10_000, what: 'the config restored' },
    );
    await stillServing();
    report();
  }, 300_000);

  it('should refuse bad SSE query parameters with a 400, or stream and let the client leave', async () => {
    const sse = routes.filter((r) => usable(r) && r.method === 'GET' && /\/stream$/.test(r.url));
    expect(sse.length).toBeGreaterThanOrEqual(2);
    // What each stream validates (docs/cluster.md); anything else it ignores.
    const validated: { route: RegExp; query: string }[] = [
      { route: /\/logs\/stream$/, query: `regex=true&pattern=${encodeURIComponent('((((')}` },
      { route: /\/logs\/stream$/, query: `regex=${encodeURIComponent('((((')}` },
      { route: /\/logs\/stream$/, query: `pattern=${encodeURIComponent('x'.repeat(300))}` },
      {
        route: /\/logs\/stream$/,
        query: `regex=true&pattern=${encodeURIComponent('a'.repeat(300))}`,
      },
      { route: /\/proxy\/requests\/stream$/, query: 'min_status=x' },
      { route: /\/proxy\/requests\/stream$/, query: 'max_status=-1' },
    ];
    const loose = [
      'lines=abc',
      'limit=-5',
      'bytes=1e309',
      `regex=true&pattern=${encodeURIComponent('(a+)+$')}`,
      `process=${encodeURIComponent('\r\nX-Injected: 1')}`,
      ...sample(badQuery, RUNS),
    ];
    for (const r of sse) {
      const cases = [
        ...validated
          .filter((v) => v.route.test(r.url))
          .map((v) => ({ query: v.query, expect: [400] })),
        ...loose.map((query) => ({ query, expect: undefined })),
      ];
      for (const c of cases) {
        const path = `${r.url}?${c.query}`;
        const a = await probe({
          method: 'GET',
          path,
          headers: authFor(path),
          what: 'bad SSE query',
          expect: c.expect,
        });
        if (a && a.status === 200 && !a.sse) {
          problems.push(`bad SSE query: GET ${path.slice(0, 120)} → 200 without an event stream`);
        }
      }
    }
    // Gemini stream parameters.
    for (const alt of sample(badQueryValue, RUNS)) {
      const path = `/v1beta/models/gemini-f:streamGenerateContent?alt=${encodeURIComponent(alt)}`;
      await probe({
        method: 'POST',
        path,
        headers: { ...authFor(path), 'content-type': 'application/json' },
        body: JSON.stringify(template('gemini', 'gemini-f')),
        what: 'bad alt',
      });
    }
    await stillServing();
    report();
  }, 120_000);

  it('should never reflect CR/LF from a client into a response header', async () => {
    const crlf = encodeURIComponent('x\r\nSet-Cookie: pwn=1\r\nX-Injected: 1');
    const attempts: Probe[] = [
      {
        method: 'GET',
        path: `/v0/management/auth-files/download?name=${crlf}.json`,
        what: 'download name',
      },
      {
        method: 'GET',
        path: `/api/cliproxy/auth-files/download?name=${crlf}.json`,
        what: 'download name',
      },
      {
        method: 'GET',
        path: `/v0/management/request-error-logs/error-${crlf}.log`,
        what: 'log name',
      },
      { method: 'GET', path: `/api/cliproxy/error-logs/error-${crlf}.log`, what: 'log name' },
      { method: 'GET', path: `/v0/management/request-log-by-id/${crlf}`, what: 'request id' },
      {
        method: 'GET',
        path: `/anthropic/callback?state=${crlf}&code=${crlf}&error=${crlf}`,
        what: 'OAuth callback',
      },
      {
        method: 'GET',
        path: `/v1beta/models/gemini-f:streamGenerateContent?alt=${crlf}`,
        what: 'gemini alt',
      },
      { method: 'GET', path: `/status?key=${crlf}`, what: 'status key' },
      {
        method: 'GET',
        path: '/v1/models',
        headers: { 'x-request-id': 'abc%0d%0aSet-Cookie:%20pwn=1' },
        what: 'request id header',
      },
      {
        method: 'GET',
        path: `/anthropic/callback?error=${encodeURIComponent('<script>alert(1)</script>')}`,
        what: 'OAuth callback markup',
      },
    ];
    for (const p of attempts) {
      const a = await probe({ ...p, headers: { ...authFor(p.path), ...p.headers } });
      if (a) {
        expect(a.headers['set-cookie']).toBeUndefined();
        expect(a.text).not.toContain('<script>alert(1)</script>');
        const rid = String(a.headers['x-request-id'] ?? '');
        expect(rid).not.toMatch(/[\r\n%]|cookie/i);
      }
    }
    // Raw CR/LF inside a header line never reaches a handler: Node's parser answers 400 itself.
    for (const line of [
      'X-Request-Id: a\rSet-Cookie: pwn=1',
      'Authorization: Bearer a\rb',
      `X-Api-Key: ${'\u0000'}`,
    ]) {
      const raw = await rawRequest(
        `GET /status HTTP/1.1\r\nHost: x\r\n${line}\r\nConnection: close\r\n\r\n`,
      );
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw).not.toContain('pwn=1');
    }
    await stillServing();
    report();
  });

  it('should keep refusing remote peers and never echo what they sent', async () => {
    // Over inject, so the peer can be any address (the socket tests above are all loopback).
    const targets = routes.filter(
      (r) => usable(r) && r.method === 'GET' && !/\/stream$|\/ws$/.test(r.url),
    );
    for (const [i, r] of targets.entries()) {
      const path = fillRoute(r.url, 'x');
      const key = sample(fc.constantFrom(SECRETS.management, SECRETS.client, 'wrong'), 1, i)[0];
      const a = await probe({
        method: 'GET',
        path,
        peer: '203.0.113.50',
        headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': '127.0.0.1' },
        what: 'remote peer',
      });
      if (!a) continue;
      const where = `remote: GET ${path} → ${a.status}`;
      const family = familyOf(path);
      // Management and control APIs stay closed to remote peers without allow-remote; the
      // cluster API lets in the management key only. A forwarded header proves nothing.
      if (['management', 'control'].includes(family) && a.status < 400) {
        problems.push(`${where}: a remote peer got in`);
      }
      if (family === 'cluster' && key !== SECRETS.management && a.status < 400) {
        problems.push(`${where}: a remote peer got in without the token`);
      }
    }
    await stillServing();
    report();
  }, 120_000);

  it('should have sent a bounded number of probes and still answer /status and /metrics', async () => {
    expect(probes).toBeGreaterThan(1500);
    expect(probes).toBeLessThan(20_000);
    await stillServing();
    const metrics = await request(`${base}/metrics`);
    expect(metrics.statusCode).toBe(200);
    const text = await metrics.body.text();
    for (const core of SECRET_CORES) expect(text).not.toContain(core);
  });

  /** One raw HTTP exchange (for bytes no HTTP client will send). */
  function rawRequest(text: string): Promise<string> {
    const { port } = new URL(base);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let out = '';
      socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')));
      socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolve(out));
      socket.write(text);
    });
  }
});
