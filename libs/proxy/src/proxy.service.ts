import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { ConfigService, type AppConfig } from '@app/config';
import {
  AppError,
  keyId,
  maskKey,
  matchesAny,
  renderError,
  type ErrorFormat,
  type RenderableError,
} from '@app/common';
import {
  codecFor,
  createContext,
  parseClientRequest,
  providerFor,
  SSEParser,
  StreamCollector,
  StreamTranslator,
  TranslationError,
  estimateTokens,
  isRecord,
  type IRRequest,
  type IRUsage,
  type TranslationContext,
  type WireError,
  type WireFormat,
} from '@app/llm';
import { UpstreamHttp } from '@app/upstream';
import { CandidateSource, type Candidate } from '@app/proxy/candidate-source';
import type { ClientCall } from '@app/proxy/client-routes';
import { pumpStream, type ClientSink } from '@app/proxy/stream-pump';
import { isRetryableStatus } from '@app/proxy/retry.policy';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import {
  nanoTimestamp,
  tokensFromUsage,
  UsageRecorder,
  type UsageRecord,
} from '@app/proxy/usage.types';

/** The error format of each client wire format. */
export function errorFormatOf(format: WireFormat): ErrorFormat {
  switch (format) {
    case 'claude':
      return 'claude';
    case 'gemini':
    case 'gemini-cli':
    case 'antigravity':
      return 'gemini';
    case 'openai':
    case 'openai-completions':
    case 'openai-responses':
    case 'codex':
      return 'openai';
  }
}

/** Who is calling, from the client key. */
interface ClientIdentity {
  /** Usage key: the masked client key, or the route when access is open. */
  api: string;
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
  ttfbMs?: number;
  model: string;
  stream: boolean;
}

/** A failed attempt whose error may go back to the client. */
interface AttemptError {
  status: number;
  error: WireError;
  /** The upstream format the error body came in (undefined = gateway-made). */
  retryAfterSec?: number;
}

/** Max bytes of an upstream error body we read. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * The proxy pipeline for one client request: authenticate, parse, plan credentials, try them in
 * order (failover before the first byte), translate, deliver (whole or streamed), and report one
 * usage record whatever happened.
 */
@Injectable()
export class ProxyService {
  private readonly logger = new Logger('Proxy');
  private paused = false;

  constructor(
    private readonly config: ConfigService,
    private readonly candidates: CandidateSource,
    private readonly http: UpstreamHttp,
    private readonly usage: UsageRecorder,
    private readonly metrics: ProxyMetrics,
  ) {}

  /** Pause or resume proxy traffic (control API / cluster stop). */
  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Check the client key; undefined when it is missing or wrong (caller answers 401). */
  identify(req: FastifyRequest, keys: readonly string[], route: string): ClientIdentity | undefined {
    if (keys.length === 0) return { api: route, keyId: '' };
    const key = extractKey(req);
    if (!key || !matchesAny(key, keys)) return undefined;
    return { api: maskKey(key), keyId: keyId(key) };
  }

  /** Handle one proxied request end to end. */
  async handle(req: FastifyRequest, reply: FastifyReply, call: ClientCall): Promise<void> {
    const started = Date.now();
    const cfg = this.config.current;
    const errFormat = errorFormatOf(call.format);
    if (this.paused) {
      return this.sendGatewayError(reply, errFormat, AppError.of('SERVICE_UNAVAILABLE', {
        reason: 'Proxy traffic is paused by an operator; retry later',
      }), { 'retry-after': '30' });
    }
    const who = this.identify(req, cfg['api-keys'], call.route);
    if (!who) return this.sendGatewayError(reply, errFormat, AppError.of('AUTH_INVALID_KEY'));

    const outcome: Outcome = {
      status: 0,
      failed: true,
      attempts: 0,
      model: call.model ?? '',
      stream: call.stream ?? false,
    };
    this.metrics.inFlight.inc();
    try {
      await this.serve(req, reply, call, cfg, outcome, started);
    } catch (err) {
      outcome.status = outcome.status || 500;
      outcome.errorClass = outcome.errorClass ?? 'internal_error';
      this.logger.error(`request ${String(req.id)} failed: ${(err as Error)?.stack ?? String(err)}`);
      if (!reply.sent && !reply.raw.headersSent) {
        this.sendGatewayError(reply, errFormat, AppError.of('INTERNAL'));
      } else if (!reply.raw.writableEnded) {
        reply.raw.end();
      }
    } finally {
      this.metrics.inFlight.dec();
      this.finish(req, call, who, outcome, started);
    }
  }

