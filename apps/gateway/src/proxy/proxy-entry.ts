import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ClientKeyService,
  errorFormatOf,
  ProxyService,
  renderGatewayError,
  type ClientCall,
} from '@app/proxy';
import { FastifyResponseSink } from '@app/gateway/proxy/fastify-response-sink';

/**
 * Where a Fastify route hands a model call to the proxy pipeline: the client's identity (from
 * the request gate, or checked here for routes the gate does not key), the request as it is, and
 * a response sink over the reply. The only place the pipeline meets Fastify.
 */
@Injectable()
export class ProxyEntry {
  constructor(
    private readonly proxy: ProxyService,
    private readonly keys: ClientKeyService,
  ) {}

  /** Serve one model call. */
  handle(req: FastifyRequest, reply: FastifyReply, call: ClientCall): Promise<void> {
    // The request gate identified keyed routes already (request-gate.ts).
    const who = req.clientIdentity ?? this.keys.identify(req, call.route);
    if (!who) {
      const e = this.keys.refusal(req);
      void reply.status(e.status).send(renderGatewayError(errorFormatOf(call.format), e));
      return Promise.resolve();
    }
    return this.proxy.handle(call, req, who, new FastifyResponseSink(reply));
  }
}
