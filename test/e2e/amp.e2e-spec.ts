import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ConfigService } from '@app/config';
import { FakeUpstream } from '@test/fakes';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';
import { postJson, sseEvents } from './proxy-e2e.helpers';

const CLIENT_KEY = 'sk-amp-client';
const TEAM_CLIENT_KEY = 'sk-amp-team';
const AMP_KEY = 'amp-default-key';
const TEAM_AMP_KEY = 'amp-team-key';

/** One request as the fake Amp upstream saw it. */
interface AmpRecord {
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A fake Amp upstream: records method, path, query, raw body and headers of every request and
 * answers by path. `/api/threads/stream` sends one SSE event and holds the stream open until
 * `release()`; `/api/meta/gz` answers gzip with Content-Encoding, `/api/meta/silent-gz` gzip
 * without it.
 */
class FakeAmp {
  readonly records: AmpRecord[] = [];
  url = '';
  private releaseStream: (() => void) | undefined;
  private readonly server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const [path, query = ''] = (req.url ?? '/').split('?');
      this.records.push({
        method: req.method ?? '',
        path,
        query,
        headers: req.headers,
        body: Buffer.concat(parts),
      });
      this.answer(path, res);
    });
  });

  static async start(): Promise<FakeAmp> {
    const fake = new FakeAmp();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  private answer(path: string, res: import('node:http').ServerResponse): void {
    if (path === '/api/threads/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
      this.releaseStream = () => res.end('data: {"n":2}\n\n');
      return;
    }
    if (path === '/api/meta/gz') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync('{"compressed":true}'));
      return;
    }
    if (path === '/api/meta/silent-gz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(gzipSync('{"silent":true}'));
      return;
    }
    if (path.startsWith('/api/provider/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"from":"amp"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    res.end(JSON.stringify({ ok: true, path }));
  }

  /** Let the held SSE stream finish. */
  release(): void {
    this.releaseStream?.();
  }

  last(): AmpRecord {
    const r = this.records[this.records.length - 1];
    if (!r) throw new Error('the fake Amp upstream saw no request');
    return r;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A raw HTTP exchange (no automatic decompression, unlike fetch). */
function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('Amp integration', () => {
  let amp: FakeAmp;
  let fake: FakeUpstream;
  let gw: TestGateway;
  const AUTH = { authorization: `Bearer ${CLIENT_KEY}` };

  const yaml = (extra = '') => `
api-keys: ["${CLIENT_KEY}", "${TEAM_CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('amp')}"
trusted-proxies: ["127.0.0.1"]
gemini-api-key:
  - api-key: "local-gemini-key"
    base-url: "${fake.url}"
    models:
      - name: gemini-local
claude-api-key:
  - api-key: "local-claude-key"
    base-url: "${fake.url}"
    models:
      - name: claude-local
ampcode:
  upstream-url: "${amp.url}"
  upstream-api-key: "${AMP_KEY}"
  upstream-api-keys:
    - upstream-api-key: "${TEAM_AMP_KEY}"
      api-keys: ["${TEAM_CLIENT_KEY}"]
  model-mappings:
    - from: amp-alias
      to: claude-local
    - from: "^regex-.*"
      to: claude-local
      regex: true
${extra}`;

  beforeAll(async () => {
    amp = await FakeAmp.start();
    fake = await FakeUpstream.start();
    gw = await startGateway(yaml(), 'gateway-amp');
  });

  afterAll(async () => {
    await gw?.close();
    await amp?.close();
    await fake?.close();
  });

  beforeEach(() => {
    amp.records.length = 0;
    fake.clearRequests();
  });

  it('should forward method, path, query and body exactly, with the Amp key instead of the client key', async () => {
    const body = Buffer.from('{"b":  1, "keep":"as sent"}');
    const res = await rawRequest(
      `${gw.url}/api/internal/thing/x?alpha=1&key=${CLIENT_KEY}&beta=2`,
      {
        method: 'PUT',
        headers: { ...AUTH, 'x-api-key': CLIENT_KEY, 'content-type': 'application/json' },
        body,
      },
    );
    expect(res.status).toBe(200);
    const r = amp.last();
    expect(r.method).toBe('PUT');
    expect(r.path).toBe('/api/internal/thing/x');
    expect(r.query).toBe('alpha=1&beta=2');
    expect(r.body.equals(body)).toBe(true);
    expect(r.headers.authorization).toBe(`Bearer ${AMP_KEY}`);
    expect(r.headers['x-api-key']).toBe(AMP_KEY);
    expect(JSON.stringify(r.headers)).not.toContain(CLIENT_KEY);
  });

  it("should use the client's own Amp key from upstream-api-keys", async () => {
    await rawRequest(`${gw.url}/api/user`, {
      headers: { authorization: `Bearer ${TEAM_CLIENT_KEY}` },
    });
    expect(amp.last().headers.authorization).toBe(`Bearer ${TEAM_AMP_KEY}`);
  });

  it('should need a client key on /api routes but not on the browser pages', async () => {
    expect((await rawRequest(`${gw.url}/api/user`, {})).status).toBe(401);
    expect(amp.records).toHaveLength(0);
    const page = await rawRequest(`${gw.url}/threads/T-123?x=1`, {});
    expect(page.status).toBe(200);
    expect(amp.last().path).toBe('/threads/T-123');
    expect((await rawRequest(`${gw.url}/news.rss`, {})).status).toBe(401);
  });

  it('should refuse CORS preflights and strip CORS grants from answers', async () => {
    expect(
      (await rawRequest(`${gw.url}/api/user`, { method: 'OPTIONS', headers: AUTH })).status,
    ).toBe(403);
    const res = await rawRequest(`${gw.url}/api/user`, { headers: AUTH });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('should stream SSE through unbuffered: the first event arrives before the upstream finishes', async () => {
    const res = await fetch(`${gw.url}/api/threads/stream`, { headers: AUTH });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: {"n":1}\n\n');
    amp.release();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe('data: {"n":2}\n\n');
  });

  it('should pass gzip bodies through untouched both ways', async () => {
    const gz = gzipSync('{"zipped":"request"}');
    const res = await rawRequest(`${gw.url}/api/meta/gz`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gz,
    });
    expect(amp.last().body.equals(gz)).toBe(true);
    expect(amp.last().headers['content-encoding']).toBe('gzip');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.body.equals(gzipSync('{"compressed":true}'))).toBe(true);
  });

  it('should decode an answer that is gzip without saying so', async () => {
    const res = await rawRequest(`${gw.url}/api/meta/silent-gz`, { headers: AUTH });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(res.body.toString())).toEqual({ silent: true });
  });

  it('should serve a locally served model locally and never reach Amp', async () => {
    const res = await postJson(
      `${gw.url}/api/provider/anthropic/v1/messages`,
      { model: 'claude-local', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] },
      { ...AUTH, 'anthropic-version': '2023-06-01' },
    );
    expect(res.status).toBe(200);
    expect((res.json as { model: string }).model).toBe('claude-local');
    expect(fake.requests()).toHaveLength(1);
    expect(amp.records).toHaveLength(0);
  });

  it('should serve a mapped model locally and answer with the requested name', async () => {
    const res = await postJson(
      `${gw.url}/api/provider/openai/v1/chat/completions`,
      { model: 'amp-alias', messages: [{ role: 'user', content: 'mapped' }] },
      AUTH,
    );
    expect(res.status).toBe(200);
    expect((res.json as { model: string }).model).toBe('amp-alias');
    expect(fake.lastRequest()?.model).toBe('claude-local');
    const viaRegex = await postJson(
      `${gw.url}/api/provider/openai/v1/chat/completions`,
      { model: 'regex-anything', messages: [{ role: 'user', content: 'mapped' }] },
      AUTH,
    );
    expect(viaRegex.status).toBe(200);
    expect(amp.records).toHaveLength(0);
  });

  it('should forward an unmapped unknown model to Amp as it came', async () => {
    const body = {
      model: 'amp-only-model',
      messages: [{ role: 'user', content: 'x' }],
      stream: false,
    };
    const res = await postJson(
      `${gw.url}/api/provider/openai/v1/chat/completions?trace=7`,
      body,
      AUTH,
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ from: 'amp' });
    const r = amp.last();
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/api/provider/openai/v1/chat/completions');
    expect(r.query).toBe('trace=7');
    expect(JSON.parse(r.body.toString())).toEqual(body);
    expect(r.headers.authorization).toBe(`Bearer ${AMP_KEY}`);
    expect(fake.requests()).toHaveLength(0);
  });

  it("should forward Amp's Gemini v1beta1 model calls byte for byte when nothing serves them", async () => {
    const body = Buffer.from('{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}');
    const res = await rawRequest(
      `${gw.url}/api/provider/google/v1beta1/publishers/google/models/gemini-amp-only:generateContent`,
      { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body },
    );
    expect(res.status).toBe(200);
    expect(amp.last().path).toBe(
      '/api/provider/google/v1beta1/publishers/google/models/gemini-amp-only:generateContent',
    );
    expect(amp.last().body.equals(body)).toBe(true);
  });

  it("should serve Amp's Gemini v1beta1 calls for a local model locally, streamed", async () => {
    const res = await fetch(
      `${gw.url}/api/provider/google/v1beta1/publishers/google/models/gemini-local:streamGenerateContent?alt=sse`,
      {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'v1beta1' }] }] }),
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = sseEvents(await res.text())
      .map(
        (e) =>
          (JSON.parse(e.data) as { candidates: { content: { parts: { text: string }[] } }[] })
            .candidates[0].content.parts[0].text,
      )
      .join('');
    expect(text).toBe('echo: v1beta1');
    expect(fake.lastRequest()?.model).toBe('gemini-local');
    expect(amp.records).toHaveLength(0);
  });

  it('should apply config changes at once: localhost restriction and turning Amp off', async () => {
    const config = gw.app.get(ConfigService);
    await config.writeText(
      yaml().replace('ampcode:\n', 'ampcode:\n  restrict-management-to-localhost: true\n'),
    );
    await waitFor(() => config.current.ampcode['restrict-management-to-localhost']);
    // From a trusted proxy on behalf of a remote client: refused.
    const remote = await rawRequest(`${gw.url}/api/user`, {
      headers: { ...AUTH, 'x-forwarded-for': '203.0.113.9' },
    });
    expect(remote.status).toBe(403);
    expect(JSON.parse(remote.body.toString())).toEqual({
      error: 'Access denied: management routes restricted to localhost',
    });
    // A local client through that proxy is local; without X-Forwarded-For it could be anyone.
    const local = { ...AUTH, 'x-forwarded-for': '127.0.0.1' };
    expect((await rawRequest(`${gw.url}/api/user`, { headers: local })).status).toBe(200);
    expect((await rawRequest(`${gw.url}/api/user`, { headers: AUTH })).status).toBe(403);

    await config.writeText(yaml().replace(`upstream-url: "${amp.url}"`, 'upstream-url: ""'));
    await waitFor(() => config.current.ampcode['upstream-url'] === '');
    expect((await rawRequest(`${gw.url}/api/user`, { headers: AUTH })).status).toBe(503);
    await config.writeText(yaml());
    await waitFor(() => config.current.ampcode['upstream-url'] !== '');
  });
});
