import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  FaultQueue,
  type FailSpec,
  type FaultKind,
  type FaultPlan,
  type FaultScope,
  type ResetMidStreamSpec,
  type SlowFirstByteSpec,
} from './faults';
import type {
  CustomReply,
  FakeUpstreamOptions,
  OnRequestHandler,
  RecordedRequest,
} from './fake-upstream.types';
import { asString, isObject, tryParseJson, type JsonObject } from './json.util';
import {
  buildModelRoute,
  preflight,
  resolveRoute,
  type BuildInput,
  type Built,
  type FakeSettings,
  type Route,
} from './routes';
import { base62Id } from './scenario';
import { errorOutgoing } from './wire/errors.wire';
import { garbageOf } from './wire/garbage.wire';
import {
  ID_MARK,
  JSON_HEADERS,
  SSE_HEADERS,
  TS_MARK,
  jsonBody,
  type Outgoing,
  type OutgoingHeaders,
} from './wire/wire.types';

/** Models listed when the options name none. */
export const DEFAULT_FAKE_MODELS = {
  openai: ['gpt-4o-mini', 'gpt-4.1', 'gpt-5', 'gpt-5-codex'],
  claude: ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-3-5-haiku-20241022'],
  gemini: ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.5-flash-lite'],
} as const;

type MutableRecord = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };

const NO_FAULTS: readonly FaultKind[] = [];
const NO_QUERY: Readonly<Record<string, string>> = Object.freeze({});
const TS_TEXT = String(TS_MARK);
// The benchmark repeats one body; a small cache of rendered answers keeps it off the renderer.
const CACHE_ENTRIES = 512;
const CACHE_BODY_LIMIT = 64 * 1024;

function splitUrl(url: string): { path: string; query: Readonly<Record<string, string>> } {
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  if (path.includes('%')) {
    try {
      path = decodeURIComponent(path);
    } catch {
      // keep the raw path: a malformed escape is the caller's bug, and a 404 shows it
    }
  }
  const query = q < 0 ? NO_QUERY : Object.fromEntries(new URLSearchParams(url.slice(q + 1)));
  return { path, query };
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The credential of a request, wherever the provider puts it. */
function apiKeyOf(
  h: IncomingHttpHeaders,
  query: Readonly<Record<string, string>>,
): string | undefined {
  const auth = h.authorization;
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7);
  return header(h, 'x-api-key') ?? header(h, 'x-goog-api-key') ?? query.key;
}

function stamp(text: string, id: string, ts: string): string {
  return text.replaceAll(ID_MARK, id).replaceAll(TS_TEXT, ts);
}

function stampHeaders(h: OutgoingHeaders, id: string): OutgoingHeaders {
  let out: Record<string, string> | undefined;
  for (const k in h) {
    if (h[k].includes(ID_MARK)) (out ??= { ...h })[k] = h[k].replaceAll(ID_MARK, id);
  }
  return out ?? h;
}

function settingsFrom(o: FakeUpstreamOptions): FakeSettings {
  const chunks = Math.max(1, Math.floor(o.streamChunks ?? 5));
  return {
    chunks,
    cachedTokens: Math.max(0, Math.floor(o.cachedTokens ?? 0)),
    strict: o.strict ?? true,
    project: o.project ?? 'fake-project-123456',
    models: {
      openai: o.models?.openai ?? DEFAULT_FAKE_MODELS.openai,
      claude: o.models?.claude ?? DEFAULT_FAKE_MODELS.claude,
      gemini: o.models?.gemini ?? DEFAULT_FAKE_MODELS.gemini,
    },
  };
}

function customOutgoing(reply: Exclude<CustomReply, { answer: unknown }>): Outgoing {
  if ('chunks' in reply) {
    return {
      type: 'stream',
      status: reply.status ?? 200,
      headers: { ...SSE_HEADERS, ...reply.headers },
      frames: reply.chunks,
      framing: 'sse',
    };
  }
  return jsonBody(reply.status ?? 200, reply.body, { ...JSON_HEADERS, ...reply.headers });
}

/**
 * A loopback server that speaks the OpenAI (chat and Responses), Codex, Claude, Gemini, Vertex
 * and Code Assist wire formats, each on its real path, with a deterministic model, request
 * recording and fault injection. Written without libs/llm so that it catches translation bugs
 * instead of sharing them; node built-ins only, so it also runs from the production image.
 */
export class FakeUpstream {
  /** `http://host:port`, the value for a `base-url`. */
  readonly url: string;
  readonly port: number;

