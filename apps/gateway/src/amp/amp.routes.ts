import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { gunzipSync } from 'node:zlib';
import { ConfigService } from '@app/config';
import {
  ClientKeyService,
  geminiMethodCall,
  splitModelAction,
  AMP_ACTORS_PREFIX,
  AMP_LOCALHOST_ONLY,
  AMP_ROOT_PAGES,
  isGatewayApiPath,
  isKeylessAmpPath,
  isKnownAmpApiPath,
  pathOfUrl,
  renderGatewayError,
} from '@app/proxy';
import { AppError, extractClientKey } from '@app/common';
import { AmpFallback } from '@app/gateway/amp/amp-fallback.service';
import { AMP_UNAVAILABLE, AmpProxy } from '@app/gateway/amp/amp-proxy.service';
import { PeerService } from '@app/gateway/http/peer.service';

type Params = Record<string, string | undefined>;
type Query = Record<string, string | undefined>;

/** Amp's Gemini paths (`/api/provider/google/v1beta1/publishers/google/models/{m}:{method}`). */
const GEMINI_V1BETA1 = '/api/provider/google/v1beta1/*';
const MODELS_SEGMENT = '/models/';

/** Who must present a client key: everyone, nobody (browser pages), or whoever sends one. */
type KeyRule = 'required' | 'none' | 'optional';

/**
 * The Amp CLI integration's own routes, registered straight on Fastify in a scope whose body
 * parser leaves the request stream unread, so bodies reach the Amp upstream byte for byte (gzip
 * included) and answers stream back unbuffered.
 *
 * `/api/*` is a catch-all: the router prefers every more specific route, so the gateway's own
 * routes under `/api` (provider model calls, cluster and control APIs) win, and whatever is left
 * is Amp's namespace, forwarded whole (each Amp release adds routes; an allow-list fell behind).
 * The gateway's own trees `/api/v1` and `/api/cliproxy` are never forwarded. Browser pages and
 * Amp's thread actors (`/actors`, HTTP here, WebSocket in AmpWebSocketProxy) are forwarded too.
 *
 * Every route answers 503 until `ampcode.upstream-url` is set (read per request: it
 * hot-reloads), refuses CORS preflights, honours `restrict-management-to-localhost` (socket
 * peer, trusted proxies respected) and needs a client key, except the browser pages and the
 * actors (key optional).
 */
@Injectable()
export class AmpRoutes implements OnModuleInit {
  private readonly logger = new Logger('Amp');

  constructor(
    private readonly host: HttpAdapterHost,
    private readonly config: ConfigService,
    private readonly keys: ClientKeyService,
    private readonly peer: PeerService,
    private readonly amp: AmpProxy,
    private readonly fallback: AmpFallback,
  ) {}

  onModuleInit(): void {
    const f = this.host.httpAdapter.getInstance<FastifyInstance>();
    void f.register((scope, _opts, done) => {
      // Leave bodies unread: the handlers stream or read them themselves.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_req, _payload, next) => next(null));
      const management = (req: FastifyRequest, reply: FastifyReply) => this.management(req, reply);
      scope.all('/api/*', (req, reply) => this.apiNamespace(req, reply));
      scope.all(AMP_ACTORS_PREFIX, (req, reply) => this.actors(req, reply));
      scope.all(`${AMP_ACTORS_PREFIX}/*`, (req, reply) => this.actors(req, reply));
      for (const name of AMP_ROOT_PAGES) {
        scope.get(`/${name}`, management);
        scope.get(`/${name}/*`, management);
      }
      scope.get('/threads.rss', management);
      scope.get('/news.rss', management);
      scope.all('/auth', management);
      scope.all('/auth/*', management);
      scope.all(GEMINI_V1BETA1, (req, reply) => this.geminiV1beta1(req, reply));
      done();
    });
  }

