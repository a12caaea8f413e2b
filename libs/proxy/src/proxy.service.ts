import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '@app/common';
import { ConfigService } from '@app/config';
import { AdmissionService } from '@app/proxy/admission/admission.service';
import type { ClientIdentity } from '@app/proxy/admission/client-key.service';
import { CandidateSource } from '@app/proxy/candidate-source';
import type { ClientCall } from '@app/proxy/client-routes';
import { pipelineRequests } from '@app/proxy/exchange-capture';
import { requestedModel, type LeaseRef } from '@app/proxy/limits';
import { Accounting } from '@app/proxy/pipeline/accounting.service';
import { refuse } from '@app/proxy/pipeline/error-answers';
import type { ClientRequest, RequestScope } from '@app/proxy/pipeline/exchange';
import { Failover } from '@app/proxy/pipeline/failover.service';
import { newOutcome } from '@app/proxy/pipeline/outcome';
import { prepareExchange } from '@app/proxy/pipeline/request-parse';
import type { ResponseSink } from '@app/proxy/pipeline/response-sink';
import { errorFormatOf, renderGatewayError } from '@app/proxy/proxy-errors';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';

/**
 * The proxy pipeline for one client request, from plain inputs — the route's call, the request
 * (its body), the client's identity and a response sink — so it runs without a server. Its
 * seams, each in its own file under pipeline/ and delivery/: admission (pause, per-key limits),
 * parsing, failover rounds, one upstream attempt, delivery (JSON, whole, stream; translated or
 * forwarded), the error answers, and accounting, which reports exactly one usage record
 * whatever happened.
 */
@Injectable()
export class ProxyService {
  private readonly logger = new Logger('Proxy');

  constructor(
    private readonly config: ConfigService,
    private readonly admission: AdmissionService,
    private readonly candidates: CandidateSource,
    private readonly failover: Failover,
    private readonly accounting: Accounting,
    private readonly metrics: ProxyMetrics,
  ) {}

  /** Handle one proxied request end to end. */
  async handle(
    call: ClientCall,
    req: ClientRequest,
    who: ClientIdentity,
    res: ResponseSink,
  ): Promise<void> {
    const started = Date.now();
    const cfg = this.config.current;
    const paused = this.admission.paused();
    if (paused) {
      res.sendJson(
        paused.status,
        renderGatewayError(errorFormatOf(call.format), paused),
        paused.headers,
      );
      return;
    }
    // From here on the pipeline records its own exchange; refusals before it (a paused proxy, a
    // wrong key, a body too large) are captured by the route layer like any error before it.
    pipelineRequests.add(req);

    const outcome = newOutcome(call, this.accounting.capturesBodies);
    const scope: RequestScope = { req, call, res, outcome };
    this.metrics.inFlight.inc();
    let lease: LeaseRef | undefined;
    try {
      // Per-key limits (docs/limits.md): a single branch when none are configured.
      if (this.admission.limited) {
        const gate = await this.admission.admit(who, call, req.body);
        if (gate.refused) {
          outcome.model = requestedModel(call.model, req.body);
          return refuse(scope, gate.refused);
        }
        lease = gate.lease;
      }
      const x = prepareExchange(scope, cfg, started, this.candidates);
      if (x) await this.failover.run(x);
    } catch (err) {
      outcome.status = outcome.status || 500;
      outcome.errorClass = outcome.errorClass ?? 'internal_error';
      this.logger.error(
        {
          msg: `request failed: ${(err as Error)?.message ?? String(err)}`,
          request_id: req.id,
          route: call.route,
          model: outcome.model,
          status: outcome.status,
        },
        (err as Error)?.stack,
      );
      if (res.committed) res.end();
      else
        res.sendJson(500, renderGatewayError(errorFormatOf(call.format), AppError.of('INTERNAL')));
    } finally {
      if (lease) this.admission.release(lease);
      res.stopKeepalive();
      this.metrics.inFlight.dec();
      this.accounting.finish(req, call, who, outcome, res, started);
    }
  }
}
