import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@app/common';
import { ConfigService } from '@app/config';
import type { WireFormat } from '@app/llm';
import {
  CandidateSource,
  ClientKeyService,
  PROVIDER_ALIASES,
  errorFormatOf,
  geminiMethodCall,
  modelsResponse,
  renderGatewayError,
  splitModelAction,
  type ClientCall,
} from '@app/proxy';
import { AmpFallback } from '@app/gateway/amp/amp-fallback.service';
import type { ClientKeyRouteConfig } from '@app/gateway/http/request-gate';
import { ProxyEntry } from '@app/gateway/proxy/proxy-entry';

/** Route options of a body route: its client key is checked in onRequest (request-gate.ts). */
function keyed(format: WireFormat): { config: ClientKeyRouteConfig } {
  return { config: { clientKey: errorFormatOf(format) } };
}

type Params = Record<string, string | undefined>;
type Query = Record<string, string | undefined>;

/** A body route: which format and action it serves. */
interface BodyRoute {
  path: string;
  format: WireFormat;
  action: ClientCall['action'];
}

const BODY_ROUTES: BodyRoute[] = [
  { path: '/v1/chat/completions', format: 'openai', action: 'generate' },
  { path: '/v1/completions', format: 'openai-completions', action: 'generate' },
  { path: '/v1/messages', format: 'claude', action: 'generate' },
  { path: '/v1/messages/count_tokens', format: 'claude', action: 'count_tokens' },
  { path: '/v1/responses', format: 'openai-responses', action: 'generate' },
  { path: '/v1/responses/compact', format: 'openai-responses', action: 'compact' },
];

/** Provider-pinned aliases also accept the paths without `/v1` (`/api/provider/x/chat/completions`). */
const PROVIDER_PREFIX = '/api/provider/:provider';

/**
 * Registers the proxy routes (docs/proxy.md) directly on Fastify: the hot path skips Nest's
 * per-request machinery. Model calls go to the pipeline through ProxyEntry; errors are rendered
 * in the caller's wire format.
 */
@Injectable()
export class ProxyRoutes implements OnModuleInit {
  constructor(
    private readonly host: HttpAdapterHost,
    private readonly entry: ProxyEntry,
    private readonly keys: ClientKeyService,
    private readonly candidates: CandidateSource,
    private readonly config: ConfigService,
    /** Amp's local-or-upstream choice for provider-pinned model calls. */
    private readonly amp: AmpFallback,
  ) {}

  onModuleInit(): void {
    const f = this.host.httpAdapter.getInstance<FastifyInstance>();
    for (const prefix of ['', PROVIDER_PREFIX]) {
      for (const r of BODY_ROUTES) {
        const paths = [prefix + r.path];
        if (prefix) paths.push(prefix + r.path.replace(/^\/v1/, ''));
        for (const path of paths) {
          f.post(path, keyed(r.format), (req, reply) =>
            this.serve(req, reply, {
              format: r.format,
              action: r.action,
              route: path,
              provider: this.pinned(req),
            }),
          );
        }
      }
      const modelPaths = prefix ? [`${prefix}/v1/models`, `${prefix}/models`] : ['/v1/models'];
      for (const path of modelPaths)
        f.get(path, (req, reply) => this.listModels(req, reply, 'openai', path));
      f.get(`${prefix}/v1beta/models`, (req, reply) =>
        this.listModels(req, reply, 'gemini', `${prefix}/v1beta/models`),
      );
      const geminiPath = `${prefix}/v1beta/models/:modelAction`;
      f.post(geminiPath, keyed('gemini'), (req, reply) => this.gemini(req, reply, geminiPath));
      f.get(geminiPath, (req, reply) => this.geminiModel(req, reply, geminiPath));
    }
    f.post('/v1internal*', keyed('gemini-cli'), (req, reply) => this.codeAssist(req, reply));
  }

