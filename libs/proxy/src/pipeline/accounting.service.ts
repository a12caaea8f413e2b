import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@app/config';
import type { ClientIdentity } from '@app/proxy/admission/client-key.service';
import { upstreamName } from '@app/proxy/candidate-source';
import type { ClientCall } from '@app/proxy/client-routes';
import { ExchangeRecorder, type ProxyExchange } from '@app/logs';
import type { ClientRequest } from '@app/proxy/pipeline/exchange';
import type { Outcome } from '@app/proxy/pipeline/outcome';
import type { ResponseSink } from '@app/proxy/pipeline/response-sink';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import { loggedUrl, remoteAddress } from '@app/proxy/request-origin';
import { nanoTimestamp, tokensFromUsage, UsageRecorder, type UsageRecord } from '@app/usage';

/**
 * Accounting: exactly one usage record per admitted request whatever happened (tokens read on
 * the way, latency, status, credential, the attempt trail the panel's request drawer shows),
 * the metrics, a warning for failures the operator should see, and the exchange for the request
 * and error logs. Everything is handed off without waiting: recorders buffer.
 */
@Injectable()
export class Accounting {
  private readonly logger = new Logger('Proxy');

  constructor(
    private readonly config: ConfigService,
    private readonly metrics: ProxyMetrics,
    private readonly usage: UsageRecorder,
    private readonly exchanges: ExchangeRecorder,
  ) {}

  /** True while the request log wants every exchange with its bodies (`request-log: true`). */
  get capturesBodies(): boolean {
    return this.exchanges.capturesBodies;
  }

  /** Record one finished request: usage, metrics, logs. */
  finish(
    req: ClientRequest,
    call: ClientCall,
    who: ClientIdentity,
    o: Outcome,
    res: ResponseSink,
    started: number,
  ): void {
    this.recordUsage(req, call, who, o, started, res.endedAt);
    this.recordExchange(req, res, o, started);
  }

  private recordUsage(
    req: ClientRequest,
    call: ClientCall,
    who: ClientIdentity,
    o: Outcome,
    started: number,
    endedAt: number = Date.now(),
  ): void {
    const c = o.candidate;
    const rec: UsageRecord = {
      requestId: req.id,
      timestamp: nanoTimestamp(endedAt),
      api: who.api,
      clientKeyId: who.keyId,
      model: o.model,
      upstreamModel: c?.upstreamModel ?? o.model,
      provider: c ? upstreamName(c) : '',
      source: c?.label ?? '',
      authIndex: c?.authIndex ?? '',
      credentialId: c?.credentialId ?? '',
      clientFormat: call.format,
      route: call.route,
      stream: o.stream,
      status: o.status,
      failed: o.failed,
      errorClass: o.failed ? o.errorClass : undefined,
      latencyMs: endedAt - started,
      ttfbMs: o.ttfbMs,
      attempts: o.attempts,
      tokens: tokensFromUsage(o.usage),
      trail: o.trail,
      errorMessage: o.failed ? o.errorMessage : undefined,
      url: loggedUrl(req.url),
      remoteAddr: remoteAddress(req, this.config.current['trusted-proxies']),
    };
    this.metrics.observe(rec);
    // Failures the operator should see in the logs, with the model and provider the access
    // line cannot know. Invalid requests and clients that left are the client's business.
    if (o.failed && o.status >= 500 && o.errorClass !== 'internal_error') {
      this.logger.warn({
        // The shared process log stores msg alone: it names the request too.
        msg:
          `request ${rec.requestId} for ${rec.model || 'no model'} failed with ${rec.status}: ` +
          `${o.errorClass ?? 'error'} after ${o.attempts} attempt(s)`,
        request_id: rec.requestId,
        route: rec.route,
        model: rec.model,
        status: rec.status,
        provider: rec.provider || undefined,
      });
    }
    try {
      this.usage.record(rec);
    } catch (err) {
      this.logger.warn(`usage recorder failed: ${(err as Error).message}`);
    }
  }

  /**
   * Hand the exchange to the request and error logs: every request while bodies are captured,
   * otherwise only failures, so a success costs one branch here. A client that left is not a
   * failure of its own (nothing went wrong that a log could explain).
   */
  private recordExchange(req: ClientRequest, res: ResponseSink, o: Outcome, started: number): void {
    const clientAborted = o.errorClass === 'client_abort';
    const failed = (o.failed && !clientAborted) || o.upstreamFailure !== undefined;
    if (!failed && !o.captureBodies) return;
    const exchange: ProxyExchange = {
      requestId: req.id,
      startedAt: started,
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: req.body,
      upstream: o.upstream,
      upstreamFailure: o.upstreamFailure,
      upstreamBody: o.upstreamBody,
      status: res.status || o.status,
      responseHeaders: res.sentHeaders,
      responseBody: o.streamCopy ? o.streamCopy.text() : res.sentBody,
      failed,
      clientAborted,
    };
    try {
      this.exchanges.record(exchange);
    } catch (err) {
      this.logger.warn(`request log recorder failed: ${(err as Error).message}`);
    }
  }
}
