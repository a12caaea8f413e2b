import { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorFormat, markAuthenticated } from '@app/common';
import type { ConfigService } from '@app/config';
import { type ManagementGuard } from '@app/management';
import { renderGatewayError, type ClientIdentity, type ClientKeyService } from '@app/proxy';
import type { ClusterAuthGuard } from '@app/gateway/cluster/cluster-auth.guard';
import type { ControlAuthGuard } from '@app/gateway/control/control-auth.guard';
import { BodyBudget } from '@app/gateway/http/body-budget';
import { drainBody, drainLimits, hasBody } from '@app/gateway/http/body-drain';
import { errorFormatForPath, isApiSurface, renderApiError } from '@app/gateway/http/error.filter';

/**
 * Route `config` of the proxy routes that need a client key: the wire format their errors are
 * rendered in. Set by ProxyRoutes; read here, in onRequest, before the body is read.
 */
export interface ClientKeyRouteConfig {
  clientKey: ErrorFormat;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The client's identity once the gate accepted its key (null when it checked none), so the
     * proxy route does not match the key a second time.
     */
    clientIdentity: ClientIdentity | null;
  }
}

/** What the gate needs from the application. */
export interface RequestGateDeps {
  config: ConfigService;
  clientKeys: Pick<ClientKeyService, 'required' | 'identify' | 'refusal'>;
  management: Pick<ManagementGuard, 'check'>;
  control: Pick<ControlAuthGuard, 'check'>;
  cluster: Pick<ClusterAuthGuard, 'check'>;
  /** The body limit of routes that do not set their own, in bytes. */
  defaultBodyLimit: number;
}

/** An answer given instead of reading the request. */
interface Refusal {
  status: number;
  body: unknown;
  headers?: Readonly<Record<string, string>>;
}

type Surface = 'proxy' | 'management' | 'control' | 'cluster';

/** Seconds a client is asked to wait when the body budget is full. */
const BUDGET_RETRY_AFTER_SEC = 2;

const MB = 1024 * 1024;

/** Which key a matched route needs (undefined: none checked here). */
function surfaceOf(req: FastifyRequest): Surface | undefined {
  if (clientKeyFormat(req)) return 'proxy';
  const url = req.routeOptions.url;
  if (!url) return undefined;
  if (url.startsWith('/v0/management')) return 'management';
  if (url.startsWith('/api/cliproxy')) return 'control';
  if (url === '/api/v1' || url.startsWith('/api/v1/')) return 'cluster';
  return undefined;
}

/** The error format of a route that needs a client key (undefined for other routes). */
function clientKeyFormat(req: FastifyRequest): ErrorFormat | undefined {
  return (req.routeOptions.config as Partial<ClientKeyRouteConfig> | undefined)?.clientKey;
}

function isMultipart(req: FastifyRequest): boolean {
  const type = req.headers['content-type'];
  return typeof type === 'string' && type.toLowerCase().startsWith('multipart/');
}

/**
 * The gateway's first look at every request, in `onRequest`: before anything reads the body,
 * the key is checked (client key on proxy routes; the management key's one authenticator on
 * the management, control and cluster APIs) and the body is admitted against `body-limit-mb`
 * (declared length) and `body-budget-mb` (what all bodies in flight may hold). A refusal reads
 * and discards the body first (bounded) so the client receives it. CORS preflights pass
 * untouched. An accepted client key's identity stays on the request (`clientIdentity`) for the
 * proxy route. Returns the budget (tests and metrics read it).
 */
