import type { IRUsage, WireFormat } from '@app/llm';

/** Token counts of one request (CLIProxyAPI's names). */
export interface UsageTokens {
  input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  total_tokens: number;
}

/**
 * One step of a request's way through the credentials, for the request log's detail view: an
 * attempt on a credential (its upstream status and message), or a wait for a cooldown to end.
 */
export type AttemptNote =
  | {
      kind: 'attempt';
      authIndex: string;
      /** Credential label (email or masked key), never a secret. */
      source: string;
      provider: string;
      /** Upstream status (0: no answer, such as a reset or timeout). */
      status: number;
      /** The upstream's or the gateway's message for a failed attempt. */
      message?: string;
      errorType?: string;
      durationMs: number;
    }
  | { kind: 'wait'; seconds: number };

/** One finished request — success or failure, stream or not — as the usage hook reports it. */
export interface UsageRecord {
  requestId: string;
  /** ISO-8601 with nanoseconds (the import de-duplication key includes it). */
  timestamp: string;
  /** Masked client key, or the route when the proxy is open. */
  api: string;
  /** Short stable id of the client key ('' when open). */
  clientKeyId: string;
  /** Model as the client asked for it. */
  model: string;
  /** Model sent upstream. */
  upstreamModel: string;
  provider: string;
  /** Credential label (email or masked key). */
  source: string;
  authIndex: string;
  credentialId: string;
  clientFormat: WireFormat;
  route: string;
  stream: boolean;
  status: number;
  failed: boolean;
  /** Normalised error class for failures (rate_limit_error, upstream_error, client_abort…). */
  errorClass?: string;
  latencyMs: number;
  /** Time to the first byte sent to the client (streams). */
  ttfbMs?: number;
  attempts: number;
  /** Every attempt and cooldown wait, in order (the request log keeps it for failures). */
  trail?: readonly AttemptNote[];
  /** What the client was told, for failures. */
  errorMessage?: string;
  tokens: UsageTokens;
  /** Path and query the client called (credential parameters masked), for the request log. */
  url?: string;
  /** The client's address, for the request log. */
  remoteAddr?: string;
}

export const ZERO_TOKENS: Readonly<UsageTokens> = {
  input_tokens: 0,
  output_tokens: 0,
  reasoning_tokens: 0,
  cached_tokens: 0,
  total_tokens: 0,
};

/** IR usage → usage-record tokens. */
export function tokensFromUsage(u: IRUsage | undefined): UsageTokens {
  if (!u) return { ...ZERO_TOKENS };
  return {
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    reasoning_tokens: u.reasoningTokens,
    cached_tokens: u.cachedTokens,
    total_tokens: u.totalTokens || u.inputTokens + u.outputTokens,
  };
}

// Formatting a Date costs about as much as the rest of a usage record: reuse the text up to the
// second (`YYYY-MM-DDTHH:MM:SS.`), which every request in the same second shares.
let secondStartMs = Number.NaN;
let secondPrefix = '';

/**
 * ISO timestamp with nanosecond digits: the clock's milliseconds, then the sub-millisecond digits
 * of the high-resolution clock (`nanos` is its nanosecond part; only `nanos % 1e6` is used).
 */
export function nanoTimestamp(nowMs = Date.now(), nanos = process.hrtime()[1]): string {
  const subMs = nanos % 1_000_000;
  const msInSecond = nowMs % 1000;
  if (!Number.isInteger(nowMs) || msInSecond < 0) {
    // Fractional or pre-1970 clocks never come from Date.now(): take the plain road.
    const iso = new Date(nowMs).toISOString();
    return `${iso.slice(0, -1)}${String(subMs).padStart(6, '0')}Z`;
  }
  const start = nowMs - msInSecond;
  if (start !== secondStartMs) {
    secondPrefix = new Date(start).toISOString().slice(0, -4); // keep "…:SS."
    secondStartMs = start;
  }
  // 1e9 + fraction has ten digits: dropping the leading 1 zero-pads the nine fraction digits.
  return `${secondPrefix}${String(1e9 + msInSecond * 1e6 + subMs).slice(1)}Z`;
}

/**
 * The usage hook's port: the proxy calls `record` once per finished request, off the response
 * path (it must not throw or block). ProxyModule fans it out to the usage store, the request
 * log, the per-key limits and the panel's traffic counters (FanOutUsageRecorder).
 */
export abstract class UsageRecorder {
  abstract record(rec: UsageRecord): void;
}

/** Anything that takes usage records (the usage store, the request log, …). */
export interface UsageSink {
  record(rec: UsageRecord): void;
}

/**
 * The usage hook fanned out to several sinks; one failing sink never stops the others nor
 * reaches the request path.
 */
export class FanOutUsageRecorder extends UsageRecorder {
  constructor(private readonly sinks: readonly UsageSink[]) {
    super();
  }

  record(rec: UsageRecord): void {
    for (const sink of this.sinks) {
      try {
        sink.record(rec);
      } catch {
        // Sinks buffer and report their own failures; the proxy must not see them.
      }
    }
  }
}
