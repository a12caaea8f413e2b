import { Injectable, Logger } from '@nestjs/common';
import type { Dispatcher } from 'undici';
import { AppError } from '@app/common';
import { providerFor, TranslationError, type WireFormat } from '@app/llm';
import { UpstreamHttp, type UpstreamRequest } from '@app/upstream';
import { upstreamName, type Candidate } from '@app/proxy/candidate-source';
import { upstreamCountsTokens } from '@app/proxy/count-tokens';
import { TRANSLATED, type AnswerStrategy } from '@app/proxy/delivery/answer-strategy';
import { Delivery } from '@app/proxy/delivery/delivery.service';
import { forwardFeatureHeaders, forwardFeatureQuery } from '@app/proxy/feature-headers';
import {
  buildPassthroughCall,
  isPassthrough,
  relayableError,
} from '@app/proxy/passthrough/passthrough-call';
import { passthroughHeaders } from '@app/proxy/passthrough-headers';
import { payloadRulesFor } from '@app/proxy/payload-rules';
import { AttemptReport } from '@app/proxy/pipeline/attempt-report';
import type { AttemptResult, Exchange } from '@app/proxy/pipeline/exchange';
import { clientGone } from '@app/proxy/pipeline/outcome';
import { irOf } from '@app/proxy/pipeline/request-parse';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import { RelayHub } from '@app/proxy/relay/relay-hub';
import {
  buildUpstreamRequest,
  readCapped,
  timeoutsOf,
  transportFailure,
  upstreamFailure,
} from '@app/proxy/upstream-request';

/**
 * One upstream attempt on one credential: build the call (forwarded as the client sent it to an
 * upstream of its own wire format, otherwise translated through the IR), add the client's
 * feature headers, send it (pooled HTTP, or the `/v1/ws` relay for aistudio), classify an error
 * answer, and hand a 2xx to delivery with the matching strategy.
 */
@Injectable()
export class UpstreamAttempt {
  private readonly logger = new Logger('Proxy');

  constructor(
    private readonly http: UpstreamHttp,
    private readonly relay: RelayHub,
    private readonly metrics: ProxyMetrics,
    private readonly report: AttemptReport,
    private readonly delivery: Delivery,
  ) {}

  /**
   * 'done' when the client has been answered (success, or a stream already started), otherwise
   * the failure to fail over from. `mayHold`: bootstrap retries are left, so a stream may wait
   * for its first chunk before the client sees anything.
   */
  async run(x: Exchange, cand: Candidate, mayHold: boolean): Promise<AttemptResult> {
    const { call, ctx } = x;
    const adapter = providerFor(cand.provider);
    ctx.upstreamModel = cand.stateModel;
    ctx.project = cand.project;
    ctx.toolNameMap.clear();
    x.outcome.upstream = undefined;

    if (call.action === 'count_tokens' && !upstreamCountsTokens(adapter)) {
      return this.delivery.estimate(x);
    }
    const forward = isPassthrough(call, adapter.format);
    let up: UpstreamRequest;
    let strategy: AnswerStrategy;
    try {
      if (forward) {
        const passthrough = buildPassthroughCall(
          {
            call,
            body: x.body,
            clientModel: x.model,
            clientStreams: x.clientStreams,
            requestId: x.req.id,
            rules: payloadRulesFor(x.cfg),
          },
          cand,
          adapter,
        );
        up = passthrough.request;
        strategy = passthrough;
      } else {
        up = buildUpstreamRequest(
          call,
          irOf(x),
          x.body,
          ctx,
          cand,
          adapter,
          x.clientStreams,
          x.req.id,
          payloadRulesFor(x.cfg),
        );
        strategy = TRANSLATED;
        this.noteDropped(x, adapter.format);
      }
    } catch (err) {
      if (!(err instanceof TranslationError)) throw err;
      // This upstream cannot express the request; the client has to change it.
      const error = AppError.of('UPSTREAM_CANNOT_SERVE', {
        upstream: upstreamName(cand),
        detail: err.message,
      });
      return { status: error.status, error: error.toWire(), body: '' };
    }

    forwardFeatureHeaders(up.headers, x.req, {
      format: adapter.format,
      oauth: cand.oauth,
      configured: cand.headers,
    });
    up.url = forwardFeatureQuery(up.url, x.req, adapter.format);
    x.outcome.upstream = up;
    const t0 = Date.now();
    let res: Dispatcher.ResponseData;
    try {
      res = await this.send(x, cand, up);
    } catch (err) {
      if (x.res.gone) return clientGone(x.outcome);
      return this.report.failure(
        cand,
        transportFailure(err, upstreamName(cand), timeoutsOf(x.cfg)),
      );
    }
    this.metrics.observeTtfb(upstreamName(cand), (Date.now() - t0) / 1000);
    if (x.cfg['passthrough-headers']) x.res.passThrough(passthroughHeaders(res.headers));

    if (res.statusCode < 200 || res.statusCode >= 300) {
      let text = '';
      try {
        text = await readCapped(res.body);
      } catch {
        if (x.res.gone) return clientGone(x.outcome);
      }
      const failure = upstreamFailure(adapter, res.statusCode, res.headers, text, cand.token);
      if (forward) failure.relayBody = relayableError(failure.body);
      return this.report.failure(cand, failure);
    }
    if (call.action !== 'generate') return this.delivery.json(x, cand, res);
    if (x.clientStreams) {
      return this.delivery.stream(x, cand, res, adapter.format, strategy, mayHold);
    }
    return this.delivery.whole(x, cand, res, adapter.format, up.streams, strategy);
  }

  /** Send the call: over the credential's `/v1/ws` relay connection, or pooled HTTP. */
  private send(
    x: Exchange,
    cand: Candidate,
    up: UpstreamRequest,
  ): Promise<Dispatcher.ResponseData> {
    const timeouts = x.cfg['upstream-timeouts'];
    const init = {
      method: 'POST' as const,
      headers: up.headers,
      body: up.body,
      signal: x.res.signal,
      proxyUrl: cand.proxyUrl,
      headersTimeoutMs: timeouts['header-seconds'] * 1000,
    };
    if (!cand.relay) return this.http.request(up.url, init);
    return this.relay.request(cand.relay, up.url, {
      ...init,
      idleTimeoutMs: timeouts['idle-seconds'] * 1000,
    });
  }

  /**
   * A cross-format build leaves out what the IR carries only for the client's own format
   * (unknown blocks and fields, server tools): said at debug level, so an operator can see why
   * an upstream did not get them.
   */
  private noteDropped(x: Exchange, target: WireFormat): void {
    const p = x.parsed;
    const ir = p && 'ir' in p ? p.ir : undefined;
    if (!ir || ir.sourceFormat === target) return;
    const notes = x.ctx.unmodelled ?? Object.keys(ir.extra).map((k) => `field "${k}"`);
    if (notes.length === 0) return;
    this.logger.debug(
      `request ${x.req.id}: the ${target} upstream cannot carry ${notes.join(', ')} of the ${ir.sourceFormat} body; left out`,
    );
  }
}
