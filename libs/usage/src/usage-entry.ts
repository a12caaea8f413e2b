import { hash as digest } from 'node:crypto';
import type { UsageRecord, UsageTokens } from '@app/usage/usage-record';
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

function sha1Hex(text: string): string {
  // One-shot hashing: no Hash object per record.
  return digest('sha1', text, 'hex');
}

/** A number as JSON.stringify writes it. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** The five token counts as JSON array items (the dedupe key's tail). */
function tokenItems(t: UsageTokens): string {
  return `${jsonNumber(t.input_tokens)},${jsonNumber(t.output_tokens)},${jsonNumber(t.reasoning_tokens)},${jsonNumber(t.cached_tokens)},${jsonNumber(t.total_tokens)}`;
}

/**
 * The dedupe key text: exactly `JSON.stringify([api, model, timestamp, source, auth_index,
 * failed, ...tokens])`, built from already-encoded strings so they are encoded once per entry.
 */
function dedupeKeyText(
  apiJson: string,
  modelJson: string,
  timestampJson: string,
  sourceJson: string,
  authIndexJson: string,
  failed: boolean,
  tokens: UsageTokens,
): string {
  return `[${apiJson},${modelJson},${timestampJson},${sourceJson},${authIndexJson},${failed},${tokenItems(tokens)}]`;
}

/**
 * The import de-duplication key: api, model, timestamp to the nanosecond, source, auth index,
 * failed and the five token counts. Latency is deliberately left out (CLIProxyAPI's rule).
 */
export function dedupeHash(api: string, model: string, d: UsageDetail): string {
  const key = dedupeKeyText(
    JSON.stringify(api),
    JSON.stringify(model),
    JSON.stringify(d.timestamp),
    JSON.stringify(d.source),
    JSON.stringify(d.auth_index),
    d.failed,
    d.tokens,
  );
  return sha1Hex(key).slice(0, HASH_LEN);
}

// Few distinct pairs and many records: remember their ids (cleared if it ever grows large).
// Nested by api then model so a lookup needs no concatenated key.
const pairIds = new Map<string, Map<string, string>>();
let pairIdCount = 0;

/** Short stable id of an (api, model) pair. */
export function pairId(api: string, model: string): string {
  let byModel = pairIds.get(api);
  let id = byModel?.get(model);
  if (id === undefined) {
    id = sha1Hex(api + SEP + model).slice(0, HASH_LEN);
    if (pairIdCount >= 10_000) {
      pairIds.clear();
      pairIdCount = 0;
      byModel = undefined;
    }
    if (!byModel) {
      byModel = new Map<string, string>();
      pairIds.set(api, byModel);
    }
    byModel.set(model, id);
    pairIdCount++;
  }
  return id;
}

/** The parts of a detail, as `entryOf` and `entryFromRecord` both have them. */
interface DetailParts {
  timestamp: string;
  latencyMs: number;
  source: string;
  authIndex: string;
  requestId: string | undefined;
  tokens: UsageTokens;
  failed: boolean;
}

/**
 * The entry of a detail whose labels are clean (`instant` is its parsed timestamp). The member
 * is `hash + JSON.stringify(detail)` for a detail written in UsageDetail's field order; the
 * strings shared by the dedupe key and the member are encoded once.
 */
function buildEntry(api: string, model: string, instant: Instant, p: DetailParts): UsageEntry {
  const timestampJson = JSON.stringify(p.timestamp);
  const sourceJson = JSON.stringify(p.source);
  const authIndexJson = JSON.stringify(p.authIndex);
  const t = p.tokens;
  const hash = sha1Hex(
    dedupeKeyText(
      JSON.stringify(api),
      JSON.stringify(model),
      timestampJson,
      sourceJson,
      authIndexJson,
      p.failed,
      t,
    ),
  ).slice(0, HASH_LEN);
  const requestId = p.requestId === undefined ? '' : `"request_id":${JSON.stringify(p.requestId)},`;
  const member = `${hash}{"timestamp":${timestampJson},"latency_ms":${jsonNumber(p.latencyMs)},"source":${sourceJson},"auth_index":${authIndexJson},${requestId}"tokens":{"input_tokens":${jsonNumber(t.input_tokens)},"output_tokens":${jsonNumber(t.output_tokens)},"reasoning_tokens":${jsonNumber(t.reasoning_tokens)},"cached_tokens":${jsonNumber(t.cached_tokens)},"total_tokens":${jsonNumber(t.total_tokens)}},"failed":${p.failed}}`;
  return {
    hash,
    score: instant.ms,
    member,
    api,
    model,
    pair: pairId(api, model),
    day: dayOf(instant.iso),
    hour: hourOf(instant.iso),
    totalTokens: t.total_tokens,
    failed: p.failed,
  };
}

/**
 * Build the Redis entry of a detail whose labels are already clean. The member stores the detail
 * in UsageDetail's field order (timestamp, latency_ms, source, auth_index, request_id, tokens,
 * failed) whatever order `detail` was built in.
 */
export function entryOf(
  api: string,
  model: string,
  instant: Instant,
  detail: UsageDetail,
): UsageEntry {
  return buildEntry(api, model, instant, {
    timestamp: detail.timestamp,
    latencyMs: detail.latency_ms,
    source: detail.source,
    authIndex: detail.auth_index,
    requestId: detail.request_id,
    tokens: detail.tokens,
    failed: detail.failed,
  });
}

/** The Redis entry of a live usage record (its timestamp is trusted; `now` if it is unreadable). */
export function entryFromRecord(rec: UsageRecord, now = Date.now()): UsageEntry {
  const instant = parseInstant(rec.timestamp) ?? instantFromMs(now);
  return buildEntry(cleanLabel(rec.api), cleanLabel(rec.model), instant, {
    timestamp: instant.iso,
    latencyMs: count(rec.latencyMs),
    source: rec.source,
    authIndex: rec.authIndex,
    requestId: rec.requestId ? rec.requestId : undefined,
    tokens: normaliseTokens(rec.tokens),
    failed: rec.failed,
  });
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
