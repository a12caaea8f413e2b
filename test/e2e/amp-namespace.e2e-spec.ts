import { Logger } from '@nestjs/common';
import { WebSocket } from 'ws';
import { ConfigService } from '@app/config';
import { AmpWebSocketProxy } from '@app/gateway/amp/amp-websocket.proxy';
import { FakeUpstream } from '@test/fakes';
import {
  FAKE_AMP_ACTOR_REFUSAL,
  FAKE_AMP_THREAD_ID,
  FakeAmpServer,
} from '@test/fakes/amp/fake-amp-server';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { freePort, uniquePrefix, waitFor } from '@test/utils/env';
import { postJson } from './proxy-e2e.helpers';

const CLIENT_KEY = 'sk-amp-ns-client';
const AMP_KEY = 'amp-ns-upstream-key';
const AUTH = { authorization: `Bearer ${CLIENT_KEY}` };

/** A WebSocket that opened, or the HTTP status it was refused with. */
function openSocket(
  url: string,
  opts: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<{ ws: WebSocket; protocol: string } | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers });
    ws.once('open', () => resolve({ ws, protocol: ws.protocol }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
}

describe("Amp: the whole namespace is forwarded (HTTP and WebSocket), the gateway's own routes stay", () => {
  let amp: FakeAmpServer;
  let fake: FakeUpstream;
  let gw: TestGateway;
  let wsUrl: string;

  const yaml = (ampSection: string) => `
api-keys: ["${CLIENT_KEY}"]
redis:
  key-prefix: "${uniquePrefix('ampns')}"
trusted-proxies: ["127.0.0.1"]
claude-api-key:
  - api-key: "local-claude-key"
    base-url: "${fake.url}"
    models:
      - name: claude-local
${ampSection}`;
  const withAmp = (extra = '') => `ampcode:
  upstream-url: "${amp.url}"
  upstream-api-key: "${AMP_KEY}"
${extra}`;

  beforeAll(async () => {
    amp = await FakeAmpServer.start();
    fake = await FakeUpstream.start();
    gw = await startGateway(yaml(withAmp()), 'gateway-amp-ns');
    wsUrl = gw.url.replace('http://', 'ws://');
  });

  afterAll(async () => {
    await gw?.close();
    await amp?.close();
    await fake?.close();
  });

  beforeEach(() => {
    amp.clear();
    fake.clearRequests();
  });

  async function reconfigure(text: string, ready: (c: ConfigService) => boolean): Promise<void> {
    const config = gw.app.get(ConfigService);
    await config.writeText(text);
    await waitFor(() => ready(config), { what: 'the new config' });
  }

  it('should forward an Amp route no allow-list names (POST /api/thread-actors) with the Amp key', async () => {
    const res = await postJson(
      `${gw.url}/api/thread-actors`,
      { executorType: 'local-client' },
      AUTH,
    );
    expect(res.status).toBe(200);
    expect((res.json as { threadId: string }).threadId).toBe(FAKE_AMP_THREAD_ID);
    expect(amp.routes()).toEqual(['POST /api/thread-actors']);
    expect(amp.http[0].headers.authorization).toBe(`Bearer ${AMP_KEY}`);
    expect(JSON.parse(amp.http[0].body.toString())).toEqual({ executorType: 'local-client' });
  });

  it('should forward any other method and depth under /api/, and unknown /api/provider paths', async () => {
    for (const [method, path] of [
      ['GET', '/api/threads/find?q=x'],
      ['DELETE', '/api/some/new/tree/1'],
      ['POST', '/api/provider/openai/v1/embeddings'],
    ]) {
      const res = await fetch(`${gw.url}${path}`, {
        method,
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: method === 'POST' ? '{"input":"x"}' : undefined,
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { path: string }).path).toBe(path.split('?')[0]);
    }
    expect(amp.routes()).toEqual([
      'GET /api/threads/find?q=x',
      'DELETE /api/some/new/tree/1',
      'POST /api/provider/openai/v1/embeddings',
    ]);
  });

  it('should keep CORS off the whole Amp namespace, new routes included', async () => {
    const origin = { origin: 'https://elsewhere.example' };
    const preflight = await fetch(`${gw.url}/api/thread-actors`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await fetch(`${gw.url}/api/some/new/tree`, { headers: { ...AUTH, ...origin } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    // The gateway's own routes under /api keep their grant.
    const models = await fetch(`${gw.url}/api/provider/anthropic/v1/models`, {
      headers: { ...AUTH, ...origin },
    });
    expect(models.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('should still serve a known model route locally (interception unchanged)', async () => {
    const res = await postJson(
      `${gw.url}/api/provider/anthropic/v1/messages`,
      { model: 'claude-local', max_tokens: 20, messages: [{ role: 'user', content: 'local' }] },
      { ...AUTH, 'anthropic-version': '2023-06-01' },
    );
    expect(res.status).toBe(200);
    expect(fake.lastRequest()?.apiKey).toBe('local-claude-key');
    expect(amp.http).toHaveLength(0);
  });

  it("should keep the gateway's own /api/v1 and /api/cliproxy trees: served there, unknown paths 404, never forwarded", async () => {
    // 127.0.0.1 is a trusted proxy here: a local client through it names itself.
    const status = await fetch(`${gw.url}/api/v1/status`, {
      headers: { 'x-forwarded-for': '127.0.0.1' },
    });
    expect(status.status).toBe(200);
    expect(((await status.json()) as { api_version: string }).api_version).toBe('v1');
    for (const path of ['/api/v1/no-such-thing', '/api/cliproxy/no-such-thing', '/api/v1']) {
      const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: AUTH });
      expect(res.status).toBe(404);
    }
    expect(amp.http).toHaveLength(0);
  });

  it('should need a client key under /api/ and never pass it on', async () => {
    expect((await fetch(`${gw.url}/api/thread-actors`, { method: 'POST' })).status).toBe(401);
    const wrong = await fetch(`${gw.url}/api/anything`, {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(wrong.status).toBe(401);
    expect(amp.http).toHaveLength(0);
  });

  it('should forward the page routes the CLI opens, without a key', async () => {
    for (const path of ['/pricing', '/projects/p-1', '/settings/usage', '/pay']) {
      expect((await fetch(`${gw.url}${path}`)).status).toBe(200);
    }
    expect(amp.routes()).toEqual([
      'GET /pricing',
      'GET /projects/p-1',
      'GET /settings/usage',
      'GET /pay',
    ]);
  });

  it("should forward the actors' HTTP routes, with the Amp key only for a caller that sent a valid key", async () => {
    const path = `/actors/gateway/threadActor/request/import?rvt-key=${FAKE_AMP_THREAD_ID}`;
    expect((await postJson(`${gw.url}${path}`, { thread: {} })).status).toBe(200);
    expect(amp.http[0].headers.authorization).toBeUndefined();
    expect(amp.http[0].query).toBe(`rvt-key=${FAKE_AMP_THREAD_ID}`);

    expect((await postJson(`${gw.url}${path}`, { thread: {} }, AUTH)).status).toBe(200);
    expect(amp.http[1].headers.authorization).toBe(`Bearer ${AMP_KEY}`);

    const bad = await postJson(`${gw.url}${path}`, {}, { authorization: 'Bearer wrong' });
    expect(bad.status).toBe(401);
    expect(amp.http).toHaveLength(2);
  });

  it("should tunnel the thread actor's WebSocket: Amp's handshake, query and frames both ways", async () => {
    const url = `${wsUrl}/actors/gateway/threadActor/websocket/?rvt-namespace=default&rvt-key=${FAKE_AMP_THREAD_ID}`;
    const opened = await openSocket(url, { protocols: ['rivet', 'rivet_encoding.bare'] });
    if (!('ws' in opened)) throw new Error(`refused: ${opened.status} ${opened.body}`);
    const { ws } = opened;
    expect(opened.protocol).toBe('rivet');
    ws.send('ping');
    expect(await nextMessage(ws)).toBe('pong');
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'c-1', method: 'executor_connect', params: {} }));
    const answer = JSON.parse(await nextMessage(ws)) as { id: string; error: { message: string } };
    expect(answer).toMatchObject({ id: 'c-1', error: { message: FAKE_AMP_ACTOR_REFUSAL } });

    const seen = amp.sockets[0];
    expect(seen.path).toBe('/actors/gateway/threadActor/websocket/');
    expect(seen.query).toBe(`rvt-namespace=default&rvt-key=${FAKE_AMP_THREAD_ID}`);
    expect(seen.headers['sec-websocket-protocol']).toBe('rivet,rivet_encoding.bare');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.received).toEqual(['ping', expect.stringContaining('executor_connect')]);

    const proxy = gw.app.get(AmpWebSocketProxy);
    expect(proxy.openTunnels).toBe(1);
    ws.close();
    await waitFor(() => proxy.openTunnels === 0, { what: 'the tunnel to close' });
  });

  it('should tunnel WebSockets under /api/ only with a client key, replaced by the Amp key', async () => {
    const refused = await openSocket(`${wsUrl}/api/live/feed`);
    expect(refused).toMatchObject({ status: 401 });
    const opened = await openSocket(`${wsUrl}/api/live/feed`, { headers: AUTH });
    if (!('ws' in opened)) throw new Error(`refused: ${opened.status} ${opened.body}`);
    opened.ws.send('hello');
    expect(await nextMessage(opened.ws)).toBe('echo: hello');
    expect(amp.sockets[0].headers.authorization).toBe(`Bearer ${AMP_KEY}`);
    opened.ws.close();
  });

  it('should answer other WebSocket paths 404 and leave the relay at /v1/ws alone', async () => {
    expect(await openSocket(`${wsUrl}/nowhere`)).toMatchObject({ status: 404 });
    expect(await openSocket(`${wsUrl}/api/v1/logs/stream`)).toMatchObject({ status: 404 });
    const relay = await openSocket(`${wsUrl}/v1/ws`);
    expect('ws' in relay).toBe(true);
    if ('ws' in relay) relay.ws.close();
    expect(amp.sockets).toHaveLength(0);
  });

  it('should honour restrict-management-to-localhost for WebSockets too', async () => {
    await reconfigure(
      yaml(withAmp('  restrict-management-to-localhost: true')),
      (c) => c.current.ampcode['restrict-management-to-localhost'],
    );
    try {
      const remote = await openSocket(`${wsUrl}/actors/gateway/x/websocket/`, {
        headers: { 'x-forwarded-for': '203.0.113.7' },
      });
      expect(remote).toMatchObject({ status: 403 });
      expect(amp.sockets).toHaveLength(0);
    } finally {
      await reconfigure(
        yaml(withAmp()),
        (c) => !c.current.ampcode['restrict-management-to-localhost'],
      );
    }
  });

  it('should answer 502 to a WebSocket when Amp cannot be reached', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    await reconfigure(
      yaml(withAmp()).replace(amp.url, dead),
      (c) => c.current.ampcode['upstream-url'] === dead,
    );
    // The gateway logs the failure as an error: expected here, kept out of the test output.
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      expect(await openSocket(`${wsUrl}/actors/gateway/x/websocket/`)).toMatchObject({
        status: 502,
        body: expect.stringContaining('Failed to reach Amp upstream') as unknown,
      });
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('ECONNREFUSED'));
    } finally {
      errors.mockRestore();
      await reconfigure(yaml(withAmp()), (c) => c.current.ampcode['upstream-url'] === amp.url);
    }
  });

  it('should, without an upstream URL, hint on the Amp routes and 404 everything else', async () => {
    await reconfigure(yaml(''), (c) => c.current.ampcode['upstream-url'] === '');
    try {
      const hinted = await fetch(`${gw.url}/api/internal?getUserInfo`, {
        method: 'POST',
        headers: AUTH,
      });
      expect(hinted.status).toBe(503);
      expect(await hinted.text()).toContain('ampcode.upstream-url');
      expect(
        (await fetch(`${gw.url}/api/thread-actors`, { method: 'POST', headers: AUTH })).status,
      ).toBe(503);
      expect((await fetch(`${gw.url}/api/not-amp`, { headers: AUTH })).status).toBe(404);
      expect((await fetch(`${gw.url}/actors/x`)).status).toBe(503);
      expect(await openSocket(`${wsUrl}/actors/gateway/x/websocket/`)).toMatchObject({
        status: 503,
      });
      expect(amp.http).toHaveLength(0);
    } finally {
      await reconfigure(yaml(withAmp()), (c) => c.current.ampcode['upstream-url'] !== '');
    }
  });
});
