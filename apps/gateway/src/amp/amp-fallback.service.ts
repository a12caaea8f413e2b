import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConfigService } from '@app/config';
import { AppError } from '@app/common';
import { isRecord } from '@app/llm';
import {
  CandidateSource,
  ClientKeyService,
  errorFormatOf,
  renderGatewayError,
  type ClientCall,
  ampModelMapperFor,
  decideAmpRoute,
} from '@app/proxy';
import { AmpProxy, type AmpBody } from '@app/gateway/amp/amp-proxy.service';
import { ProxyEntry } from '@app/gateway/proxy/proxy-entry';

/**
 * `/api/provider/:provider/...` model calls with the Amp integration on (an upstream URL or
 * model mappings configured): serve locally when a local credential serves the model, else
 * through a model mapping, else forward to the Amp upstream (decideAmpRoute). Without Amp
 * settings the call goes straight to the proxy, pinned as always.
 */
@Injectable()
export class AmpFallback {
  private readonly logger = new Logger('Amp');

  constructor(
    private readonly config: ConfigService,
    private readonly proxy: ProxyEntry,
    private readonly keys: ClientKeyService,
    private readonly candidates: CandidateSource,
    private readonly amp: AmpProxy,
  ) {}

  /**
   * Serve a provider-route call. `raw` is the body as received when the route read it itself
   * (Amp's Gemini v1beta1 paths); otherwise a forwarded body is the parsed JSON re-serialised.
   */
  async serve(
    req: FastifyRequest,
    reply: FastifyReply,
    call: ClientCall,
    raw?: Buffer,
  ): Promise<void> {
    const cfg = this.config.current;
    const upstream = cfg.ampcode['upstream-url'].trim() !== '';
    const mapper = ampModelMapperFor(cfg);
    if (!upstream && mapper.empty) return this.proxy.handle(req, reply, call);

    const body: unknown = req.body;
    const model =
      call.model ?? (isRecord(body) && typeof body.model === 'string' ? body.model : '');
    const route = decideAmpRoute({
      model,
      pinned: call.provider,
      serves: (m, provider) => this.candidates.serves(m, { provider }),
      mapper,
      forceMappings: cfg.ampcode['force-model-mappings'],
      upstream,
    });

    switch (route.kind) {
      case 'local':
        return this.proxy.handle(req, reply, { ...call, provider: route.provider });
      case 'unserved':
        return this.proxy.handle(req, reply, call);
      case 'mapped': {
        this.logger.debug(`amp model mapping: ${model} -> ${route.model}`);
        const next: ClientCall = { ...call, provider: route.provider, responseModel: model };
        // The model is routed by the URL (Gemini) or by the body; answers keep the client's name.
        if (call.model !== undefined) next.model = route.model;
        else if (isRecord(body)) req.body = { ...body, model: route.model };
        return this.proxy.handle(req, reply, next);
      }
      case 'upstream': {
        if (!this.keys.identify(req, call.route)) {
          const e = AppError.of('AUTH_INVALID_KEY');
          return void reply
            .status(e.status)
            .send(renderGatewayError(errorFormatOf(call.format), e));
        }
        this.logger.log(
          `forwarding model ${model || '(none)'} to the Amp upstream (uses Amp credits); map it locally with ampcode.model-mappings`,
        );
        const forwarded: AmpBody = raw
          ? { kind: 'bytes', data: raw }
          : { kind: 'json', data: JSON.stringify(body ?? {}) };
        return this.amp.forward(req, reply, forwarded);
      }
    }
  }
}