  private async serve(
    req: FastifyRequest,
    reply: FastifyReply,
    call: ClientCall,
    cfg: Readonly<AppConfig>,
    outcome: Outcome,
    started: number,
  ): Promise<void> {
    const errFormat = errorFormatOf(call.format);
    const body: unknown = req.body;
    if (!isRecord(body)) {
      outcome.status = 400;
      outcome.errorClass = 'invalid_request_error';
      return this.sendGatewayError(reply, errFormat, AppError.of('INVALID_REQUEST', {
        detail: 'Request body must be a JSON object',
      }));
    }

    // Parse the client request into the IR once; it also validates the body.
    const ctx = createContext({ upstreamModel: call.model ?? '', requestedModel: call.model ?? '' });
    ctx.stream = call.stream;
    ctx.geminiStreamMode = call.geminiAlt;
    let ir: IRRequest;
    try {
      ir = parseClientRequest(call.format, body, ctx);
    } catch (err) {
      outcome.status = 400;
      outcome.errorClass = 'invalid_request_error';
      const detail = err instanceof TranslationError ? err.message : 'Request body is not valid for this endpoint';
      return this.sendGatewayError(reply, errFormat, AppError.of('INVALID_REQUEST', { detail }));
    }
    const requestedModel = call.model ?? (typeof body.model === 'string' ? body.model : ir.model);
    outcome.model = requestedModel;
    outcome.stream = call.action === 'generate' && ir.stream;
    if (!requestedModel) {
      outcome.status = 400;
      outcome.errorClass = 'invalid_request_error';
      return this.sendGatewayError(reply, errFormat, AppError.of('INVALID_REQUEST', { detail: 'model is required' }));
    }
    ctx.requestedModel = requestedModel;

    // Client disconnects abort the upstream request at once.
    const abort = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) abort.abort();
    };
    reply.raw.once('close', onClose);

    const maxCreds = cfg['max-retry-credentials'] > 0 ? cfg['max-retry-credentials'] : Infinity;
    const rounds = 1 + Math.max(0, cfg['request-retry']);
    let lastError: AttemptError | undefined;
    for (let round = 0; round < rounds; round++) {
      const plan = await this.candidates.plan(requestedModel, { provider: call.provider });
      if (plan.kind === 'none') {
        outcome.status = 503;
        outcome.errorClass = 'no_credentials';
        return this.sendGatewayError(reply, errFormat, AppError.of('NO_CREDENTIALS', { model: requestedModel }));
      }
      if (plan.kind === 'cooldown') {
        const wait = plan.retryAfterSec;
        if (round + 1 < rounds && wait <= cfg['max-retry-interval']) {
          await sleep(wait * 1000, abort.signal);
          if (abort.signal.aborted) {
            this.clientGone(outcome);
            return;
          }
          continue;
        }
        outcome.status = 429;
        outcome.errorClass = 'model_cooldown';
        const seconds = Math.max(1, Math.ceil(wait));
        return this.sendGatewayError(
          reply,
          errFormat,
          AppError.of('MODEL_COOLDOWN', { model: requestedModel }, { details: { reset_seconds: seconds } }),
          { 'retry-after': String(seconds) },
        );
      }
      let tried = 0;
      for (const cand of plan.candidates) {
        if (tried >= maxCreds) break;
        if (abort.signal.aborted) {
          this.clientGone(outcome);
          return;
        }
        tried++;
        outcome.attempts++;
        outcome.candidate = cand;
        const result = await this.attempt(req, reply, call, ir, ctx, cand, abort, outcome, started);
        if (result === 'done') return;
        lastError = result;
        if (!isRetryableStatus(result.status, result.error)) break;
        if (outcome.attempts > 1) this.metrics.failovers.inc({ provider: cand.provider });
      }
      if (lastError && !isRetryableStatus(lastError.status, lastError.error)) break;
      if (lastError && ![403, 408, 500, 502, 503, 504, 429].includes(lastError.status)) break;
    }
    const e = lastError ?? { status: 502, error: { status: 502, type: 'api_error', message: 'No upstream answered' } };
    outcome.status = e.status;
    outcome.errorClass = e.error.type;
    const headers: Record<string, string> = {};
    if (e.retryAfterSec !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfterSec)));
    this.sendUpstreamError(reply, call.format, e, headers);
  }

  /**
   * One try against one credential. Returns 'done' when the client has been answered (success,
   * or a stream already started), otherwise the error to fail over from.
   */
  private async attempt(
    req: FastifyRequest,
    reply: FastifyReply,
    call: ClientCall,
    ir: IRRequest,
    ctx: TranslationContext,
    cand: Candidate,
    abort: AbortController,
    outcome: Outcome,
    started: number,
  ): Promise<'done' | AttemptError> {
    const adapter = providerFor(cand.provider);
    const upstreamFormat = adapter.format;
    ctx.upstreamModel = cand.upstreamModel;
    ctx.project = cand.project;
    ctx.toolNameMap.clear();

    // Token counting: native when the upstream speaks the client's format, else estimated.
    if (call.action === 'count_tokens') {
      if (!(adapter.countsTokens && upstreamFormat === call.format)) {
        const n = estimateTokens(ir);
        outcome.status = 200;
        outcome.failed = false;
        outcome.usage = undefined;
        void reply.send(call.format === 'claude' ? { input_tokens: n } : { totalTokens: n });
        return 'done';
      }
    }

    const clientStreams = call.action === 'generate' && ir.stream;
    const upstreamStreams = call.action === 'generate' && (clientStreams || adapter.alwaysStreams);
    const upstreamBody = codecFor(upstreamFormat).buildRequest(
      { ...ir, model: cand.upstreamModel, stream: upstreamStreams },
      ctx,
    );
    const url = adapter.url({
      baseUrl: cand.baseUrl,
      model: cand.upstreamModel,
      stream: upstreamStreams,
      action: call.action,
      token: cand.token,
      oauth: cand.oauth,
      headers: cand.headers,
      accountId: cand.accountId,
      project: cand.project,
      location: cand.location,
    });
    const headers = adapter.headers({
      model: cand.upstreamModel,
      stream: upstreamStreams,
      action: call.action,
      token: cand.token,
      oauth: cand.oauth,
      headers: cand.headers,
      accountId: cand.accountId,
      project: cand.project,
      location: cand.location,
    });
    headers['x-request-id'] = String(req.id);

    const t0 = Date.now();
    let res: Dispatcher.ResponseData;
    try {
      res = await this.http.request(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(upstreamBody),
        signal: abort.signal,
        proxyUrl: cand.proxyUrl,
      });
    } catch (err) {
      if (abort.signal.aborted) {
        this.clientGone(outcome);
        return 'done';
      }
      const message = `Upstream ${cand.provider} is unreachable: ${(err as Error).message}`;
      await this.candidates.reportFailure(cand, 502, undefined, message);
      this.metrics.upstreamErrors.inc({ provider: cand.provider, status: '502' });
      return { status: 502, error: { status: 502, type: 'api_error', message } };
    }
    this.metrics.upstreamTtfb.observe({ provider: cand.provider }, (Date.now() - t0) / 1000);

    if (res.statusCode >= 400) {
      const text = await readCapped(res.body, MAX_ERROR_BODY);
      const retryAfterSec = adapter.retryAfterSeconds(res.statusCode, res.headers, text);
      const error = safeParseError(upstreamFormat, res.statusCode, text);
      await this.candidates.reportFailure(cand, res.statusCode, retryAfterSec, error.message);
      this.metrics.upstreamErrors.inc({ provider: cand.provider, status: String(res.statusCode) });
      return { status: res.statusCode, error, retryAfterSec };
    }

    // Success from here on: the client is answered by this attempt.
    this.candidates.reportSuccess(cand);
    if (clientStreams) {
      await this.deliverStream(reply, call, upstreamFormat, res, ctx, abort, outcome, started);
    } else {
      await this.deliverWhole(reply, call, upstreamFormat, upstreamStreams, res, ctx, abort, outcome);
    }
    return 'done';
  }

  private async deliverWhole(
    reply: FastifyReply,
    call: ClientCall,
    upstreamFormat: WireFormat,
    upstreamStreamed: boolean,
    res: Dispatcher.ResponseData,
    ctx: TranslationContext,
    abort: AbortController,
    outcome: Outcome,
  ): Promise<void> {
    let payload: Record<string, unknown>;
    try {
      if (upstreamStreamed) {
        // The upstream only streams (Codex): collect the stream into one response.
        const collector = new StreamCollector(ctx);
        const decoder = codecFor(upstreamFormat).createStreamDecoder(ctx);
        const parser = new SSEParser();
        const text = new TextDecoder();
        for await (const chunk of res.body) {
          for (const ev of parser.push(text.decode(chunk as Buffer, { stream: true }))) {
            for (const irEv of decoder.push(ev)) collector.push(irEv);
          }
        }
        for (const ev of parser.end()) for (const irEv of decoder.push(ev)) collector.push(irEv);
        for (const irEv of decoder.end()) collector.push(irEv);
        const irRes = collector.result();
        outcome.usage = irRes.usage;
        payload = codecFor(call.format).buildResponse({ ...irRes, model: ctx.requestedModel }, ctx);
      } else {
        const text = await res.body.text();
        const json: unknown = JSON.parse(text);
        if (call.action === 'count_tokens') {
          outcome.status = 200;
          outcome.failed = false;
          void reply.header('content-type', 'application/json').send(text);
          return;
        }
        const irRes = codecFor(upstreamFormat).parseResponse(json, ctx);
        outcome.usage = irRes.usage;
        payload = codecFor(call.format).buildResponse({ ...irRes, model: ctx.requestedModel }, ctx);
      }
    } catch (err) {
      if (abort.signal.aborted) return void this.clientGone(outcome);
      outcome.status = 502;
      outcome.errorClass = 'upstream_error';
      const message = `Upstream returned an unreadable response: ${(err as Error).message}`;
      this.sendUpstreamError(reply, call.format, { status: 502, error: { status: 502, type: 'api_error', message } }, {});
      return;
    }
    outcome.status = 200;
    outcome.failed = false;
    void reply.header('content-type', 'application/json').send(JSON.stringify(payload));
  }

  private async deliverStream(
    reply: FastifyReply,
    call: ClientCall,
    upstreamFormat: WireFormat,
    res: Dispatcher.ResponseData,
    ctx: TranslationContext,
    abort: AbortController,
    outcome: Outcome,
    started: number,
  ): Promise<void> {
    const cfg = this.config.current;
    const translator = new StreamTranslator(upstreamFormat, call.format, ctx);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': translator.contentType,
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(reply.request.id),
    });
    raw.flushHeaders();
    outcome.ttfbMs = Date.now() - started;
    this.metrics.openStreams.inc();
    const sink = rawSink(raw);
    try {
      const result = await pumpStream({
        body: res.body,
        translator,
        sink,
        signal: abort.signal,
        keepaliveMs: translator.contentType.startsWith('text/event-stream')
          ? (cfg.streaming?.['keepalive-seconds'] ?? 0) * 1000
          : 0,
      });
      outcome.usage = result.usage;
      if (result.outcome === 'client_abort') {
        abort.abort();
        this.clientGone(outcome);
      } else if (result.outcome === 'upstream_error') {
        outcome.status = 502;
        outcome.errorClass = 'upstream_stream_error';
      } else {
        outcome.status = 200;
        outcome.failed = false;
      }
    } finally {
      this.metrics.openStreams.dec();
      if (!raw.writableEnded) raw.end();
    }
  }

  private clientGone(outcome: Outcome): 'done' {
    outcome.status = 499;
    outcome.failed = true;
    outcome.errorClass = 'client_abort';
    return 'done';
  }

  private sendGatewayError(
    reply: FastifyReply,
    format: ErrorFormat,
    e: AppError | RenderableError,
    headers: Record<string, string> = {},
  ): void {
    if (reply.sent) return;
    const extra = e instanceof AppError ? e.headers : {};
    void reply
      .status(e.status)
      .headers({ ...extra, ...headers })
      .send(renderError(format, e));
  }

  private sendUpstreamError(
    reply: FastifyReply,
    clientFormat: WireFormat,
    e: AttemptError,
    headers: Record<string, string>,
  ): void {
    if (reply.sent) return;
    let body: Record<string, unknown>;
    try {
      body = codecFor(clientFormat).buildError(e.error);
    } catch {
      body = renderError(errorFormatOf(clientFormat), e.error);
    }
    void reply.status(e.status).headers(headers).send(body);
  }

  private finish(
    req: FastifyRequest,
    call: ClientCall,
    who: ClientIdentity,
    o: Outcome,
    started: number,
  ): void {
    const c = o.candidate;
    const rec: UsageRecord = {
      requestId: String(req.id),
      timestamp: nanoTimestamp(),
      api: who.api,
      clientKeyId: who.keyId,
      model: o.model,
      upstreamModel: c?.upstreamModel ?? o.model,
      provider: c?.provider ?? '',
      source: c?.label ?? '',
      authIndex: c?.authIndex ?? '',
      credentialId: c?.credentialId ?? '',
      clientFormat: call.format,
      route: call.route,
      stream: o.stream,
      status: o.status,
      failed: o.failed,
      errorClass: o.failed ? o.errorClass : undefined,
      latencyMs: Date.now() - started,
      ttfbMs: o.ttfbMs,
      attempts: o.attempts,
      tokens: tokensFromUsage(o.usage),
    };
    this.metrics.observe(rec);
    try {
      this.usage.record(rec);
    } catch (err) {
      this.logger.warn(`usage recorder failed: ${(err as Error).message}`);
    }
  }
}