  /** The checks every Amp route shares; false when the request was answered. */
  private admit(req: FastifyRequest, reply: FastifyReply, keys: KeyRule): boolean {
    const cfg = this.config.current;
    if (!this.amp.enabled) {
      void reply.status(503).send(AMP_UNAVAILABLE);
      return false;
    }
    // Account data: no browser page elsewhere may read it (CLIProxyAPI's no-CORS rule).
    if (req.method === 'OPTIONS') {
      void reply.status(403).send();
      return false;
    }
    if (cfg.ampcode['restrict-management-to-localhost'] && !this.peer.isLocal(req)) {
      this.logger.warn(`refused a non-local Amp request from ${this.peer.address(req)}`);
      void reply.status(403).send({ error: AMP_LOCALHOST_ONLY });
      return false;
    }
    const checked = keys === 'required' || (keys === 'optional' && !!extractClientKey(req));
    if (checked && !this.keys.identify(req, req.routeOptions.url ?? '')) {
      void reply
        .status(401)
        .send(renderGatewayError('openai', AppError.of('AUTH_INVALID_KEY'), false));
      return false;
    }
    return true;
  }

  private async management(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const keys = isKeylessAmpPath(pathOfUrl(req.url)) ? 'none' : 'required';
    if (!this.admit(req, reply, keys)) return;
    await this.amp.forward(req, reply, { kind: 'stream' });
  }

  /**
   * Whatever under `/api/` no other route took. The gateway's own trees stay the gateway's
   * (404); without an Amp upstream only Amp's known trees answer (503 with the hint), the rest
   * is a 404 as it would be without the Amp integration.
   */
  private async apiNamespace(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const path = pathOfUrl(req.url);
    if (isGatewayApiPath(path) || (!this.amp.enabled && !isKnownAmpApiPath(path))) {
      return void reply.callNotFound();
    }
    return this.management(req, reply);
  }

  /**
   * Amp's thread actors over HTTP. The Amp key goes along only for a caller that presented a
   * valid client key: the actor gateway authenticates by the thread's own token, and an
   * anonymous caller must not borrow the team's Amp key.
   */
  private async actors(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.admit(req, reply, 'optional')) return;
    await this.amp.forward(req, reply, { kind: 'stream' }, !!extractClientKey(req));
  }

  /**
   * Amp's Gemini calls: a POST naming `/models/{model}:{method}` is served like
   * `/api/provider/google/v1beta/...` (locally, mapped, or forwarded); anything else goes to Amp.
   */
  private async geminiV1beta1(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.admit(req, reply, 'required')) return;
    const rest = (req.params as Params)['*'] ?? '';
    const at = `/${rest}`.lastIndexOf(MODELS_SEGMENT);
    const parts =
      at >= 0 ? splitModelAction(`/${rest}`.slice(at + MODELS_SEGMENT.length)) : undefined;
    const method = parts && geminiMethodCall(parts.method, (req.query as Query).alt);
    if (req.method !== 'POST' || !parts || !method) {
      return this.amp.forward(req, reply, { kind: 'stream' });
    }
    let raw: Buffer;
    try {
      raw = await readBody(req, this.bodyLimit());
    } catch (err) {
      const e = bodyError(err, this.bodyLimit());
      return void reply.status(e.status).send(renderGatewayError('gemini', e, false));
    }
    req.body = parseJson(raw, req.headers['content-encoding']);
    return this.fallback.serve(
      req,
      reply,
      {
        format: 'gemini',
        route: GEMINI_V1BETA1,
        model: parts.model,
        provider: 'gemini',
        ...method,
      },
      raw,
    );
  }

  private bodyLimit(): number {
    return this.config.current['body-limit-mb'] * 1024 * 1024;
  }
}

/** Read a request body whole, refusing more than `limit` bytes. */
async function readBody(req: FastifyRequest, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new RangeError('body too large');
    parts.push(b);
  }
  return Buffer.concat(parts);
}

function bodyError(err: unknown, limit: number): AppError {
  return err instanceof RangeError
    ? AppError.of('BODY_TOO_LARGE', { limitMb: Math.round(limit / 1024 / 1024) })
    : AppError.of('INVALID_REQUEST', { detail: 'The request body could not be read' });
}

/** The JSON of a body (gzip decoded when it says so); undefined when it is not JSON. */
function parseJson(raw: Buffer, encoding: string | undefined): unknown {
  try {
    const text = (encoding === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}
