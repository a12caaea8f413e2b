import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { FakeUpstream } from '@test/fakes';
import { distEntry, startNode, type ChildApp } from '@test/utils/child-app';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { freePort, tempConfigDir, testRedisUrl, uniquePrefix, waitFor } from '@test/utils/env';
import { delay, postJson } from './proxy-e2e.helpers';

const CLIENT_KEY = 'sk-body-hardening';
const SECRET = 'body-hardening-secret';
const BEARER = { authorization: `Bearer ${CLIENT_KEY}` };

function config(prefix: string, fakeUrl: string): string {
  return `redis:
  key-prefix: "${prefix}"
api-keys: ["${CLIENT_KEY}"]
remote-management:
  secret-key: "${SECRET}"
body-limit-mb: 1
body-budget-mb: 1
claude-api-key:
  - api-key: "up-claude"
    base-url: "${fakeUrl}"
    models:
      - name: claude-h
openai-compatibility:
  - name: fakeoai
    base-url: "${fakeUrl}/v1"
    api-key-entries:
      - api-key: "up-openai"
    models:
      - name: gpt-h
gemini-api-key:
  - api-key: "up-gemini"
    base-url: "${fakeUrl}"
    models:
      - name: gemini-h
`;
}

/** A chat body of about `bytes` bytes. */
function chatOfSize(model: string, bytes: number): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content: 'x'.repeat(bytes) }] });
}