/** Client key from the usual headers or `?key=`. */
function extractKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x) return x.trim();
  const g = req.headers['x-goog-api-key'];
  if (typeof g === 'string' && g) return g.trim();
  const q = (req.query as Record<string, unknown> | undefined)?.key;
  return typeof q === 'string' && q ? q : undefined;
}

function rawSink(raw: FastifyReply['raw']): ClientSink {
  let closed = false;
  raw.once('close', () => {
    closed = true;
  });
  return {
    write: (chunk) => raw.write(chunk),
    waitDrain: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        const done = () => {
          raw.off('drain', done);
          raw.off('close', done);
          resolve();
        };
        raw.once('drain', done);
        raw.once('close', done);
      }),
    get closed() {
      return closed || raw.destroyed;
    },
  };
}

async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    if (size + b.length > max) {
      parts.push(b.subarray(0, max - size));
      size = max;
      body.destroy();
      break;
    }
    parts.push(b);
    size += b.length;
  }
  return Buffer.concat(parts).toString('utf8');
}

function safeParseError(format: WireFormat, status: number, text: string): WireError {
  try {
    return codecFor(format).parseError(status, text);
  } catch {
    return { status, type: status === 429 ? 'rate_limit_error' : 'api_error', message: text.slice(0, 500) || `HTTP ${status}` };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
