import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

/** One HTTP request as the fake Amp server saw it. */
export interface AmpHttpRecord {
  readonly method: string;
  readonly path: string;
  /** The raw query string (without `?`), '' when none. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One WebSocket the fake Amp server accepted, and the text frames it received. */
export interface AmpSocketRecord {
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  /** The subprotocol agreed on ('' when none). */
  readonly protocol: string;
  readonly received: string[];
}

/** The thread every `POST /api/thread-actors` creates. */
export const FAKE_AMP_THREAD_ID = 'T-0f8a7c2e-1111-4222-8333-944445555666';

/** The user `getUserInfo` returns. */
export const FAKE_AMP_USER = {
  id: 'user-fake-amp',
  email: 'dev@example.com',
  username: 'dev',
  displayName: 'Dev',
  emailVerified: true,
  features: [],
  team: null,
};

/**
 * What the fake thread actor answers to the CLI's `executor_connect`: Amp's own wording for an
 * archived thread, which the CLI treats as final (no retries) and prints. The real actor goes on
 * to run the agent, and the model calls, on Amp's servers; that part is not played here.
 */
export const FAKE_AMP_ACTOR_REFUSAL = 'This thread is archived.';

/** Path of the thread actor's WebSocket under Rivet's actor gateway. */
const ACTOR_SOCKET = '/actors/gateway/threadActor/websocket';

/**
 * A fake Amp server (ampcode.com): records every request and WebSocket and answers the routes
 * the Amp CLI calls, recorded from real runs of `amp -x` (the current native release and the
 * last Node release, see docs/testing.md):
 *
 * - `POST /api/internal?<method>` with `{method, params}` → `{ok: true, result}`: `getUserInfo`
 *   (a user with no feature flags), `loadPlugins` (none), `getThread` (`thread-not-found`, so
 *   the CLI starts a new one), `getThreadTail` (an empty thread-actor thread), anything else `{}`.
 * - `POST /api/thread-actors` → a new thread-actor thread and its WebSocket token.
 * - WebSocket `/actors/gateway/threadActor/websocket/` (Rivet, subprotocol `rivet`, JSON-RPC
 *   text frames): answers `ping` with `pong` and `executor_connect` with FAKE_AMP_ACTOR_REFUSAL.
 * - Any other WebSocket path echoes text frames (`echo: <frame>`); any other HTTP request gets
 *   200 `{"fake": "amp", "method", "path", "query"}`.
 */
export class FakeAmpServer {
  readonly http: AmpHttpRecord[] = [];
  readonly sockets: AmpSocketRecord[] = [];
  readonly url: string;
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => {
      const first = [...offered][0];
      return offered.has('rivet') ? 'rivet' : (first ?? false);
    },
  });

  private constructor(private readonly server: Server) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
    server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, req));
    });
  }

  /** Start on a free loopback port. */
  static async start(): Promise<FakeAmpServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeAmpServer(server);
  }

  /** `method path?query` of every HTTP request, in order (for a readable assertion). */
  routes(): string[] {
    return this.http.map((r) => `${r.method} ${r.path}${r.query ? `?${r.query}` : ''}`);
  }

  /** Forget what was recorded. */
  clear(): void {
    this.http.length = 0;
    this.sockets.length = 0;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const [path, query = ''] = splitUrl(req.url);
      const rec: AmpHttpRecord = {
        method: req.method ?? 'GET',
        path,
        query,
        headers: req.headers,
        body: Buffer.concat(parts),
      };
      this.http.push(rec);
      const body = this.answer(rec);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  }

  private answer(rec: AmpHttpRecord): unknown {
    if (rec.method === 'POST' && rec.path === '/api/internal') {
      return internalAnswer(decodeURIComponent(rec.query.split('&')[0] ?? ''));
    }
    if (rec.method === 'POST' && rec.path === '/api/thread-actors') {
      return {
        threadId: FAKE_AMP_THREAD_ID,
        wsToken: 'fake-ws-token',
        ownerUserId: FAKE_AMP_USER.id,
        threadVersion: 1,
        usesThreadActors: true,
        usesDtw: true,
        executorType: 'local-client',
        poolName: 'default',
      };
    }
    return { fake: 'amp', method: rec.method, path: rec.path, query: rec.query };
  }

  private onSocket(ws: WebSocket, req: IncomingMessage): void {
    const [path, query = ''] = splitUrl(req.url);
    const rec: AmpSocketRecord = {
      path,
      query,
      headers: req.headers,
      protocol: ws.protocol,
      received: [],
    };
    this.sockets.push(rec);
    const actor = path === ACTOR_SOCKET || path === `${ACTOR_SOCKET}/`;
    ws.on('message', (data: RawData) => {
      const text = rawText(data);
      rec.received.push(text);
      if (!actor) return ws.send(`echo: ${text}`);
      if (text === 'ping') return ws.send('pong');
      const msg = parseJson(text);
      if (msg?.method === 'executor_connect') {
        ws.send(
          JSON.stringify({
            jsonrpc: '2.0',
            id: msg.id,
            error: {
              code: -32000,
              message: FAKE_AMP_ACTOR_REFUSAL,
              data: { code: 'ACCESS_DENIED' },
            },
          }),
        );
      }
    });
  }
}

function internalAnswer(method: string): unknown {
  switch (method) {
    case 'getUserInfo':
      return { ok: true, result: FAKE_AMP_USER };
    case 'loadPlugins':
      return { ok: true, result: [] };
    case 'getThread':
      return { ok: false, error: { code: 'thread-not-found', message: 'Thread not found' } };
    case 'getThreadTail':
      return {
        ok: true,
        result: {
          thread: {
            data: {
              id: FAKE_AMP_THREAD_ID,
              created: Date.now(),
              v: 0,
              agentMode: 'medium',
              messages: [],
              meta: { usesThreadActors: true },
            },
          },
          messages: [],
          hasMoreBefore: false,
        },
      };
    default:
      return { ok: true, result: {} };
  }
}

function splitUrl(url: string | undefined): [string, string?] {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? [u] : [u.slice(0, q), u.slice(q + 1)];
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function parseJson(text: string): { method?: unknown; id?: unknown } | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}