  private readonly faults = new FaultQueue();
  private readonly cache = new Map<string, Built>();
  private readonly cutByServer = new WeakSet<ServerResponse>();
  private readonly idPrefix = base62Id(randomBytes(16).toString('hex'), 16);
  private readonly maxRecords: number;
  private readonly apiKeys?: ReadonlySet<string>;
  private settings: FakeSettings;
  private records: RecordedRequest[] = [];
  private seq = 0;
  private idCounter = 0;
  private aborted = 0;
  private abortWaiters: (() => boolean)[] = [];
  private handler?: OnRequestHandler;
  private closing = false;

  private constructor(
    private readonly server: Server,
    host: string,
    options: FakeUpstreamOptions,
  ) {
    this.port = (server.address() as AddressInfo).port;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
    this.settings = settingsFrom(options);
    this.maxRecords = Math.max(0, options.maxRecords ?? 10_000);
    this.apiKeys = options.apiKeys ? new Set(options.apiKeys) : undefined;
    server.on('request', this.onHttpRequest);
  }

  /** Start a fake on a free (or the given) loopback port. */
  static async start(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer({ requestTimeout: 0, noDelay: true });
    // Outlive the clients' keep-alive pools (undici: 4 s, the gateway: 30 s) so idle sockets
    // are always closed by the client side, never raced by the server.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new FakeUpstream(server, host, options);
  }