export function installRequestGate(app: FastifyInstance, deps: RequestGateDeps): BodyBudget {
  const logger = new Logger('RequestGate');
  const budget = new BodyBudget();
  app.decorateRequest('clientIdentity', null);

  const limitOf = (req: FastifyRequest): number =>
    req.routeOptions.bodyLimit ?? deps.defaultBodyLimit;

  /** Drain what the client is still sending (bounded), then answer. */
  const refuse = (req: FastifyRequest, reply: FastifyReply, r: Refusal): void => {
    void drainBody(req.raw, drainLimits(limitOf(req))).then((ended) => {
      if (reply.sent) return;
      // Not the whole body: the rest is left unread, so this connection cannot be reused.
      if (!ended) void reply.header('connection', 'close');
      for (const [k, v] of Object.entries(r.headers ?? {})) void reply.header(k, v);
      void reply.status(r.status).send(r.body);
    });
  };

  const wireError = (req: FastifyRequest, e: AppError): Refusal => ({
    status: e.status,
    body: renderGatewayError(errorFormatForPath(req.url), e, false),
    headers: e.headers,
  });

  /** The key check of a management-key surface: undefined when the request may go on. */
  const checkSurface = async (
    surface: Exclude<Surface, 'proxy'>,
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<Refusal | undefined> => {
    try {
      if (surface === 'management') await deps.management.check(req, reply);
      else if (surface === 'control') await deps.control.check(req);
      else await deps.cluster.check(req);
      return undefined;
    } catch (err) {
      if (err instanceof AppError && isApiSurface(err.surface)) {
        return { status: err.status, body: renderApiError(err.surface, err), headers: err.headers };
      }
      logger.error(
        `request ${String(req.id)}: key check failed: ${(err as Error)?.stack ?? String(err)}`,
      );
      return wireError(req, AppError.of('INTERNAL'));
    }
  };

  /** Admit the body: its declared size within the limit and within the budget. */
  const admitBody = (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const raw = req.raw;
    if (!hasBody(raw)) return done();
    const limit = limitOf(req);
    const declared = raw.headers['content-length'];
    // Without a length (chunked) the body may be as large as the limit: count it so.
    const size = declared === undefined ? limit : Number(declared);
    // Multipart uploads have their own per-file limits (and are read as a stream).
    if (declared !== undefined && size > limit && !isMultipart(req)) {
      return refuse(
        req,
        reply,
        wireError(req, AppError.of('BODY_TOO_LARGE', { limitMb: limit / MB })),
      );
    }
    const max = deps.config.current['body-budget-mb'] * MB;
    if (!budget.tryReserve(size, max)) {
      const e = AppError.of('BODY_BUDGET_FULL', undefined, {
        headers: { 'retry-after': String(BUDGET_RETRY_AFTER_SEC) },
      });
      return refuse(req, reply, wireError(req, e));
    }
    reply.raw.once('close', () => budget.release(size));
    done();
  };

  app.addHook('onRequest', (req, reply, done) => {
    // CORS preflights carry no credentials by design; whoever answers them needs none.
    if (req.method === 'OPTIONS') return done();
    if (req.is404) {
      // Nothing will use the body of an unknown route: answer without buffering it.
      if (!hasBody(req.raw)) return done();
      const format = errorFormatForPath(req.url);
      const e = AppError.of('ROUTE_UNMATCHED', { method: req.method, url: req.url });
      return refuse(req, reply, {
        status: 404,
        body: renderGatewayError(format === 'management' ? 'plain' : format, e, false),
      });
    }
    const surface = surfaceOf(req);
    if (surface === undefined) return admitBody(req, reply, done);
    if (surface === 'proxy') {
      if (deps.clientKeys.required) {
        const who = deps.clientKeys.identify(req, req.routeOptions.url ?? '');
        if (!who) {
          const e = deps.clientKeys.refusal(req);
          const format = clientKeyFormat(req) ?? 'openai';
          return refuse(req, reply, {
            status: e.status,
            body: renderGatewayError(format, e, false),
          });
        }
        req.clientIdentity = who;
      }
      return admitBody(req, reply, done);
    }
    void checkSurface(surface, req, reply).then((refusal) => {
      if (refusal) return refuse(req, reply, refusal);
      markAuthenticated(req.raw);
      admitBody(req, reply, done);
    });
  });
  return budget;
}