  private pinned(req: FastifyRequest): string | undefined {
    const p = (req.params as Params).provider;
    if (p === undefined) return undefined;
    return PROVIDER_ALIASES[p.toLowerCase()] ?? p.toLowerCase();
  }

  private async gemini(req: FastifyRequest, reply: FastifyReply, route: string): Promise<void> {
    const parts = splitModelAction((req.params as Params).modelAction ?? '');
    const method = parts && geminiMethodCall(parts.method, (req.query as Query).alt);
    if (!parts || !method) {
      return this.notFound(
        reply,
        'gemini',
        `Unknown Gemini method in ${req.url.split('?')[0]}; use :generateContent, :streamGenerateContent or :countTokens`,
      );
    }
    return this.serve(req, reply, {
      format: 'gemini',
      route,
      model: parts.model,
      provider: this.pinned(req),
      ...method,
    });
  }

  /** Provider-pinned calls go through the Amp integration's choice; the rest straight in. */
  private serve(req: FastifyRequest, reply: FastifyReply, call: ClientCall): Promise<void> {
    return call.provider !== undefined
      ? this.amp.serve(req, reply, call)
      : this.entry.handle(req, reply, call);
  }

  /** `/v1internal:{method}` (Gemini CLI clients), only when enable-gemini-cli-endpoint. */
  private async codeAssist(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const method = ((req.params as Params)['*'] ?? '').replace(/^:/, '');
    if (!this.config.current['enable-gemini-cli-endpoint']) {
      return this.notFound(
        reply,
        'gemini',
        'The Gemini CLI endpoint is disabled; set enable-gemini-cli-endpoint: true in config.yaml',
      );
    }
    const call = geminiMethodCall(method, (req.query as Query).alt);
    if (!call) return this.notFound(reply, 'gemini', `Unknown Code Assist method: ${method}`);
    const body = req.body as { model?: unknown } | undefined;
    const model = typeof body?.model === 'string' ? body.model : undefined;
    return this.entry.handle(req, reply, {
      format: 'gemini-cli',
      route: '/v1internal:{method}',
      model,
      ...call,
    });
  }

  private async listModels(
    req: FastifyRequest,
    reply: FastifyReply,
    style: 'openai' | 'gemini',
    route: string,
  ): Promise<void> {
    // Anthropic's SDKs (Claude Code included) send anthropic-version on every call; they get
    // the Claude list shape, and errors in Claude's envelope.
    const claude =
      style === 'openai' &&
      (req.headers['anthropic-version'] !== undefined ||
        String(req.headers['user-agent'] ?? '').startsWith('claude-cli'));
    const shape = style === 'gemini' ? 'gemini' : claude ? 'claude' : 'openai';
    if (!this.keys.identify(req, route)) {
      return void reply.status(401).send(renderGatewayError(shape, this.keys.refusal(req)));
    }
    const models = this.candidates.listModels({ provider: this.pinned(req) });
    return void reply.send(modelsResponse(shape, models));
  }

  private async geminiModel(
    req: FastifyRequest,
    reply: FastifyReply,
    route: string,
  ): Promise<void> {
    if (!this.keys.identify(req, route)) {
      return void reply.status(401).send(renderGatewayError('gemini', this.keys.refusal(req)));
    }
    const id = (req.params as Params).modelAction ?? '';
    const model = this.candidates
      .listModels({ provider: this.pinned(req) })
      .find((m) => m.id === id);
    if (!model)
      return this.notFound(
        reply,
        'gemini',
        `Model ${id} is not served by this gateway; see GET /v1beta/models`,
      );
    const list = modelsResponse('gemini', [model]) as { models: unknown[] };
    return void reply.send(list.models[0]);
  }

  private notFound(reply: FastifyReply, format: WireFormat, message: string): void {
    void reply
      .status(404)
      .send(
        renderGatewayError(
          errorFormatOf(format),
          AppError.of('RESOURCE_NOT_FOUND', { detail: message }),
        ),
      );
  }
}
