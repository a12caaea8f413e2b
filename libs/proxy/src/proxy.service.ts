import { Injectable, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { clientKeyTable, ConfigService, expiredAt, type AppConfig } from '@app/config';
import {
  acceptsClientKey,
  AppError,
  extractClientKey,
  keyId,
  maskKey,
  type ErrorFormat,
} from '@app/common';
import {
  applyModelSuffix,
  codecFor,
  createContext,
  estimateTokens,
  isRecord,
  parseClientRequest,
  providerFor,
  SSEParser,
  createStreamScanner,
  StreamCollectError,
  StreamCollector,
  TranslationError,
  type IRRequest,
  type IRResponse,
  type IRUsage,
  type TranslationContext,
  type WireFormat,
} from '@app/llm';
import { parseClaudeCountTokensRequest } from '@app/llm/formats/claude';
import { parseGeminiCountTokensRequest } from '@app/llm/formats/gemini';
import { canCompact, compactResponseUsage } from '@app/llm/formats/openai-responses';
import { isRetryable, isRoundRetryable } from '@app/routing';
import { UpstreamHttp, onAbort, type AbortSource } from '@app/upstream';
import { CandidateSource, upstreamName, type Candidate } from '@app/proxy/candidate-source';
import {
  TOKEN_COUNT_HEADER,
  countTokensResponse,
  translateCount,
  upstreamCountsTokens,
} from '@app/proxy/count-tokens';
import { loggedUrl, remoteAddress } from '@app/proxy/request-origin';
import { ClientResponse } from '@app/proxy/client-response';
import type { ClientCall } from '@app/proxy/client-routes';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import { errorFormatOf, renderGatewayError, renderUpstreamError } from '@app/proxy/proxy-errors';
import {
  pumpStream,
  type ClientSink,
  type PumpResult,
  type StreamFailure,
} from '@app/proxy/stream-pump';
import {
  buildUpstreamRequest,
  readCapped,
  transportFailure,
  upstreamFailure,
  type AttemptFailure,
  type UpstreamRequest,
} from '@app/proxy/upstream-request';
import {
  nanoTimestamp,
  tokensFromUsage,
  UsageRecorder,
  type AttemptNote,
  type UsageRecord,
} from '@app/proxy/usage.types';
import {
  ExchangeRecorder,
  pipelineRequests,
  StreamCapture,
  type FailedUpstreamAttempt,
  type ProxyExchange,
} from '@app/proxy/exchange-capture';
import { passthroughHeaders } from '@app/proxy/passthrough-headers';
import { payloadRulesFor } from '@app/proxy/payload-rules';
import { RelayHub } from '@app/proxy/relay/relay-hub';
import { LimitsService, requestedModel, type LeaseRef } from '@app/proxy/limits';
import { forwardFeatureHeaders, forwardFeatureQuery } from '@app/proxy/feature-headers';
import { logGatewayError } from '@app/proxy/gateway-error-log';
import {
  buildPassthroughCall,
  collectAnswer,
  isPassthrough,
  relayableError,
  wholeAnswer,
  type PassthroughAnswer,
  type PassthroughCall,
} from '@app/proxy/passthrough/passthrough-call';
import { relayStream } from '@app/proxy/passthrough/stream-relay';

export { errorFormatOf } from '@app/proxy/proxy-errors';

/** Who is calling, from the client key. */
export interface ClientIdentity {
  /** Usage key: the masked client key, or the route when access is open. */
  api: string;
  /** Short non-reversible id of the client key ('' when access is open). */
  keyId: string;
}

/** The outcome of one request, collected for the usage record. */
interface Outcome {
  status: number;
  failed: boolean;
  errorClass?: string;
  usage?: IRUsage;
  candidate?: Candidate;
  attempts: number;
  /** Each attempt and cooldown wait, for the request log's detail view. */
  trail: AttemptNote[];
  /** What the client was told when it failed. */
  errorMessage?: string;
  ttfbMs?: number;
  model: string;
  stream: boolean;
  /** Keep full bodies for the request log (`request-log: true`), read once per request. */
  captureBodies: boolean;
  /** The last upstream call made (request and error logs). */
  upstream: UpstreamRequest | undefined;
  /** The last upstream call that failed, even when a later credential succeeded. */
  upstreamFailure: FailedUpstreamAttempt | undefined;
  /** The upstream's 2xx body as read (a reference; logged with request-log or on failure). */
  upstreamBody: string | undefined;
  /** A copy of the streamed output, only while bodies are captured. */
  streamCopy: StreamCapture | undefined;
}

/** Everything the steps of one request share. */
interface Exchange {
  readonly req: FastifyRequest;
  readonly call: ClientCall;
  readonly cfg: Readonly<AppConfig>;
  readonly res: ClientResponse;
  readonly body: Record<string, unknown>;
  /**
   * The body parsed into the IR, once, when a cross-format attempt (or an estimate) first needs
   * it: a call forwarded to an upstream of its own format never parses it. `ir` is undefined
   * for compact, which is relayed as the client sent it.
   */
  parsed?: { ir: IRRequest | undefined } | { error: TranslationError };
  readonly ctx: TranslationContext;
  /** The model as the client named it. */
  readonly model: string;
  readonly clientStreams: boolean;
  readonly outcome: Outcome;
  readonly started: number;
}

/** How one attempt ended: the client was answered, or a failure to fail over from. */
type AttemptResult = 'done' | (AttemptFailure & { earlyStream?: boolean });

/**
 * The proxy pipeline for one client request: authenticate, parse, plan credentials, try them in
 * order (failover before the first byte, CLIProxyAPI's retry rounds), translate, deliver whole
 * or streamed, and report exactly one usage record whatever happened.
 */
@Injectable()
export class ProxyService {
  private readonly logger = new Logger('Proxy');
  private paused = false;
  /** Cluster-wide pause (control API proxy-stop), mirrored from Redis on every replica. */
  private clusterPaused = false;
  /** Identity of keys that already matched, per key list (saves hashing them again). */
  private identities = new WeakMap<readonly string[], Map<string, ClientIdentity>>();

  constructor(
    private readonly config: ConfigService,
    private readonly candidates: CandidateSource,
    private readonly http: UpstreamHttp,
    private readonly usage: UsageRecorder,
    private readonly metrics: ProxyMetrics,
    /** Request and error logs; absent in tests that do not need them. */
    @Optional() private readonly exchanges?: ExchangeRecorder,
    /** The `/v1/ws` relay (aistudio credentials); absent in tests that do not need it. */
    @Optional() private readonly relay?: RelayHub,
    /** Per-key limits; absent in tests that do not need them. */
    @Optional() private readonly limits?: LimitsService,
  ) {}

  /** Pause or resume proxy traffic (control API / cluster stop). */
  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Pause or resume proxy traffic on every replica (the control API's shared flag). */
  setClusterPaused(paused: boolean): void {
    this.clusterPaused = paused;
  }

  get isClusterPaused(): boolean {
    return this.clusterPaused;
  }

  /**
   * Check the client key; undefined when it is missing, wrong or expired (the caller answers
   * 401, with `refusal` saying which).
   */
  identify(
    req: FastifyRequest,
    keys: readonly string[],
    route: string,
  ): ClientIdentity | undefined {
    if (keys.length === 0) return { api: route, keyId: '' };
    const key = extractClientKey(req);
    if (!key || !acceptsClientKey(key, keys)) return undefined;
    let known = this.identities.get(keys);
    if (!known) this.identities.set(keys, (known = new Map<string, ClientIdentity>()));
    let who = known.get(key);
    if (!who) known.set(key, (who = { api: maskKey(key), keyId: keyId(key) }));
    // api-key-info expiries: one branch when no key has one.
    const table = clientKeyTable(this.config.current);
    if (table.expiring && expiredAt(table, who.keyId)) return undefined;
    return who;
  }

  /** Why `identify` refused the request: an expired key says so, anything else is invalid. */
  refusal(req: FastifyRequest): AppError {
    const key = extractClientKey(req);
    const cfg = this.config.current;
    if (key && acceptsClientKey(key, cfg['api-keys'])) {
      const expired = expiredAt(clientKeyTable(cfg), keyId(key));
      if (expired?.expires) return AppError.of('AUTH_KEY_EXPIRED', { expires: expired.expires });
    }
    return AppError.of('AUTH_INVALID_KEY');
  }

  /** Handle one proxied request end to end. */
  async handle(req: FastifyRequest, reply: FastifyReply, call: ClientCall): Promise<void> {
    const started = Date.now();
    const cfg = this.config.current;
    const format = errorFormatOf(call.format);
    if (this.paused || this.clusterPaused) {
      const e = AppError.of('SERVICE_UNAVAILABLE', {
        reason: 'Proxy traffic is paused by an operator; retry later',
      });
      void reply.status(e.status).header('retry-after', '30').send(renderGatewayError(format, e));
      return;
    }
    const who = this.identify(req, cfg['api-keys'], call.route);
    if (!who) {
      const e = this.refusal(req);
      void reply.status(e.status).send(renderGatewayError(format, e));
      return;
    }
    // From here on the pipeline records its own exchange; refusals above are captured by
    // RefusalCapture like any other error answered before the pipeline.
    pipelineRequests.add(req);

    const res = new ClientResponse(reply);
    const outcome: Outcome = {
      status: 0,
      failed: true,
      attempts: 0,
      trail: [],
      model: call.model ?? '',
      stream: call.stream ?? false,
      captureBodies: this.exchanges?.capturesBodies ?? false,
      upstream: undefined,
      upstreamFailure: undefined,
      upstreamBody: undefined,
      streamCopy: undefined,
    };
    this.metrics.inFlight.inc();
    let lease: LeaseRef | undefined;
    try {
      // Per-key limits (docs/limits.md): a single branch when none are configured.
      if (this.limits?.enabled) {
        const model = requestedModel(call.model, req.body);
        const gate = await this.limits.admit(who.keyId, model);
        if (gate.refused) {
          this.logRefusal(req, call, model, gate.refused.status, gate.refused.message);
          return refuseByLimit(res, format, outcome, model, gate.refused);
        }
        lease = gate.lease;
      }
      await this.serve(req, res, call, cfg, outcome, started);
    } catch (err) {
      outcome.status = outcome.status || 500;
      outcome.errorClass = outcome.errorClass ?? 'internal_error';
      this.logger.error(
        {
          msg: `request failed: ${(err as Error)?.message ?? String(err)}`,
          request_id: String(req.id),
          route: call.route,
          model: outcome.model,
          status: outcome.status,
        },
        (err as Error)?.stack,
      );
      if (res.committed) res.end();
      else res.sendJson(500, renderGatewayError(format, AppError.of('INTERNAL')));
    } finally {
      if (lease) this.limits?.release(lease);
      res.stopKeepalive();
      this.metrics.inFlight.dec();
      this.finish(req, call, who, outcome, started, res.endedAt);
      this.recordExchange(req, res, outcome, started);
    }
  }

  /** Validate the request, decide its model, then run the attempts. */
  private async serve(
    req: FastifyRequest,
    res: ClientResponse,
    call: ClientCall,
    cfg: Readonly<AppConfig>,
    outcome: Outcome,
    started: number,
  ): Promise<void> {
    const format = errorFormatOf(call.format);
    const refuse = (e: AppError): void => {
      outcome.status = e.status;
      outcome.errorClass = e.code ?? e.type;
      outcome.errorMessage = e.message;
      this.logRefusal(req, call, outcome.model, e.status, e.message);
      res.sendJson(e.status, renderGatewayError(format, e), e.headers);
    };
    const invalid = (detail: string): void => refuse(AppError.of('INVALID_REQUEST', { detail }));
    const body: unknown = req.body;
    if (!isRecord(body)) return invalid('Request body must be a JSON object');

    const bodyModel = typeof body.model === 'string' ? body.model : undefined;
    const model = call.model ?? bodyModel ?? '';
    outcome.model = model;
    if (!model) return invalid('model is required');
    if (call.action === 'compact' && body.stream === true) {
      return invalid('Streaming is not supported for /v1/responses/compact');
    }
    // The model is decided before the body is parsed: a model nobody serves is the client's
    // mistake, answered as CLIProxyAPI does (clients do not retry a 400), never a translation
    // error. A known model nothing can serve right now is a 503 later (plan 'none').
    if (!this.candidates.knows(model, { provider: call.provider })) {
      const named = call.provider ? `${model} (provider ${call.provider})` : model;
      return refuse(
        AppError.of('MODEL_NOT_FOUND', { model: named }, { details: { param: 'model' } }),
      );
    }

    const ctx = createContext({ upstreamModel: model });
    ctx.stream = call.stream;
    ctx.geminiStreamMode = call.geminiAlt;
    ctx.requestedModel = call.responseModel ?? model;
    const clientStreams =
      call.action === 'generate' &&
      (call.stream !== undefined ? call.stream : body.stream === true);
    outcome.stream = clientStreams;

    // CLIProxyAPI's nonstream-keepalive-interval: blank lines while a JSON answer is pending.
    if (!clientStreams) res.startJsonKeepalive(cfg['nonstream-keepalive-interval'] * 1000);

    const x: Exchange = {
      req,
      call,
      cfg,
      res,
      body,
      ctx,
      model,
      clientStreams,
      outcome,
      started,
    };
    await this.run(x);
  }

  /** The body in the IR (parsed on first use); throws the TranslationError that refused it. */
  private irOf(x: Exchange): IRRequest | undefined {
    const p = (x.parsed ??= parseOnce(x));
    if ('error' in p) throw p.error;
    return p.ir;
  }

  /** Why the body cannot be translated, if it cannot (parsed on first use). */
  private irError(x: Exchange): TranslationError | undefined {
    const p = (x.parsed ??= parseOnce(x));
    return 'error' in p ? p.error : undefined;
  }

  /**
   * Input tokens of a request cut short before the upstream reported them: the local estimate
   * of the parsed body, or of its JSON size when it does not parse (0 when usage has them).
   */
  private estimateFor(x: Exchange, seen: IRUsage | undefined): number {
    if (seen?.inputTokens) return 0;
    const p = (x.parsed ??= parseOnce(x));
    if (!('error' in p) && p.ir) return estimateTokens(p.ir);
    return Math.ceil(JSON.stringify(x.body).length / 4);
  }

  /**
   * CLIProxyAPI's retry rounds. A round tries the available credentials in the selector's order
   * (at most `max-retry-credentials`), failing over on every error except invalid requests. When
   * a round is exhausted and the last status is 403/408/429/5xx, up to `request-retry` more
   * rounds follow, first waiting for the earliest cooldown if it ends within
   * `max-retry-interval` seconds.
   */
  private async run(x: Exchange): Promise<void> {
    const cfg = x.cfg;
    const perRound = cfg['max-retry-credentials'] > 0 ? cfg['max-retry-credentials'] : Infinity;
    const rounds = 1 + Math.max(0, cfg['request-retry']);
    const maxWaitSec = Math.max(0, cfg['max-retry-interval']);
    let bootstraps = x.clientStreams ? Math.max(0, cfg.streaming['bootstrap-retries']) : 0;
    let last: AttemptFailure | undefined;

    for (let round = 0; round < rounds; round++) {
      if (round > 0 && (!last || !isRoundRetryable(last.status))) break;
      let plan = await this.candidates.plan(x.model, { provider: x.call.provider });
      if (plan.kind === 'cooldown' && round > 0 && plan.retryAfterSec <= maxWaitSec) {
        x.outcome.trail.push({ kind: 'wait', seconds: plan.retryAfterSec });
        await sleep(plan.retryAfterSec * 1000, x.res.signal);
        if (x.res.gone) {
          this.clientGone(x.outcome);
          return;
        }
        plan = await this.candidates.plan(x.model, { provider: x.call.provider });
      }
      if (plan.kind === 'none') {
        if (last) break;
        const model = x.call.provider ? `${x.model} (provider ${x.call.provider})` : x.model;
        return this.refuse(x, AppError.of('NO_CREDENTIALS', { model }));
      }
      if (plan.kind === 'cooldown') {
        // The next round waits for it (see above) when allowed to.
        if (round + 1 < rounds && plan.retryAfterSec <= maxWaitSec) continue;
        // An upstream's own error says more than "cooling down".
        if (last) break;
        const seconds = Math.max(1, Math.ceil(plan.retryAfterSec));
        return this.refuse(
          x,
          AppError.of(
            'MODEL_COOLDOWN',
            { model: x.model },
            { details: { reset_seconds: seconds }, headers: { 'retry-after': String(seconds) } },
          ),
        );
      }

      const candidates =
        x.call.action === 'compact'
          ? plan.candidates.filter((c) => canCompact(providerFor(c.provider).format))
          : plan.candidates;
      if (candidates.length === 0) {
        if (last) break;
        return this.refuse(
          x,
          AppError.of('INVALID_REQUEST', {
            detail: `/v1/responses/compact needs an OpenAI Responses or Codex upstream; model ${x.model} is served by ${plan.candidates[0]?.provider ?? 'none'}`,
          }),
        );
      }

      let tried = 0;
      for (const cand of candidates) {
        if (tried >= perRound) break;
        if (x.res.gone) {
          this.clientGone(x.outcome);
          return;
        }
        // A body the IR cannot read can still go to upstreams of its own format; for the others
        // it is refused, or skipped when an earlier upstream's error says more.
        if (!isPassthrough(x.call, providerFor(cand.provider).format)) {
          const error = this.irError(x);
          if (error) {
            if (last) continue;
            return this.refuse(x, AppError.of('INVALID_REQUEST', { detail: error.message }));
          }
        }
        if (last) this.metrics.countFailover(upstreamName(cand));
        tried++;
        x.outcome.attempts++;
        x.outcome.candidate = cand;
        const t0 = Date.now();
        const r = await this.attempt(x, cand, bootstraps > 0);
        noteAttempt(x.outcome, cand, r, Date.now() - t0);
        if (r === 'done') return;
        noteFailure(x.outcome, r);
        if (r.earlyStream) bootstraps--;
        last = r;
        if (!isRetryable(r.status, r.body)) return this.sendFailure(x, r);
      }
    }
    this.sendFailure(
      x,
      last ?? {
        status: 502,
        error: { status: 502, type: 'api_error', message: 'No upstream answered' },
        body: '',
      },
    );
  }

  /**
   * One try against one credential. 'done' when the client has been answered (success, or a
   * stream already started), otherwise the failure to fail over from.
   */
  private async attempt(x: Exchange, cand: Candidate, mayHold: boolean): Promise<AttemptResult> {
    const { call, ctx } = x;
    const adapter = providerFor(cand.provider);
    ctx.upstreamModel = cand.stateModel;
    ctx.project = cand.project;
    ctx.toolNameMap.clear();
    x.outcome.upstream = undefined;

    if (call.action === 'count_tokens' && !upstreamCountsTokens(adapter)) {
      return this.answerEstimate(x);
    }
    const forward = isPassthrough(call, adapter.format);
    let up: UpstreamRequest;
    let passthrough: PassthroughCall | undefined;
    try {
      if (forward) {
        passthrough = buildPassthroughCall(
          {
            call,
            body: x.body,
            clientModel: x.model,
            clientStreams: x.clientStreams,
            requestId: String(x.req.id),
            rules: payloadRulesFor(x.cfg),
          },
          cand,
          adapter,
        );
        up = passthrough.request;
      } else {
        up = buildUpstreamRequest(
          call,
          this.irOf(x),
          x.body,
          ctx,
          cand,
          adapter,
          x.clientStreams,
          String(x.req.id),
          payloadRulesFor(x.cfg),
        );
        this.noteDropped(x, adapter.format);
      }
    } catch (err) {
      if (!(err instanceof TranslationError)) throw err;
      // This upstream cannot express the request; the client has to change it.
      const message = `${upstreamName(cand)} cannot serve this request: ${err.message}`;
      return {
        status: 400,
        error: { status: 400, type: 'invalid_request_error', message },
        body: '',
      };
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
      const init = {
        method: 'POST' as const,
        headers: up.headers,
        body: up.body,
        signal: x.res.signal,
        proxyUrl: cand.proxyUrl,
        headersTimeoutMs: x.cfg['upstream-timeouts']['header-seconds'] * 1000,
      };
      res =
        cand.relay && this.relay
          ? await this.relay.request(cand.relay, up.url, {
              ...init,
              idleTimeoutMs: x.cfg['upstream-timeouts']['idle-seconds'] * 1000,
            })
          : await this.http.request(up.url, init);
    } catch (err) {
      if (x.res.gone) return this.clientGone(x.outcome);
      return this.failed(cand, transportFailure(err, upstreamName(cand), this.timeouts(x)));
    }
    this.metrics.observeTtfb(upstreamName(cand), (Date.now() - t0) / 1000);
    if (x.cfg['passthrough-headers']) x.res.passThrough(passthroughHeaders(res.headers));

    if (res.statusCode < 200 || res.statusCode >= 300) {
      let text = '';
      try {
        text = await readCapped(res.body);
      } catch {
        if (x.res.gone) return this.clientGone(x.outcome);
      }
      const failure = upstreamFailure(adapter, res.statusCode, res.headers, text, cand.token);
      if (passthrough) failure.relayBody = relayableError(failure.body);
      return this.failed(cand, failure);
    }
    if (call.action !== 'generate') return this.relayJson(x, cand, res);
    if (x.clientStreams) {
      return this.deliverStream(x, cand, adapter.format, res, mayHold, passthrough);
    }
    if (passthrough)
      return this.deliverForwarded(x, cand, adapter.format, up.streams, res, passthrough);
    return this.deliverWhole(x, cand, adapter.format, up.streams, res);
  }

  /** Count tokens locally (the upstream serving the model has no counting endpoint). */
  private answerEstimate(x: Exchange): 'done' {
    const ir = this.irOf(x);
    const n = ir ? estimateTokens(ir) : 0;
    x.outcome.status = 200;
    x.outcome.failed = false;
    x.res.sendJson(200, countTokensResponse(x.call.format, n), {
      [TOKEN_COUNT_HEADER]: 'estimate',
    });
    return 'done';
  }

  /** Count-tokens and compact answers go back as the upstream wrote them. */
  private async relayJson(
    x: Exchange,
    cand: Candidate,
    res: Dispatcher.ResponseData,
  ): Promise<AttemptResult> {
    let text: string;
    let json: unknown;
    try {
      text = await res.body.text();
      x.outcome.upstreamBody = text;
      json = JSON.parse(text);
    } catch (err) {
      if (x.res.gone) return this.clientGone(x.outcome);
      return this.failed(cand, this.unreadable(err, cand, x));
    }
    if (x.call.action === 'compact') x.outcome.usage = compactResponseUsage(json);
    let answer: string | Record<string, unknown> = text;
    if (x.call.action === 'count_tokens') {
      try {
        answer = translateCount(x.call.format, providerFor(cand.provider).format, json) ?? text;
      } catch (err) {
        return this.failed(cand, this.unreadable(err, cand, x));
      }
    }
    this.candidates.reportSuccess(cand);
    x.outcome.status = 200;
    x.outcome.failed = false;
    x.res.sendJson(200, answer);
    return 'done';
  }

  /** A non-stream answer: parse (or collect a streaming-only upstream), translate, send. */
  private async deliverWhole(
    x: Exchange,
    cand: Candidate,
    upstreamFormat: WireFormat,
    upstreamStreamed: boolean,
    res: Dispatcher.ResponseData,
  ): Promise<AttemptResult> {
    let irRes: IRResponse;
    try {
      if (upstreamStreamed) {
        irRes = await collectStream(res.body, upstreamFormat, x.ctx);
      } else {
        const text = await res.body.text();
        x.outcome.upstreamBody = text;
        irRes = codecFor(upstreamFormat).parseResponse(JSON.parse(text), x.ctx);
      }
    } catch (err) {
      if (x.res.gone) return this.clientGone(x.outcome);
      if (err instanceof StreamCollectError) {
        return this.failed(cand, { status: err.status, error: err.toWireError(), body: '' });
      }
      return this.failed(cand, this.unreadable(err, cand, x));
    }
    const payload = codecFor(x.call.format).buildResponse(
      { ...irRes, model: x.ctx.requestedModel },
      x.ctx,
    );
    this.candidates.reportSuccess(cand);
    x.outcome.usage = irRes.usage;
    x.outcome.status = 200;
    x.outcome.failed = false;
    x.res.sendJson(200, payload);
    return 'done';
  }

  /**
   * A non-stream answer to a call forwarded as it came: the upstream's JSON as it wrote it (or a
   * streaming-only upstream's stream collected into one response), usage read on the way.
   */
  private async deliverForwarded(
    x: Exchange,
    cand: Candidate,
    upstreamFormat: WireFormat,
    upstreamStreamed: boolean,
    res: Dispatcher.ResponseData,
    passthrough: PassthroughCall,
  ): Promise<AttemptResult> {
    let answer: PassthroughAnswer;
    try {
      if (upstreamStreamed) {
        answer = await collectAnswer(res.body, upstreamFormat, passthrough.shaper, x.ctx);
      } else {
        const text = await res.body.text();
        x.outcome.upstreamBody = text;
        answer = wholeAnswer(text, upstreamFormat, passthrough.shaper);
      }
    } catch (err) {
      if (x.res.gone) return this.clientGone(x.outcome);
      if (err instanceof StreamCollectError) {
        return this.failed(cand, { status: err.status, error: err.toWireError(), body: '' });
      }
      return this.failed(cand, this.unreadable(err, cand, x));
    }
    this.candidates.reportSuccess(cand);
    x.outcome.usage = answer.usage;
    x.outcome.status = 200;
    x.outcome.failed = false;
    x.res.sendJson(200, answer.text);
    return 'done';
  }

  /**
   * A streamed answer, translated event by event. With bootstrap retries left the client stream
   * opens only with the first translated chunk, so an upstream that fails before it can be
   * replaced by the next credential without the client noticing.
   */
  private async deliverStream(
    x: Exchange,
    cand: Candidate,
    upstreamFormat: WireFormat,
    res: Dispatcher.ResponseData,
    hold: boolean,
    passthrough?: PassthroughCall,
  ): Promise<AttemptResult> {
    // A Gemini client without alt=sse reads one JSON array; every other client SSE.
    const framing = x.ctx.geminiStreamMode === 'json-array' ? 'json-array' : 'sse';
    const contentType = framing === 'json-array' ? 'application/json' : 'text/event-stream';
    let opened = false;
    const sink: ClientSink = {
      open: () => {
        opened = true;
        x.res.openStream(contentType);
        x.outcome.ttfbMs = Date.now() - x.started;
        this.metrics.openStreams.inc();
      },
      // A copy of the output only for the request log; without it the sink stays a plain write.
      write: x.outcome.captureBodies
        ? (chunk) => {
            (x.outcome.streamCopy ??= new StreamCapture()).push(chunk);
            return x.res.write(chunk);
          }
        : (chunk) => x.res.write(chunk),
      waitDrain: () => x.res.waitDrain(),
      get closed() {
        return x.res.gone;
      },
    };
    const timeouts = this.timeouts(x);
    const classify = (err: unknown): StreamFailure =>
      streamFailure(transportFailure(err, upstreamName(cand), timeouts));
    const keepaliveMs = x.cfg.streaming['keepalive-seconds'] * 1000;
    // Forwarded calls are relayed as the upstream wrote them; the others translated event by event.
    const stream = (): Promise<PumpResult> =>
      passthrough
        ? relayStream({
            body: res.body,
            scanner: createStreamScanner(upstreamFormat, x.ctx),
            shaper: passthrough.shaper,
            client: x.call.format,
            framing,
            dropUsageChunks: passthrough.usageInjected,
            sink,
            signal: x.res.signal,
            keepaliveMs,
            holdUntilFirstChunk: hold,
            classify,
          })
        : pumpStream({
            body: res.body,
            decoder: codecFor(upstreamFormat).createStreamDecoder(x.ctx),
            encoder: codecFor(x.call.format).createStreamEncoder(x.ctx),
            sink,
            signal: x.res.signal,
            keepaliveMs,
            // A Gemini JSON-array stream cannot carry SSE comments; whitespace between elements is valid.
            keepaliveChunk: framing === 'json-array' ? '\n' : undefined,
            holdUntilFirstChunk: hold,
            classify,
          });
    try {
      const r = await stream();
      const failure: StreamFailure = r.error ?? {
        status: 502,
        type: 'api_error',
        message: 'The upstream stream failed',
      };
      switch (r.outcome) {
        case 'completed':
          this.candidates.reportSuccess(cand);
          x.outcome.usage = r.usage;
          x.outcome.status = 200;
          x.outcome.failed = false;
          return 'done';
        case 'client_abort':
          x.outcome.usage = partialUsage(r.usage, this.estimateFor(x, r.usage), r.outputChars);
          return this.clientGone(x.outcome);
        case 'upstream_error':
          x.outcome.usage = partialUsage(r.usage, this.estimateFor(x, r.usage), r.outputChars);
          x.outcome.status = failure.status;
          x.outcome.errorClass = 'upstream_stream_error';
          x.outcome.errorMessage = failure.message;
          await this.failed(cand, noteFailure(x.outcome, attemptFailure(failure)));
          return 'done';
        case 'failed_before_first_byte':
          break;
      }
      res.body.destroy();
      return { ...(await this.failed(cand, attemptFailure(failure))), earlyStream: true };
    } finally {
      if (opened) {
        this.metrics.openStreams.dec();
        x.res.end();
      }
    }
  }

  /** Log an error answer the gateway made itself (see logGatewayError). */
  private logRefusal(
    req: FastifyRequest,
    call: ClientCall,
    model: string,
    status: number,
    reason: string,
  ): void {
    logGatewayError(this.logger, {
      requestId: String(req.id),
      route: call.route,
      model,
      status,
      reason,
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
      `request ${String(x.req.id)}: the ${target} upstream cannot carry ${notes.join(', ')} of the ${ir.sourceFormat} body; left out`,
    );
  }

  /** Report a failed attempt for cooldown bookkeeping and metrics. */
  private async failed(cand: Candidate, f: AttemptFailure): Promise<AttemptFailure> {
    await this.candidates.reportFailure(cand, f.status, f.retryAfterSec, f.error.message);
    this.metrics.countUpstreamError(upstreamName(cand), f.status);
    return f;
  }

  /** A 2xx whose body could not be read or parsed. */
  private unreadable(err: unknown, cand: Candidate, x: Exchange): AttemptFailure {
    if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
      return transportFailure(err, upstreamName(cand), this.timeouts(x));
    }
    const message = `Upstream ${upstreamName(cand)} returned an unreadable response: ${(err as Error).message}`;
    return { status: 502, error: { status: 502, type: 'api_error', message }, body: '' };
  }

  private timeouts(x: Exchange): { headerSeconds: number; idleSeconds: number } {
    const t = x.cfg['upstream-timeouts'];
    return { headerSeconds: t['header-seconds'], idleSeconds: t['idle-seconds'] };
  }

  private clientGone(outcome: Outcome): 'done' {
    outcome.status = 499;
    outcome.failed = true;
    outcome.errorClass = 'client_abort';
    outcome.errorMessage = 'The client closed the connection before the answer was complete';
    return 'done';
  }

  /** Answer with a gateway-made error in the client's format. */
  private refuse(x: Exchange, e: AppError): void {
    x.outcome.status = e.status;
    x.outcome.errorClass = e.code ?? e.type;
    x.outcome.errorMessage = e.message;
    this.logRefusal(x.req, x.call, x.model, e.status, e.message);
    x.res.sendJson(e.status, renderGatewayError(errorFormatOf(x.call.format), e), e.headers);
  }

  /** Relay the last upstream failure: its status and message, in the client's format. */
  private sendFailure(x: Exchange, f: AttemptFailure): void {
    x.outcome.status = f.status;
    x.outcome.errorClass = f.error.type;
    x.outcome.errorMessage = f.error.message;
    // No upstream answered (transport failure, a request no upstream can take): the gateway's own.
    if (f.transport || !x.outcome.upstream) {
      this.logRefusal(x.req, x.call, x.model, f.status, f.error.message);
    }
    const headers: Record<string, string> = {};
    if (f.retryAfterSec !== undefined && f.retryAfterSec > 0) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(f.retryAfterSec)));
    }
    x.res.sendJson(f.status, f.relayBody ?? renderUpstreamError(x.call.format, f.error), headers);
  }

  private finish(
    req: FastifyRequest,
    call: ClientCall,
    who: ClientIdentity,
    o: Outcome,
    started: number,
    endedAt: number = Date.now(),
  ): void {
    const c = o.candidate;
    const rec: UsageRecord = {
      requestId: String(req.id),
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
  private recordExchange(
    req: FastifyRequest,
    res: ClientResponse,
    o: Outcome,
    started: number,
  ): void {
    if (!this.exchanges) return;
    const clientAborted = o.errorClass === 'client_abort';
    const failed = (o.failed && !clientAborted) || o.upstreamFailure !== undefined;
    if (!failed && !o.captureBodies) return;
    const exchange: ProxyExchange = {
      requestId: String(req.id),
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

/** Answer a request a per-key limit refused; it still gets its usage record. */
function refuseByLimit(
  res: ClientResponse,
  format: ErrorFormat,
  outcome: Outcome,
  model: string,
  e: AppError,
): void {
  outcome.model = model;
  outcome.status = e.status;
  outcome.errorClass = e.code ?? e.type;
  outcome.errorMessage = e.message;
  res.sendJson(e.status, renderGatewayError(format, e), e.headers);
}

/** Add an attempt to the request's trail: how the credential answered, and how long it took. */
function noteAttempt(o: Outcome, c: Candidate, r: AttemptResult, durationMs: number): void {
  const note: AttemptNote = {
    kind: 'attempt',
    authIndex: c.authIndex,
    source: c.label,
    provider: upstreamName(c),
    // A transport failure (reset, timeout) got no answer at all.
    status: r === 'done' ? o.status : r.transport ? 0 : r.status,
    durationMs,
  };
  if (r !== 'done') {
    note.message = r.error.message;
    note.errorType = r.error.type;
  } else if (o.failed && o.status !== 499) {
    // A stream the upstream cut after it started: the attempt failed though the client was answered.
    note.errorType = o.errorClass;
    note.message = o.errorMessage;
  }
  o.trail.push(note);
}

/** Remember a failed upstream call for the logs (references only); returns the failure. */
function noteFailure(o: Outcome, f: AttemptFailure): AttemptFailure {
  // Without an upstream call (the request could not be built for it) there is no upstream error.
  if (!o.upstream) return f;
  o.upstreamFailure = f.transport
    ? { request: o.upstream, body: '', transportError: f.error.message }
    : { request: o.upstream, status: f.status, body: f.body };
  return f;
}

/** Parse the body once: the IR, or why it cannot be read. */
function parseOnce(x: Exchange): { ir: IRRequest | undefined } | { error: TranslationError } {
  try {
    return { ir: parseRequest(x.call, x.body, x.ctx) };
  } catch (err) {
    return {
      error:
        err instanceof TranslationError
          ? err
          : new TranslationError('Request body is not valid for this endpoint'),
    };
  }
}

/** Parse the client body for its action (count-tokens bodies have their own shape). */
function parseRequest(
  call: ClientCall,
  body: Record<string, unknown>,
  ctx: TranslationContext,
): IRRequest | undefined {
  if (call.action === 'compact') return undefined;
  if (call.action === 'count_tokens') {
    if (call.format === 'claude') return applyModelSuffix(parseClaudeCountTokensRequest(body, ctx));
    if (call.format === 'gemini') return applyModelSuffix(parseGeminiCountTokensRequest(body, ctx));
  }
  return parseClientRequest(call.format, body, ctx);
}

/** Collect a streaming-only upstream (Codex) into one response for a non-stream client. */
async function collectStream(
  body: Dispatcher.ResponseData['body'],
  format: WireFormat,
  ctx: TranslationContext,
): Promise<IRResponse> {
  const collector = new StreamCollector(ctx);
  const decoder = codecFor(format).createStreamDecoder(ctx);
  const parser = new SSEParser();
  const text = new TextDecoder();
  let finished = false;
  const feed = (events: ReturnType<typeof decoder.push>): void => {
    for (const ev of events) {
      if (ev.type === 'finish' || ev.type === 'error') finished = true;
      collector.push(ev);
    }
  };
  for await (const chunk of body) {
    for (const ev of parser.push(text.decode(chunk as Buffer, { stream: true }))) {
      feed(decoder.push(ev));
    }
  }
  for (const ev of parser.end()) feed(decoder.push(ev));
  if (!finished) {
    throw new StreamCollectError(
      502,
      'api_error',
      'The upstream stream ended before the response was complete',
    );
  }
  feed(decoder.end());
  return collector.result();
}

function streamFailure(f: AttemptFailure): StreamFailure {
  return { status: f.status, type: f.error.type, message: f.error.message };
}

function attemptFailure(f: StreamFailure): AttemptFailure {
  return {
    status: f.status,
    error: { status: f.status, type: f.type, message: f.message },
    body: f.message,
  };
}

/**
 * Usage of a stream cut short: what the upstream reported so far, with the input estimated when
 * it reported none and the output at least what was seen (about 4 characters per token).
 */
export function partialUsage(
  seen: IRUsage | undefined,
  /** The parsed request to estimate from, or an input estimate already made. */
  request: IRRequest | number | undefined,
  outputChars: number,
): IRUsage {
  const estimate = (): number =>
    typeof request === 'number' ? request : request ? estimateTokens(request) : 0;
  const input = seen?.inputTokens || estimate();
  const output = Math.max(seen?.outputTokens ?? 0, Math.ceil(outputChars / 4));
  return {
    inputTokens: input,
    outputTokens: output,
    reasoningTokens: seen?.reasoningTokens ?? 0,
    cachedTokens: seen?.cachedTokens ?? 0,
    totalTokens: input + output,
  };
}

/** Wait `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSource): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = onAbort(signal, done);
  });
}
