import { request as httpRequest } from 'node:http';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';

const CLIENT_KEY = 'sk-errlog-client-0123456789abcdef';
const WRONG_KEY = 'sk-errlog-wrong-9876543210fedcba';
const UPSTREAM_KEY = 'sk-errlog-upstream-5555aaaa6666bbbb';
const ADMIN = 'errlog-admin-key';
const MAX_FILES = 4;

const SECTIONS = [
  '=== REQUEST INFO ===',
  '=== HEADERS ===',
  '=== REQUEST BODY ===',
  '=== API REQUEST ===',
  '=== API ERROR RESPONSE ===',
  '=== RESPONSE ===',
];

function config(fakeUrl: string, requestLog: boolean): string {
  return `# error and request logs e2e
api-keys: ["${CLIENT_KEY}"]
remote-management:
  secret-key: "${ADMIN}"
redis:
  key-prefix: "${uniquePrefix(requestLog ? 'reqlog' : 'errlog')}"
request-log: ${requestLog}
error-logs-max-files: ${MAX_FILES}
disable-cooling: true
body-limit-mb: 1
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "${UPSTREAM_KEY}"
    models:
      - name: gpt-fake
`;
}

interface ErrorLogFile {
  name: string;
  size: number;
  modified: number;
}

const admin = { authorization: `Bearer ${ADMIN}` };

function chat(
  gw: TestGateway,
  body: unknown,
  headers: Record<string, string> = {},
  query = '',
): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions${query}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${CLIENT_KEY}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const ask = (text: string, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-fake',
  messages: [{ role: 'user', content: text }],
  ...extra,
});

async function errorLogs(gw: TestGateway): Promise<ErrorLogFile[]> {
  const res = await fetch(`${gw.url}/v0/management/request-error-logs`, { headers: admin });
  expect(res.status).toBe(200);
  return ((await res.json()) as { files: ErrorLogFile[] }).files;
}

