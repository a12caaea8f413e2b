import { estimateTokens, type IRRequest, type IRUsage } from '@app/llm';
import { upstreamName, type Candidate } from '@app/proxy/candidate-source';
import type { ClientCall } from '@app/proxy/client-routes';
import type { StreamCapture } from '@app/proxy/exchange-capture';
import type { FailedUpstreamAttempt } from '@app/logs';
import type { AttemptFailure } from '@app/proxy/upstream-request';
import type { UpstreamRequest } from '@app/upstream';
import type { AttemptNote } from '@app/usage';

/** The outcome of one request, collected on the way for its usage record and the logs. */
export interface Outcome {
  status: number;
  failed: boolean;
  errorClass?: string;
  usage?: IRUsage;
  candidate?: Candidate;
  attempts: number;
  /** Each attempt and cooldown wait, for the request log's detail view (the panel's drawer). */
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

/** A fresh outcome: failed until something answered the client. */
export function newOutcome(call: ClientCall, captureBodies: boolean): Outcome {
  return {
    status: 0,
    failed: true,
    attempts: 0,
    trail: [],
    model: call.model ?? '',
    stream: call.stream ?? false,
    captureBodies,
    upstream: undefined,
    upstreamFailure: undefined,
    upstreamBody: undefined,
    streamCopy: undefined,
  };
}

/** The client went away before its answer was complete (not a failure of the gateway's). */
export function clientGone(o: Outcome): 'done' {
  o.status = 499;
  o.failed = true;
  o.errorClass = 'client_abort';
  o.errorMessage = 'The client closed the connection before the answer was complete';
  return 'done';
}

/** Add an attempt to the request's trail: how the credential answered, and how long it took. */
export function noteAttempt(
  o: Outcome,
  c: Candidate,
  r: 'done' | AttemptFailure,
  durationMs: number,
): void {
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
export function noteFailure(o: Outcome, f: AttemptFailure): AttemptFailure {
  // Without an upstream call (the request could not be built for it) there is no upstream error.
  if (!o.upstream) return f;
  o.upstreamFailure = f.transport
    ? { request: o.upstream, body: '', transportError: f.error.message }
    : { request: o.upstream, status: f.status, body: f.body };
  return f;
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
