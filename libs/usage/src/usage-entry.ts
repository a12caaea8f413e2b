import { createHash } from 'node:crypto';
import type { UsageRecord, UsageTokens } from '@app/proxy/usage.types';
import type { UsageDetail } from '@app/usage/usage-snapshot.types';
import { dayOf, hourOf, instantFromMs, parseInstant, type Instant } from '@app/usage/usage-time';

/**
 * Separates the parts of a Redis hash field (`<api>␟<model>␟r`). Labels never contain it:
 * `cleanLabel` replaces every control character.
 */
export const SEP = '\x1f';

/** Length of the dedupe hash that prefixes every stored detail. */
export const HASH_LEN = 16;

/** Longest api or model label stored; a client can send any model name, so cap it. */
const MAX_LABEL = 200;

// Control characters (SEP among them) would corrupt the hash field layout.
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** One detail ready for Redis: where it goes and what it adds to the aggregates. */
export interface UsageEntry {
  /** Dedupe hash (HASH_LEN hex digits) of api, model, timestamp, source, auth index, failed, tokens. */
  hash: string;
  /** Epoch milliseconds of the request. */
  score: number;
  /** `hash` + the detail's JSON: the sorted-set member. */
  member: string;
  api: string;
  model: string;
  /** Short id of (api, model): the detail sorted set's key suffix. */
  pair: string;
  /** `YYYY-MM-DD` and `HH`, UTC. */
  day: string;
  hour: string;
  totalTokens: number;
  failed: boolean;
}

/** A label safe for hash fields: control characters replaced, length capped, never empty. */
export function cleanLabel(value: string): string {
  const v = value.replace(CONTROL, '?').trim();
  if (!v) return 'unknown';
  return v.length > MAX_LABEL ? v.slice(0, MAX_LABEL) : v;
}

function count(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : 0;
  return Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0;
}

/**
 * Token counts as CLIProxyAPI normalises them: non-negative integers, and a missing total is
 * input + output + reasoning (or, failing that, also cached).
 */
export function normaliseTokens(
  t: Partial<Record<keyof UsageTokens, unknown>> | undefined,
): UsageTokens {
  const tokens: UsageTokens = {
    input_tokens: count(t?.input_tokens),
    output_tokens: count(t?.output_tokens),
    reasoning_tokens: count(t?.reasoning_tokens),
    cached_tokens: count(t?.cached_tokens),
    total_tokens: count(t?.total_tokens),
  };
  if (tokens.total_tokens === 0) {
    tokens.total_tokens = tokens.input_tokens + tokens.output_tokens + tokens.reasoning_tokens;
  }
  if (tokens.total_tokens === 0) tokens.total_tokens = tokens.cached_tokens;
  return tokens;
}

/**
 * The import de-duplication key: api, model, timestamp to the nanosecond, source, auth index,
 * failed and the five token counts. Latency is deliberately left out (CLIProxyAPI's rule).
 */
export function dedupeHash(api: string, model: string, d: UsageDetail): string {
  const t = d.tokens;
  const key = JSON.stringify([
    api,
    model,
    d.timestamp,
    d.source,
    d.auth_index,
    d.failed,
    t.input_tokens,
    t.output_tokens,
    t.reasoning_tokens,
    t.cached_tokens,
    t.total_tokens,
  ]);
  return createHash('sha1').update(key).digest('hex').slice(0, HASH_LEN);
}

// Few distinct pairs and many records: remember their ids (cleared if it ever grows large).
const pairIds = new Map<string, string>();

/** Short stable id of an (api, model) pair. */
export function pairId(api: string, model: string): string {
  const key = api + SEP + model;
  let id = pairIds.get(key);
  if (id === undefined) {
    id = createHash('sha1').update(key).digest('hex').slice(0, HASH_LEN);
    if (pairIds.size >= 10_000) pairIds.clear();
    pairIds.set(key, id);
  }
  return id;
}

/** Build the Redis entry of a detail whose labels are already clean. */
export function entryOf(
  api: string,
  model: string,
  instant: Instant,
  detail: UsageDetail,
): UsageEntry {
  const hash = dedupeHash(api, model, detail);
  return {
    hash,
    score: instant.ms,
    member: hash + JSON.stringify(detail),
    api,
    model,
    pair: pairId(api, model),
    day: dayOf(instant.iso),
    hour: hourOf(instant.iso),
    totalTokens: detail.tokens.total_tokens,
    failed: detail.failed,
  };
}

/** The Redis entry of a live usage record (its timestamp is trusted; `now` if it is unreadable). */
export function entryFromRecord(rec: UsageRecord, now = Date.now()): UsageEntry {
  const instant = parseInstant(rec.timestamp) ?? instantFromMs(now);
  const detail: UsageDetail = {
    timestamp: instant.iso,
    latency_ms: count(rec.latencyMs),
    source: rec.source,
    auth_index: rec.authIndex,
    ...(rec.requestId ? { request_id: rec.requestId } : {}),
    tokens: normaliseTokens(rec.tokens),
    failed: rec.failed,
  };
  return entryOf(cleanLabel(rec.api), cleanLabel(rec.model), instant, detail);
}

/** The detail stored in a sorted-set member; undefined when the member is not ours. */
export function decodeMember(member: string): UsageDetail | undefined {
  try {
    const d = JSON.parse(member.slice(HASH_LEN)) as unknown;
    return typeof d === 'object' && d !== null && !Array.isArray(d)
      ? (d as UsageDetail)
      : undefined;
  } catch {
    return undefined;
  }
}
