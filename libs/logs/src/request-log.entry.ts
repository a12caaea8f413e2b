import type { AttemptNote, UsageRecord, UsageTokens } from '@app/usage';
import { maskSecrets } from '@app/logs/secret-mask';
import { numAt, readEntry, strAt } from '@app/logs/stream-entry';

/** One step of a request's way through the credentials, as the request log lists it. */
export type AttemptView =
  | {
      /** The credential's auth index. */
      auth_index: string;
      /** The credential's label (email or masked key). */
      source: string;
      provider: string;
      /** Upstream status; 0 when the upstream never answered (reset, timeout). */
      status: number;
      /** The upstream's (or gateway's) message when the attempt failed. */
      message?: string;
      error_type?: string;
      duration_ms: number;
    }
  | { wait_seconds: number };

/**
 * One proxied request in the shared request log, as the cluster API returns it: the
 * supervisor's fields (`id` … `remote_addr`) first, then what a gateway knows beyond them.
 */
export interface RequestLogEntry {
  /** Redis stream id (`<ms>-<seq>`): unique, ordered, usable as a cursor. */
  id: string;
  /** ISO-8601 time the request finished. */
  timestamp: string;
  method: string;
  /** The path the client called, with its query (secrets such as `key=` masked). */
  url: string;
  /** Provider the request was routed to ('' when it never reached one). */
  subdomain: string;
  status_code: number;
  duration_ms: number;
  /** The client's address (the socket peer, or the client behind a trusted proxy). */
  remote_addr: string;
  /** The gateway's request id (`x-request-id`). */
  request_id: string;
  /** Route pattern (`/v1/chat/completions`, `/v1beta/models/:modelAction`). */
  route: string;
  /** Model as the client asked for it. */
  model: string;
  /** Credential index (auth index) that served it. */
  auth_index: string;
  /** Masked client key (or the route when the proxy is open). */
  key: string;
  /** Short stable id of the client key ('' when open). */
  key_id: string;
  /** Gateway replica that served it. */
  process: string;
  stream: boolean;
  failed: boolean;
  /** Normalised error class for failures, null on success. */
  error_class: string | null;
  tokens: UsageTokens;
  /** Label of the credential that served it (email or masked key; '' when none did). */
  source: string;
  /**
   * Every attempt and cooldown wait, in order, when the request failed or took more than one
   * attempt; a clean first-try success has none (its one attempt is `source` and `status_code`).
   */
  attempts: AttemptView[];
  /** What the client was told, for failures ('' otherwise). */
  error_message: string;
}

/** Proxied generation routes are all POST. */
const PROXY_METHOD = 'POST';

/** Entry encoding version (first element of the JSON array). */
const V1 = 1;

/**
 * The stream entry of a usage record: a positional JSON array (one field per entry keeps both
 * the write and Redis's work small; this runs once per proxied request).
 */
export function encodeRequestLog(rec: UsageRecord, processName: string): string {
  const t = rec.tokens;
  return JSON.stringify([
    V1,
    rec.requestId,
    rec.timestamp,
    PROXY_METHOD,
    rec.route,
    rec.status,
    Math.round(rec.latencyMs),
    rec.model,
    rec.provider,
    rec.authIndex,
    rec.api,
    rec.clientKeyId,
    processName,
    rec.stream ? 1 : 0,
    rec.failed ? 1 : 0,
    rec.errorClass ?? '',
    t.input_tokens,
    t.output_tokens,
    t.reasoning_tokens,
    t.cached_tokens,
    t.total_tokens,
    rec.url ?? rec.route,
    rec.remoteAddr ?? '',
    rec.source,
    // The trail costs bytes only where it tells something: failures and retried requests.
    rec.failed || (rec.trail?.length ?? 0) > 1 ? encodeTrail(rec.trail) : 0,
    rec.failed && rec.errorMessage ? cap(maskSecrets(rec.errorMessage)) : '',
  ]);
}

/** Longest message kept per attempt (upstream errors can quote whole prompts). */
const MESSAGE_MAX = 300;

function cap(text: string): string {
  return text.length > MESSAGE_MAX ? `${text.slice(0, MESSAGE_MAX)}…` : text;
}

function encodeTrail(trail: readonly AttemptNote[] | undefined): unknown[] {
  return (trail ?? []).map((n) =>
    n.kind === 'wait'
      ? [0, n.seconds]
      : [
          1,
          n.authIndex,
          n.source,
          n.provider,
          n.status,
          n.message ? cap(maskSecrets(n.message)) : '',
          n.errorType ?? '',
          Math.round(n.durationMs),
        ],
  );
}

function decodeTrail(v: unknown): AttemptView[] {
  if (!Array.isArray(v)) return [];
  const out: AttemptView[] = [];
  for (const item of v as unknown[]) {
    if (!Array.isArray(item)) continue;
    const a = item as unknown[];
    if (a[0] === 0) {
      out.push({ wait_seconds: numAt(a[1]) });
      continue;
    }
    const view: AttemptView = {
      auth_index: strAt(a[1]),
      source: strAt(a[2]),
      provider: strAt(a[3]),
      status: numAt(a[4]),
      duration_ms: numAt(a[7]),
    };
    const message = strAt(a[5]);
    const type = strAt(a[6]);
    if (message) view.message = message;
    if (type) view.error_type = type;
    out.push(view);
  }
  return out;
}

/** A stream entry back into a request-log entry (malformed parts defaulted, never thrown). */
export function decodeRequestLog(id: string, fields: readonly string[]): RequestLogEntry {
  const a = readEntry(fields);
  let timestamp = strAt(a[2]);
  if (!timestamp) {
    const ms = Number(id.slice(0, id.indexOf('-')));
    if (ms) timestamp = new Date(ms).toISOString();
  }
  const route = strAt(a[4]);
  return {
    id,
    timestamp,
    method: strAt(a[3]) || PROXY_METHOD,
    // Entries written before the URL was recorded show their route.
    url: strAt(a[21]) || route,
    subdomain: strAt(a[8]),
    status_code: numAt(a[5]),
    duration_ms: numAt(a[6]),
    remote_addr: strAt(a[22]),
    request_id: strAt(a[1]),
    route,
    model: strAt(a[7]),
    auth_index: strAt(a[9]),
    key: strAt(a[10]),
    key_id: strAt(a[11]),
    process: strAt(a[12]),
    stream: a[13] === 1,
    failed: a[14] === 1,
    error_class: strAt(a[15]) || null,
    tokens: {
      input_tokens: numAt(a[16]),
      output_tokens: numAt(a[17]),
      reasoning_tokens: numAt(a[18]),
      cached_tokens: numAt(a[19]),
      total_tokens: numAt(a[20]),
    },
    source: strAt(a[23]),
    attempts: decodeTrail(a[24]),
    error_message: strAt(a[25]),
  };
}