/** An HTTP/1.1 request written by hand: headers now, the body when the test says so. */
function openRequest(
  port: number,
  path: string,
  body: string,
): Promise<{
  socket: Socket;
  sendRest: () => void;
  response: Promise<string>;
}> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
          `authorization: Bearer ${CLIENT_KEY}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `connection: close\r\n\r\n`,
      );
      // A first slice of the body: the gateway has admitted it and waits for the rest.
      socket.write(body.slice(0, 1000));
      const response = new Promise<string>((done) => {
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('close', () => done(text));
      });
      resolve({ socket, sendRest: () => socket.write(body.slice(1000)), response });
    });
    socket.once('error', reject);
  });
}

describe('body hardening (e2e)', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeUpstream.start();
    gw = await startGateway(config(uniquePrefix('body-hard'), fake.url), 'gateway-body-hard');
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  beforeEach(() => {
    fake.reset();
    fake.clearRequests();
  });

  describe('keys are checked before the body is read', () => {
    it.each([
      ['/v1/chat/completions', { error: { message: 'Invalid or missing API key' } }],
      ['/v1/messages', { type: 'error', error: { type: 'authentication_error' } }],
      ['/v1beta/models/gemini-h:generateContent', { error: { code: 401 } }],
    ])('should answer %s without a key with 401, never parsing the body', async (path, shape) => {
      // Not JSON at all: had it been parsed first, the answer would be a 400.
      const res = await fetch(`${gw.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"model": "gpt-h", "messages": [ not json',
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject(shape);
    });

    it('should answer a management write without the key with 401, never parsing the body', async () => {
      const res = await fetch(`${gw.url}/v0/management/debug`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{"value": tru',
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'missing management key' });
    });

    it('should let CORS preflights through without a key', async () => {
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'OPTIONS' });
      expect([401, 403]).not.toContain(res.status);
    });
  });

  describe('body-budget-mb', () => {
    it('should refuse a body past the budget with 503 and Retry-After before reading it, and admit again once the budget is free', async () => {
      const body = chatOfSize('gpt-h', 700_000);
      // Holds 700 kB of the 1 MB budget while its body is on the way.
      const held = await openRequest(gw.port, '/v1/chat/completions', body);
      await delay(100);
      const refused = await postJson(`${gw.url}/v1/chat/completions`, JSON.parse(body), BEARER);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(refused.json).toMatchObject({
        error: { message: expect.stringContaining('body-budget-mb'), type: 'service_error' },
      });
      // The refused body never reached the upstream; the held one does once it is complete.
      expect(fake.requests()).toHaveLength(0);
      held.sendRest();
      expect(await held.response).toMatch(/^HTTP\/1\.1 200 /);
      const next = await postJson(`${gw.url}/v1/chat/completions`, JSON.parse(body), BEARER);
      expect(next.status).toBe(200);
    });
  });

  // The gateway runs as a process of its own here: a client in the gateway's own process shares
  // its event loop and never sees the race (a socket closed while the client is still sending).
  describe('413 that every client receives (built gateway)', () => {
    const big = 'x'.repeat(24 * 1024 * 1024);
    let child: ChildApp;
    let cfg: ReturnType<typeof tempConfigDir>;
    let url: string;

    beforeAll(async () => {
      cfg = tempConfigDir(config(uniquePrefix('body-413'), fake.url));
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      child = startNode(distEntry('apps/gateway/src/main.js'), {
        CONFIG_PATH: cfg.path,
        REDIS_URL: testRedisUrl(),
        PORT: String(port),
        AUTH_DIR: join(cfg.dir, 'auths'),
        DATA_DIR: join(cfg.dir, 'data'),
      });
      await waitFor(async () => (await fetch(`${url}/healthz`)).ok, {
        timeoutMs: 20000,
        what: 'the built gateway',
      });
    }, 30000);

    afterAll(async () => {
      await child?.stop();
      cfg?.cleanup();
    });

    it('should give Node fetch the 413 every time, never EPIPE', async () => {
      const body = chatOfSize('gpt-h', big.length);
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...BEARER },
          body,
        });
        expect(res.status).toBe(413);
        expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
          /larger than the 1 MiB limit/,
        );
      }
    }, 60000);

    it('should give the 413 to a body sent without Content-Length (chunked)', async () => {
      const chunk = new TextEncoder().encode('x'.repeat(1024 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 24) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const res = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...BEARER },
        body: stream,
        duplex: 'half',
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({
        type: 'error',
        error: { message: expect.stringMatching(/larger than the 1 MiB limit/) },
      });
    });

    it('should show the 413 message in the OpenAI SDK', async () => {
      const openai = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${url}/v1`, maxRetries: 0 });
      for (let i = 0; i < 6; i++) {
        const err = await openai.chat.completions
          .create({ model: 'gpt-h', messages: [{ role: 'user', content: big }] })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(OpenAI.APIError);
        expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
        expect((err as Error).message).toMatch(/larger than the 1 MiB limit/);
      }
    }, 60000);

    it('should show the 413 message in the Anthropic SDK', async () => {
      const anthropic = new Anthropic({ apiKey: CLIENT_KEY, baseURL: url, maxRetries: 0 });
      for (let i = 0; i < 6; i++) {
        const err = await anthropic.messages
          .create({ model: 'claude-h', max_tokens: 8, messages: [{ role: 'user', content: big }] })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(Anthropic.APIError);
        expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(413);
        expect((err as Error).message).toMatch(/larger than the 1 MiB limit/);
      }
    }, 60000);
  });

  describe('wrongly typed fields on the translated path', () => {
    it('should refuse "stream": "yes" from an OpenAI client to a Claude upstream with an OpenAI 400', async () => {
      const res = await postJson(
        `${gw.url}/v1/chat/completions`,
        { model: 'claude-h', stream: 'yes', messages: [{ role: 'user', content: 'hi' }] },
        BEARER,
      );
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        error: {
          message: "Invalid type for 'stream': expected a boolean, but got a string instead",
          type: 'invalid_request_error',
          code: null,
        },
      });
      expect(fake.requests()).toHaveLength(0);
    });

    it('should refuse "max_tokens": {…} from a Claude client to an OpenAI upstream with a Claude 400', async () => {
      const res = await postJson(
        `${gw.url}/v1/messages`,
        { model: 'gpt-h', max_tokens: { n: 5 }, messages: [{ role: 'user', content: 'hi' }] },
        BEARER,
      );
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: expect.stringContaining("Invalid type for 'max_tokens': expected an integer"),
        },
      });
      expect(fake.requests()).toHaveLength(0);
    });

    it('should refuse a text maxOutputTokens from a Gemini client to a Claude upstream with a Gemini 400', async () => {
      const res = await postJson(
        `${gw.url}/v1beta/models/claude-h:generateContent`,
        {
          contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
          generationConfig: { maxOutputTokens: '8' },
        },
        { 'x-goog-api-key': CLIENT_KEY },
      );
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        error: {
          code: 400,
          status: 'INVALID_ARGUMENT',
          message: expect.stringContaining("'generationConfig.maxOutputTokens'"),
        },
      });
      expect(fake.requests()).toHaveLength(0);
    });
  });
});