/** The error log of one request, once it was written. */
async function errorLogOf(gw: TestGateway, requestId: string): Promise<string> {
  const file = await waitFor(
    async () => (await errorLogs(gw)).find((f) => f.name.endsWith(`-${requestId}.log`)),
    { what: `the error log of ${requestId}` },
  );
  const res = await fetch(`${gw.url}/v0/management/request-error-logs/${file.name}`, {
    headers: admin,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${file.name}"`);
  const text = await res.text();
  expect(file.size).toBe(Buffer.byteLength(text));
  return text;
}

function expectSectionsInOrder(text: string, sections: string[]): void {
  const at = sections.map((s) => text.indexOf(s));
  expect(at.every((i) => i >= 0)).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
}

function expectNoSecrets(text: string): void {
  for (const secret of [CLIENT_KEY, WRONG_KEY, UPSTREAM_KEY, ADMIN]) {
    expect(text).not.toContain(secret);
  }
}

/** A GET with the path sent exactly as written (fetch would normalise `..` and `%2e`). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: 'GET', headers: admin },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('error logs and request logs (issue 5)', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let full: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(config(fake.url, false), 'gateway-errlog');
    full = await startGateway(config(fake.url, true), 'gateway-reqlog');
  });

  afterAll(async () => {
    await gw?.close();
    await full?.close();
    await fake?.close();
  });

  beforeEach(() => {
    fake.reset();
    fake.clearRequests();
  });

  describe('with request-log off', () => {
    it('should keep an upstream 500 with all sections, the upstream call and secrets masked', async () => {
      fake.fail({
        status: 500,
        body: { error: { message: 'the upstream exploded', type: 'server_error' } },
        times: 5,
      });
      const res = await chat(gw, ask('tell me about error logs'), { 'x-request-id': 'el-500' });
      expect(res.status).toBe(500);

      const text = await errorLogOf(gw, 'el-500');
      expectSectionsInOrder(text, SECTIONS);
      expect(text).toContain('URL: /v1/chat/completions\nMethod: POST\n');
      expect(text).toContain('Request ID: el-500');
      expect(text).toContain('tell me about error logs');
      expect(text).toContain(`URL: ${fake.url}/v1/chat/completions`);
      expect(text).toMatch(/=== API ERROR RESPONSE ===\nHTTP Status: 500\n.*the upstream exploded/);
      expect(text).toMatch(/=== RESPONSE ===\nStatus: 500\n/);
      // the client got the upstream's message in its own format
      expect(text.slice(text.indexOf('=== RESPONSE ==='))).toContain('the upstream exploded');
      // both keys appear only masked
      expect(text).toMatch(/authorization: Bearer sk-…cdef/);
      expect(text).toMatch(/authorization: Bearer sk-…bbbb/);
      expectNoSecrets(text);
    });

    it('should keep a refused client key (401) without the key and without upstream sections', async () => {
      const res = await chat(gw, ask('who am i'), {
        authorization: `Bearer ${WRONG_KEY}`,
        'x-request-id': 'el-401',
      });
      expect(res.status).toBe(401);
      const text = await errorLogOf(gw, 'el-401');
      expect(text).toMatch(/=== RESPONSE ===\nStatus: 401\n/);
      // The key is checked before the body is read: a refused request's body is never kept.
      expect(text).toContain('=== REQUEST BODY ===');
      expect(text).not.toContain('who am i');
      expect(text).not.toContain('=== API REQUEST ===');
      expectNoSecrets(text);
      expect(fake.requests()).toHaveLength(0);
    });

    it('should keep an unknown model (400), a body over the limit (413) and a key in the URL masked', async () => {
      const unknown = await chat(
        gw,
        ask('anyone there', { model: 'no-such-model' }),
        { 'x-request-id': 'el-400' },
        `?key=${CLIENT_KEY}`,
      );
      expect(unknown.status).toBe(400);
      const text = await errorLogOf(gw, 'el-400');
      expect(text).toMatch(/=== RESPONSE ===\nStatus: 400\n/);
      expect(text).toContain('no-such-model');
      expect(text).toMatch(/URL: \/v1\/chat\/completions\?key=sk-…cdef/);
      expectNoSecrets(text);

      const big = await chat(gw, ask('x'.repeat(1.5 * 1024 * 1024)), { 'x-request-id': 'el-413' });
      expect(big.status).toBe(413);
      const tooLarge = await errorLogOf(gw, 'el-413');
      expect(tooLarge).toMatch(/=== RESPONSE ===\nStatus: 413\n/);
      expectNoSecrets(tooLarge);
    });

    it('should keep no log for a request that succeeded', async () => {
      const ok = await chat(gw, ask('all good'), { 'x-request-id': 'el-ok' });
      expect(ok.status).toBe(200);
      // Logs are written in order: once a later failure is listed, the success would be too.
      await chat(gw, ask('then fail', { model: 'no-such-model' }), { 'x-request-id': 'el-after' });
      await errorLogOf(gw, 'el-after');
      expect((await errorLogs(gw)).some((f) => f.name.endsWith('-el-ok.log'))).toBe(false);
    });

    it('should keep at most error-logs-max-files, newest first, and forget the evicted', async () => {
      const ids = Array.from({ length: MAX_FILES + 2 }, (_, i) => `el-cap-${i}`);
      const fail = async (id: string) => {
        const res = await chat(gw, ask('cap', { model: 'no-such-model' }), { 'x-request-id': id });
        expect(res.status).toBe(400);
      };
      await fail(ids[0]);
      await errorLogOf(gw, ids[0]);
      const first = (await errorLogs(gw)).find((f) => f.name.endsWith(`-${ids[0]}.log`))!;
      for (const id of ids.slice(1)) await fail(id);
      await errorLogOf(gw, ids[ids.length - 1]);

      const files = await errorLogs(gw);
      expect(files.map((f) => f.name.replace(/^.*-(el-cap-\d)\.log$/, '$1'))).toEqual(
        [...ids].reverse().slice(0, MAX_FILES),
      );
      for (const f of files) {
        expect(f.name).toMatch(
          /^error-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z-el-cap-\d\.log$/,
        );
        expect(f.size).toBeGreaterThan(0);
        expect(Math.abs(f.modified - Date.now() / 1000)).toBeLessThan(60);
      }
      const res = await fetch(`${gw.url}/v0/management/request-error-logs/${first.name}`, {
        headers: admin,
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'log file not found' });
    });

    it('should answer only 400 or 404 to path tricks, never a file', async () => {
      const names = [
        '../config.yaml',
        '..%2Fconfig.yaml',
        '%2e%2e%2fconfig.yaml',
        '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
        '..%5C..%5Cconfig.yaml',
        '..\\..\\config.yaml',
        '%2Fetc%2Fpasswd',
        '/etc/passwd',
        '//etc/passwd',
        'error-x.log%00.txt',
        'error-%00.log',
        'error-..%2F..%2Fx.log',
        'error-..%5Cx.log',
        'error-....log',
        '%2e%2e',
        '.',
        '..',
        'error-.log',
        'main.log',
        `error-${'a'.repeat(300)}.log`,
        'x'.repeat(4000),
      ];
      for (const name of names) {
        for (const base of ['request-error-logs', 'request-log-by-id']) {
          const res = await rawGet(gw.port, `/v0/management/${base}/${name}`);
          if (res.status !== 400 && res.status !== 404) {
            throw new Error(`${base}/${name} answered ${res.status}`);
          }
          expect(res.body).not.toContain('=== REQUEST INFO ===');
          expect(res.body).not.toContain('root:');
          expect(res.body).not.toContain('api-keys');
        }
      }
      // the invalid-name answers are the management API's, not a generic 404
      const bad = await rawGet(gw.port, '/v0/management/request-error-logs/..%2Fconfig.yaml');
      expect(bad).toEqual({
        status: 400,
        body: JSON.stringify({ error: 'invalid log file name' }),
      });
      const nul = await rawGet(gw.port, '/v0/management/request-log-by-id/abc%00def');
      expect(nul.status).toBe(400);
    });

    it('should want the management key', async () => {
      const res = await fetch(`${gw.url}/v0/management/request-error-logs`);
      expect(res.status).toBe(401);
    });
  });

  describe('with request-log on', () => {
    async function requestLogOf(id: string): Promise<{ text: string; res: Response }> {
      return waitFor(
        async () => {
          const res = await fetch(`${full.url}/v0/management/request-log-by-id/${id}`, {
            headers: admin,
          });
          return res.status === 200 ? { res, text: await res.text() } : undefined;
        },
        { what: `the request log of ${id}` },
      );
    }

    it('should serve a non-stream request by the x-request-id it was answered with', async () => {
      const res = await chat(full, ask('log me whole'));
      expect(res.status).toBe(200);
      const answer = await res.text();
      const id = res.headers.get('x-request-id')!;
      expect(id).toBeTruthy();

      const { text, res: download } = await requestLogOf(id);
      expect(download.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(download.headers.get('content-disposition')).toMatch(
        new RegExp(`^attachment; filename="request-.*-${id}\\.log"$`),
      );
      expectSectionsInOrder(text, [
        '=== REQUEST INFO ===',
        '=== HEADERS ===',
        '=== REQUEST BODY ===',
        '=== API REQUEST ===',
        '=== API RESPONSE ===',
        '=== RESPONSE ===',
      ]);
      expect(text).not.toContain('=== API ERROR RESPONSE ===');
      expect(text).toContain('log me whole');
      expect(text).toContain(`URL: ${fake.url}/v1/chat/completions`);
      expect(text.slice(text.indexOf('=== API RESPONSE ==='))).toContain('echo: log me whole');
      expect(text).toMatch(/=== RESPONSE ===\nStatus: 200\n/);
      expect(text.slice(text.indexOf('=== RESPONSE ==='))).toContain(answer.trim());
      expectNoSecrets(text);
    });

    it('should serve a streamed request with the stream as the client got it', async () => {
      const res = await chat(full, ask('stream me', { stream: true }), {
        'x-request-id': 'rl-stream',
      });
      expect(res.status).toBe(200);
      const streamed = await res.text();
      expect(res.headers.get('x-request-id')).toBe('rl-stream');
      expect(streamed).toContain('data: [DONE]');

      const { text } = await requestLogOf('rl-stream');
      expect(text).toMatch(/=== RESPONSE ===\nStatus: 200\n/);
      const response = text.slice(text.indexOf('=== RESPONSE ==='));
      expect(response).toContain('chat.completion.chunk');
      expect(response).toContain('data: [DONE]');
      expect(text).toContain('"stream":true');
      expectNoSecrets(text);
    });

    it('should log failures in the request log and list no error logs, as CLIProxyAPI does', async () => {
      fake.fail({ status: 502, body: { error: { message: 'bad gateway upstream' } }, times: 5 });
      const res = await chat(full, ask('fail loudly'), { 'x-request-id': 'rl-fail' });
      expect(res.status).toBe(502);
      const { text } = await requestLogOf('rl-fail');
      expect(text).toMatch(/=== API ERROR RESPONSE ===\nHTTP Status: 502\n.*bad gateway upstream/);
      const list = await fetch(`${full.url}/v0/management/request-error-logs`, { headers: admin });
      expect(await list.json()).toEqual({ files: [] });
    });

    it('should answer 404 for an unknown id and 400 for a malformed one', async () => {
      const unknown = await fetch(`${full.url}/v0/management/request-log-by-id/no-such-request`, {
        headers: admin,
      });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({
        error: 'log file not found for the given request ID',
      });
      const malformed = await fetch(`${full.url}/v0/management/request-log-by-id/a%20b%3Bc`, {
        headers: admin,
      });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toEqual({ error: 'invalid request ID' });
    });
  });
});
