import { WebSocket } from 'ws';
import { RelayDirectory } from '@app/proxy';
import { startGateway, type TestGateway } from '@test/utils/gateway-harness';
import { uniquePrefix, waitFor } from '@test/utils/env';
import { postJson, sseEvents } from './proxy-e2e.helpers';

const CLIENT_KEY = 'sk-relay-client';
const AUTH = { authorization: `Bearer ${CLIENT_KEY}` };
const MODEL = 'gemini-2.5-flash';

interface RelayFrame {
  id: string;
  type: string;
  payload?: Record<string, unknown>;
}

/** A request as the test app received it over the socket. */
interface SeenRequest {
  method: string;
  url: string;
  body: Record<string, unknown>;
}

/**
 * A stand-in for the browser-side app: connects to `/v1/ws`, answers every `http_request` like
 * the Gemini API would (whole JSON for generateContent, SSE frames for streamGenerateContent).
 */
class TestRelayApp {
  readonly seen: SeenRequest[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) =>
      this.onFrame(JSON.parse(data.toString('utf8')) as RelayFrame),
    );
  }

  static connect(url: string): Promise<TestRelayApp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new TestRelayApp(ws)));
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
      ws.once('error', reject);
    });
  }

  private send(frame: RelayFrame): void {
    this.ws.send(JSON.stringify(frame));
  }

  private onFrame(frame: RelayFrame): void {
    if (frame.type !== 'http_request') return;
    const p = frame.payload ?? {};
    const req: SeenRequest = {
      method: String(p.method),
      url: String(p.url),
      body: JSON.parse(String(p.body)) as Record<string, unknown>,
    };
    this.seen.push(req);
    const usage = { promptTokenCount: 4, candidatesTokenCount: 2, totalTokenCount: 6 };
    if (req.url.includes(':streamGenerateContent')) {
      this.send({
        id: frame.id,
        type: 'stream_start',
        payload: { status: 200, headers: { 'Content-Type': ['text/event-stream'] } },
      });
      const pieces = ['relayed ', 'stream'];
      pieces.forEach((text, i) => {
        const last = i === pieces.length - 1;
        const chunk = {
          candidates: [
            {
              content: { role: 'model', parts: [{ text }] },
              ...(last ? { finishReason: 'STOP' } : {}),
            },
          ],
          ...(last ? { usageMetadata: usage } : {}),
        };
        this.send({
          id: frame.id,
          type: 'stream_chunk',
          payload: { data: `data: ${JSON.stringify(chunk)}\r\n\r\n` },
        });
      });
      this.send({ id: frame.id, type: 'stream_end' });
      return;
    }
    const answer = {
      candidates: [
        { content: { role: 'model', parts: [{ text: 'relayed answer' }] }, finishReason: 'STOP' },
      ],
      usageMetadata: usage,
      modelVersion: MODEL,
    };
    this.send({
      id: frame.id,
      type: 'http_response',
      payload: {
        status: 200,
        headers: { 'Content-Type': ['application/json'] },
        body: JSON.stringify(answer),
      },
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

describe('WebSocket relay /v1/ws across replicas', () => {
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    const yaml = `
api-keys: ["${CLIENT_KEY}"]
ws-auth: true
redis:
  key-prefix: "${uniquePrefix('wsrelay')}"
`;
    a = await startGateway(yaml, 'gateway-relay-a');
    b = await startGateway(yaml, 'gateway-relay-b');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const wsUrl = (gw: TestGateway, key?: string) =>
    `ws://127.0.0.1:${gw.port}/v1/ws${key ? `?key=${key}` : ''}`;

  it('should refuse the upgrade without a client key when ws-auth is on', async () => {
    await expect(TestRelayApp.connect(wsUrl(a))).rejects.toThrow('upgrade refused: 401');
  });

  describe('with an app connected to replica A', () => {
    let app: TestRelayApp;

    beforeAll(async () => {
      app = await TestRelayApp.connect(wsUrl(a, CLIENT_KEY));
      await waitFor(() => b.app.get(RelayDirectory).size === 1, {
        what: 'replica B to see the relay',
      });
    });

    afterAll(async () => {
      await app?.close();
    });

    it('should list the relay models on the other replica', async () => {
      const res = await fetch(`${b.url}/v1/models`, { headers: AUTH });
      const ids = ((await res.json()) as { data: { id: string }[] }).data.map((m) => m.id);
      expect(ids).toContain(MODEL);
    });

    it('should serve a non-stream chat completion asked on replica B', async () => {
      const res = await postJson(
        `${b.url}/v1/chat/completions`,
        { model: MODEL, messages: [{ role: 'user', content: 'hello relay' }] },
        AUTH,
      );
      expect(res.status).toBe(200);
      const body = res.json as {
        model: string;
        choices: { message: { content: string } }[];
        usage: { total_tokens: number };
      };
      expect(body.model).toBe(MODEL);
      expect(body.choices[0].message.content).toBe('relayed answer');
      expect(body.usage.total_tokens).toBe(6);
      const seen = app.seen[app.seen.length - 1];
      expect(seen.method).toBe('POST');
      expect(seen.url).toBe(
        `https://generativelanguage.googleapis.com/v1beta/models/${MODEL}:generateContent`,
      );
      expect(JSON.stringify(seen.body.contents)).toContain('hello relay');
    });

    it('should serve a streamed chat completion asked on replica B', async () => {
      const res = await fetch(`${b.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: MODEL,
          stream: true,
          messages: [{ role: 'user', content: 'stream please' }],
        }),
      });
      expect(res.status).toBe(200);
      const events = sseEvents(await res.text());
      expect(events[events.length - 1].data).toBe('[DONE]');
      const text = events
        .slice(0, -1)
        .map((e) => JSON.parse(e.data) as { choices: { delta: { content?: string } }[] })
        .map((c) => c.choices[0]?.delta.content ?? '')
        .join('');
      expect(text).toBe('relayed stream');
      expect(app.seen[app.seen.length - 1].url).toBe(
        `https://generativelanguage.googleapis.com/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`,
      );
    });

    it('should serve a request on the replica that holds the socket too', async () => {
      const res = await postJson(
        `${a.url}/v1/chat/completions`,
        { model: MODEL, messages: [{ role: 'user', content: 'local' }] },
        AUTH,
      );
      expect(res.status).toBe(200);
    });
  });

  it('should drop the credential on every replica when the app disconnects', async () => {
    const app = await TestRelayApp.connect(wsUrl(a, CLIENT_KEY));
    await waitFor(() => b.app.get(RelayDirectory).size === 1, { what: 'the relay to register' });
    await app.close();
    await waitFor(() => b.app.get(RelayDirectory).size === 0, { what: 'the relay to unregister' });
    const res = await postJson(
      `${b.url}/v1/chat/completions`,
      { model: MODEL, messages: [{ role: 'user', content: 'anyone?' }] },
      AUTH,
    );
    // Nothing serves the model any more: the client's 400, not a 503 to retry for minutes.
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'model_not_found' } });
  });
});