  /** Stop listening and drop every open connection (hanging streams included). */
  async close(): Promise<void> {
    this.closing = true;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Change answer knobs at run time (clears the answer cache). */
  configure(o: Pick<FakeUpstreamOptions, 'streamChunks' | 'cachedTokens' | 'strict'>): void {
    this.settings = settingsFrom({
      streamChunks: o.streamChunks ?? this.settings.chunks,
      cachedTokens: o.cachedTokens ?? this.settings.cachedTokens,
      strict: o.strict ?? this.settings.strict,
      project: this.settings.project,
      models: this.settings.models,
    });
    this.cache.clear();
  }

  // ---- recording ----

  /** Every recorded request, oldest first. */
  requests(): RecordedRequest[] {
    return this.records.slice();
  }

  /** The most recent request, if any. */
  lastRequest(): RecordedRequest | undefined {
    return this.records[this.records.length - 1];
  }

  /** Forget recorded requests (the abort counter too). */
  clearRequests(): void {
    this.records = [];
    this.aborted = 0;
  }

  /** Requests whose client went away before the response was complete. */
  abortedCount(): number {
    return this.aborted;
  }

  /** Resolve once `abortedCount()` reaches `count`; reject after `timeoutMs`. */
  waitForAborts(count: number, timeoutMs = 2000): Promise<void> {
    if (this.aborted >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): boolean => {
        if (this.aborted < count) return false;
        clearTimeout(timer);
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        this.abortWaiters = this.abortWaiters.filter((w) => w !== check);
        reject(
          new Error(
            `expected ${count} aborted requests within ${timeoutMs} ms, saw ${this.aborted}`,
          ),
        );
      }, timeoutMs);
      this.abortWaiters.push(check);
    });
  }

  // ---- faults ----

  /** Answer with an error status (default body: the provider's real error shape). */
  fail(spec: FailSpec): this {
    this.faults.add({ kind: 'fail', spec });
    return this;
  }

  /** Hold the response headers back for `ms`. */
  slowFirstByte(spec: SlowFirstByteSpec): this {
    this.faults.add({ kind: 'slowFirstByte', spec });
    return this;
  }

  /** Reset the connection after `afterChunks` stream frames (non-stream: after half the body). */
  resetMidStream(spec: ResetMidStreamSpec): this {
    this.faults.add({ kind: 'resetMidStream', spec });
    return this;
  }

  /** Answer 200 with an unparseable body or stream. */
  garbageStream(scope: FaultScope = {}): this {
    this.faults.add({ kind: 'garbageStream', spec: scope });
    return this;
  }

  /** Send headers and one frame, then nothing until the client goes away. */
  neverEnd(scope: FaultScope = {}): this {
    this.faults.add({ kind: 'neverEnd', spec: scope });
    return this;
  }

  /** Pause `ms` between stream frames, for every matching request until `reset()` (or `times`). */
  delayBetweenChunks(ms: number, scope: FaultScope = {}): this {
    this.faults.add({ kind: 'delayBetweenChunks', spec: { ...scope, ms } }, Infinity);
    return this;
  }

  /** Faults still queued. */
  pendingFaults(): number {
    return this.faults.size;
  }

  /** Drop queued faults and the `onRequest` hook. */
  reset(): void {
    this.faults.clear();
    this.handler = undefined;
  }

  /** Install (or with no argument remove) a hook that may answer requests its own way. */
  onRequest(handler?: OnRequestHandler): void {
    this.handler = handler;
  }

  // ---- serving ----

  private readonly onHttpRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const { path, query } = splitUrl(req.url ?? '/');
    const rec: MutableRecord = {
      seq: ++this.seq,
      method: req.method ?? 'GET',
      path,
      query,
      headers: req.headers,
      body: undefined,
      rawBody: '',
      receivedAt: Date.now(),
      route: 'not-found',
      stream: false,
      faults: NO_FAULTS,
    };
    res.on('close', () => this.onClosed(rec, res));
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => this.handle(rec, res, raw));
  };

  private handle(rec: MutableRecord, res: ServerResponse, raw: string): void {
    // What was asked, recorded before anything can fail.
    const route = resolveRoute(rec.method, rec.path);
    let body: JsonObject | undefined;
    let badJson = false;
    rec.rawBody = raw;
    if (raw.length > 0) {
      const parsed = tryParseJson(raw);
      if (parsed === undefined) badJson = true;
      else if (isObject(parsed)) body = parsed;
      rec.body = parsed ?? raw;
    }
    rec.route = route.kind;
    rec.model = route.model ?? (body ? asString(body.model) : undefined);
    rec.apiKey = apiKeyOf(rec.headers, rec.query);
    rec.stream =
      route.kind === 'gemini-stream' ||
      route.kind === 'code-assist-stream' ||
      body?.stream === true;
    if (this.maxRecords > 0) {
      this.records.push(rec);
      if (this.records.length > this.maxRecords * 2) {
        this.records.splice(0, this.records.length - this.maxRecords);
      }
    }

    // Credentials, when the fake was told to check them.
    const input: BuildInput = {
      method: rec.method,
      path: rec.path,
      route,
      body,
      badJson,
      query: rec.query,
      headers: rec.headers,
      settings: this.settings,
    };
    if (
      this.apiKeys &&
      route.kind !== 'not-found' &&
      !(rec.apiKey && this.apiKeys.has(rec.apiKey))
    ) {
      this.respond(rec, res, { out: this.authError(route, rec.apiKey) }, undefined);
      return;
    }
    // Faults: an injected failure replaces the answer; pacing and first-byte delay wrap it.
    const plan = this.faults.take({
      path: rec.path,
      model: rec.model,
      apiKey: rec.apiKey,
      servesModel: route.servesModel,
    });
    if (plan) rec.faults = plan.kinds;
    if (plan?.terminal?.kind === 'fail') {
      const spec = plan.terminal.spec;
      const out = errorOutgoing(
        route.dialect,
        spec.status,
        {
          retryAfterSeconds: spec.retryAfterSeconds ?? 1,
          model: rec.model,
          headers: spec.headers,
          arrayWrapped: this.framingOf(rec, route) === 'json-array',
        },
        spec.body,
      );
      this.respond(rec, res, { out }, plan);
      return;
    }
    if (plan?.terminal?.kind === 'garbageStream') {
      this.respond(rec, res, { out: garbageOf(this.framingOf(rec, route)) }, plan);
      return;
    }
    // The answer: the test's hook first, else the deterministic model.
    if (this.handler) {
      void this.answerWithHook(this.handler, rec, res, input, raw, plan);
      return;
    }
    this.respond(rec, res, this.answer(input, raw), plan);
  }

  /** The default answer, from the cache when this exact request was answered before. */
  private answer(input: BuildInput, raw: string): Built {
    const pre = preflight(input);
    if ('early' in pre) return { out: pre.early };
    if (raw.length > CACHE_BODY_LIMIT) return buildModelRoute(input, pre.body);
    const key = `${input.path}\u0001${input.query.alt ?? ''}\u0001${raw}`;
    let built = this.cache.get(key);
    if (!built) {
      built = buildModelRoute(input, pre.body);
      if (this.cache.size >= CACHE_ENTRIES) this.cache.clear();
      this.cache.set(key, built);
    }
    return built;
  }

  private async answerWithHook(
    hook: OnRequestHandler,
    rec: MutableRecord,
    res: ServerResponse,
    input: BuildInput,
    raw: string,
    plan: FaultPlan | undefined,
  ): Promise<void> {
    let reply: CustomReply | undefined;
    try {
      reply = await hook(rec);
    } catch (err) {
      const message = `onRequest hook failed: ${err instanceof Error ? err.message : String(err)}`;
      this.respond(
        rec,
        res,
        { out: errorOutgoing(input.route.dialect, 500, { retryAfterSeconds: 0, message }) },
        plan,
      );
      return;
    }
    if (!reply) {
      this.respond(rec, res, this.answer(input, raw), plan);
    } else if ('answer' in reply) {
      const pre = preflight(input);
      const built =
        'early' in pre
          ? { out: pre.early }
          : buildModelRoute({ ...input, override: reply.answer }, pre.body);
      this.respond(rec, res, built, plan);
    } else {
      this.respond(rec, res, { out: customOutgoing(reply) }, plan);
    }
  }

  private authError(route: Route, key: string | undefined): Outgoing {
    if (route.dialect === 'gemini') {
      return key === undefined
        ? errorOutgoing('gemini', 403, {
            retryAfterSeconds: 0,
            message:
              "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          })
        : errorOutgoing('gemini', 400, {
            retryAfterSeconds: 0,
            message: 'API key not valid. Please pass a valid API key.',
          });
    }
    return errorOutgoing(route.dialect, 401, { retryAfterSeconds: 0 });
  }

  /** How the client expects the answer framed (for garbage and Gemini error wrapping). */
  private framingOf(rec: RecordedRequest, route: Route): 'body' | 'sse' | 'json-array' {
    if (route.kind === 'gemini-stream' || route.kind === 'code-assist-stream') {
      return rec.query.alt === 'sse' ? 'sse' : 'json-array';
    }
    return rec.stream ? 'sse' : 'body';
  }

  private respond(
    rec: MutableRecord,
    res: ServerResponse,
    built: Built,
    plan: FaultPlan | undefined,
  ): void {
    rec.answer = built.answer;
    if (plan?.slowMs) {
      const timer = setTimeout(() => this.write(rec, res, built.out, plan), plan.slowMs);
      res.once('close', () => clearTimeout(timer));
      return;
    }
    this.write(rec, res, built.out, plan);
  }

  private write(
    rec: MutableRecord,
    res: ServerResponse,
    out: Outgoing,
    plan: FaultPlan | undefined,
  ): void {
    if (res.destroyed || res.writableEnded) return;
    const terminal = plan?.terminal;
    const id = this.idPrefix + (this.idCounter++).toString(36).padStart(8, '0');
    const ts = String(Math.floor(Date.now() / 1000));
    rec.status = out.status;
    const headers = stampHeaders(out.headers, id);

    if (out.type === 'body') {
      const body = stamp(out.body, id, ts);
      if (terminal?.kind === 'neverEnd') {
        res.writeHead(out.status, headers);
        res.flushHeaders();
        return;
      }
      res.setHeader('content-length', Buffer.byteLength(body));
      res.writeHead(out.status, headers);
      if (terminal?.kind === 'resetMidStream') {
        res.write(body.slice(0, body.length >> 1), () => this.cut(res));
        return;
      }
      res.end(body);
      return;
    }

    res.writeHead(out.status, headers);
    const frames = out.frames;
    if (terminal?.kind === 'neverEnd') {
      if (frames.length > 0) res.write(stamp(frames[0], id, ts));
      else res.flushHeaders();
      return;
    }
    const cut = terminal?.kind === 'resetMidStream';
    const limit = cut
      ? Math.min(Math.max(0, terminal.spec.afterChunks), frames.length)
      : frames.length;
    const delay = plan?.delayMs ?? 0;
    if (delay <= 0) {
      // Unpaced: one write; the bytes on the wire are the same frames, just not spread in time.
      let all = '';
      for (let i = 0; i < limit; i++) all += stamp(frames[i], id, ts);
      if (!cut) res.end(all);
      else if (all) res.write(all, () => this.cut(res));
      else {
        res.flushHeaders();
        setImmediate(() => this.cut(res));
      }
      return;
    }
    let i = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (i >= limit) {
        if (cut) this.cut(res);
        else res.end();
        return;
      }
      res.write(stamp(frames[i++], id, ts));
      setTimeout(next, delay);
    };
    next();
  }

  /** Kill the connection with a TCP reset, as a crashed upstream or a middlebox does. */
  private cut(res: ServerResponse): void {
    this.cutByServer.add(res);
    const socket = res.socket;
    if (socket && !socket.destroyed) socket.resetAndDestroy();
  }

  private onClosed(rec: MutableRecord, res: ServerResponse): void {
    rec.closedAt = Date.now();
    if (res.writableFinished || this.closing || this.cutByServer.has(res)) return;
    rec.abortedAt = rec.closedAt;
    this.aborted++;
    if (this.abortWaiters.length > 0) this.abortWaiters = this.abortWaiters.filter((w) => !w());
  }
}
