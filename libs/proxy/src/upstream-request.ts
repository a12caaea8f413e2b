import { AppError, maskKey } from '@app/common';
import type { Dispatcher } from 'undici';
import type { AppConfig } from '@app/config';
import {
  codecFor,
  encodeRequest,
  type IRRequest,
  type ProviderAdapter,
  type TranslationContext,
  type UpstreamCall,
  type WireError,
  type WireFormat,
  buildCompactRequest,
} from '@app/llm';
import type { Candidate } from '@app/proxy/candidate-source';
import { countTokensBody } from '@app/proxy/count-tokens';
import type { ClientCall } from '@app/proxy/client-routes';
import type { PayloadRules } from '@app/proxy/payload-rules';
import type { UpstreamRequest } from '@app/upstream';

/** An attempt that failed before anything reached the client: what to report and relay. */
export interface AttemptFailure {
  status: number;
  error: WireError;
  /** The upstream's retry hint in seconds (Retry-After, RetryInfo, resets_in_seconds). */
  retryAfterSec?: number;
  /** Raw upstream error body ('' for transport failures): the retry policy reads it. */
  body: string;
  /** The upstream never answered with a status (connect error, reset, timeout). */
  transport?: boolean;
  /**
   * The upstream's own error body, for a client of the same wire format: relayed as it came
   * (secrets masked), so fields clients act on (Anthropic's `error.details.error_code`,
   * `request_id`) reach them.
   */
  relayBody?: string;
}

/** Max bytes of an upstream error body read (the rest is dropped). */
export const MAX_ERROR_BODY = 64 * 1024;

/** The upstream body for an action: translated generation, count-tokens, or compact. */
function upstreamBody(
  call: ClientCall,
  ir: IRRequest | undefined,
  rawBody: Record<string, unknown>,
  ctx: TranslationContext,
  cand: Candidate,
  format: WireFormat,
  streams: boolean,
): Record<string, unknown> {
  if (call.action === 'compact') return buildCompactRequest(rawBody, format, ctx);
  if (!ir) throw new Error(`${call.action} needs a parsed request`);
  // The thinking suffix (`model(high)`) already became reasoning settings in the IR.
  const model = cand.stateModel;
  if (call.action === 'count_tokens') return countTokensBody(format, { ...ir, model }, ctx);
  // ctx.upstreamModel is the candidate's model: encodeRequest sends it.
  return encodeRequest(format, ir, ctx, streams);
}

/** Build the upstream call of one attempt (URL, headers, body). */
export function buildUpstreamRequest(
  call: ClientCall,
  ir: IRRequest | undefined,
  rawBody: Record<string, unknown>,
  ctx: TranslationContext,
  cand: Candidate,
  adapter: ProviderAdapter,
  clientStreams: boolean,
  requestId: string,
  /** `payload:` rules of the config version serving the request. */
  rules?: PayloadRules,
): UpstreamRequest {
  const generate = call.action === 'generate';
  const streams = generate && (clientStreams || adapter.alwaysStreams);
  const target: UpstreamCall = {
    baseUrl: cand.baseUrl,
    model: cand.stateModel,
    stream: streams,
    action: call.action,
    token: cand.token,
    oauth: cand.oauth,
    headers: cand.headers,
    accountId: cand.accountId,
    project: cand.project,
    location: cand.location,
  };
  let body = upstreamBody(call, ir, rawBody, ctx, cand, adapter.format, streams);
  if (rules && !rules.empty) {
    body = rules.apply(body, {
      model: cand.stateModel,
      requestedModel: ctx.requestedModel,
      format: adapter.format,
    });
  }
  const headers = adapter.headers(target);
  // Streaming-only upstreams still answer compact and count calls with plain JSON.
  if (!streams) headers.accept = 'application/json';
  headers['x-request-id'] = requestId;
  return { url: adapter.url(target), headers, body: JSON.stringify(body), streams };
}

/** Read at most `max` bytes of a body as text (the rest is discarded). */
export async function readCapped(
  body: Dispatcher.ResponseData['body'],
  max = MAX_ERROR_BODY,
): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    if (size + b.length > max) {
      parts.push(b.subarray(0, max - size));
      body.destroy();
      break;
    }
    parts.push(b);
    size += b.length;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** An upstream error response → the failure to report and relay. */
export function upstreamFailure(
  adapter: ProviderAdapter,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  rawText: string,
  token?: string,
): AttemptFailure {
  // Upstreams quote the credential they were sent ("Incorrect API key provided: sk-…"): the exact
  // token goes before anything else sees the text, whatever its shape (pattern masking is later).
  const text = token && token.length >= 8 ? rawText.split(token).join(maskKey(token)) : rawText;
  let error: WireError;
  try {
    error = codecFor(adapter.format).parseError(status, text);
  } catch {
    error = {
      status,
      type: status === 429 ? 'rate_limit_error' : 'api_error',
      message: text.slice(0, 500) || `HTTP ${status}`,
    };
  }
  // The relayed status is the upstream's, whatever its body says.
  error.status = status;
  return {
    status,
    error,
    body: text,
    retryAfterSec: adapter.retryAfterSeconds(status, headers, text),
  };
}

/** The error code undici puts on its errors. */
function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The timeouts a transport failure's message names. */
export type Timeouts = { headerSeconds: number; idleSeconds: number };

/** The configured upstream timeouts, for failure messages. */
export function timeoutsOf(cfg: Readonly<AppConfig>): Timeouts {
  const t = cfg['upstream-timeouts'];
  return { headerSeconds: t['header-seconds'], idleSeconds: t['idle-seconds'] };
}

/** undici's timeout errors, by code, and what to tell the client about each. */
const TIMEOUT_MESSAGES: Readonly<
  Record<string, ((provider: string, t: Timeouts) => string) | undefined>
> = {
  UND_ERR_HEADERS_TIMEOUT: (p, t) =>
    `Upstream ${p} did not answer within ${t.headerSeconds} s (upstream-timeouts.header-seconds)`,
  UND_ERR_BODY_TIMEOUT: (p, t) =>
    `Upstream ${p} sent nothing for ${t.idleSeconds} s (upstream-timeouts.idle-seconds)`,
  UND_ERR_CONNECT_TIMEOUT: (p) => `Could not connect to upstream ${p} in time`,
};

/** Status and message for a failed read or connect (timeouts → 504, everything else → 502). */
export function transportFailure(
  err: unknown,
  provider: string,
  timeouts: Timeouts,
): AttemptFailure {
  const timeout = TIMEOUT_MESSAGES[errorCode(err) ?? ''];
  const error = timeout
    ? AppError.of('UPSTREAM_TIMEOUT', { detail: timeout(provider, timeouts) })
    : AppError.of('UPSTREAM_FAILED', {
        upstream: provider,
        detail: err instanceof Error ? err.message : String(err),
      });
  return { status: error.status, error: error.toWire(), body: '', transport: true };
}

/** A 2xx whose body could not be read (a transport failure) or parsed (502). */
export function unreadable(err: unknown, provider: string, timeouts: Timeouts): AttemptFailure {
  if (err instanceof Error && errorCode(err) !== undefined)
    return transportFailure(err, provider, timeouts);
  const error = AppError.of('UPSTREAM_UNREADABLE', {
    upstream: provider,
    detail: (err as Error).message,
  });
  return { status: error.status, error: error.toWire(), body: '' };
}
