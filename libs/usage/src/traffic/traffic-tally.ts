import type { UsageRecord } from '@app/usage/usage-record';
import { cleanLabel, SEP } from '@app/usage/usage-entry';

// Traffic counters for the panel: requests, failures (by status and error class), tokens,
// latency and per client key and model, in one-minute and one-hour slots. Kept apart from
// CLIProxyAPI's usage statistics (which `usage-statistics-enabled` switches off): like the
// per-credential counters and /metrics, they are operational and always on.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * Upper bounds (ms) of the latency histogram; the last bucket is everything slower. A
 * percentile is reported as the bound of the bucket it falls in ("p95 ≤ 2.5 s"), which is
 * honest about what counters can tell.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000,
];

/** Which hash a counter goes to. */
export type TrafficHash =
  /** Minutes of one hour (`m:<epoch hour>`): the series of the 1-hour range. */
  | { kind: 'm'; n: number }
  /** Hours of one day (`h:<epoch day>`): the series of the other ranges. */
  | { kind: 'h'; n: number }
  /** Hours of one day, per client key and model (`hk:<epoch day>`): the top lists. */
  | { kind: 'hk'; n: number };

/** The Redis name suffix of a hash (`m:482193`). */
export function hashName(h: TrafficHash): string {
  return `${h.kind}:${h.n}`;
}

/** Counter names (a field is `<slot>␟<dim…>`). */
export const DIM = {
  requests: 'r',
  failures: 'f',
  tokens: 't',
  /** Sum of latencies in ms (average = l / r). */
  latency: 'l',
  /** Latency histogram bucket `b␟<index>`. */
  bucket: 'b',
  /** Failures by HTTP status `s␟<status>`. */
  status: 's',
  /** Failures by error class `e␟<class>`. */
  errorClass: 'e',
  /** Per client key `k␟<key id>␟r|f|t`. */
  key: 'k',
  /** Per model `m␟<model>␟r|f|t`. */
  model: 'm',
} as const;

/** The histogram bucket of a latency. */
export function latencyBucket(ms: number): number {
  const i = LATENCY_BOUNDS_MS.findIndex((b) => ms <= b);
  return i < 0 ? LATENCY_BOUNDS_MS.length : i;
}

/** Last-use fields: `k:<key id>` (client keys) and `c:<auth index>` (credentials). */
export function lastUsedField(kind: 'k' | 'c', id: string): string {
  return `${kind}:${id}`;
}

/** What every request of one kind (same minute, key, model, latency bucket, outcome) adds. */
interface Aggregate {
  minute: number;
  keyId: string;
  model: string;
  bucket: number;
  failed: boolean;
  status: number;
  errorClass: string;
  authIndex: string;
  requests: number;
  tokens: number;
  latency: number;
  lastAt: number;
}

const MINUTES_PER_HOUR = HOUR_MS / MINUTE_MS;
const MINUTES_PER_DAY = DAY_MS / MINUTE_MS;

/** Distinct kinds of request held before they are spread into counters. */
const FOLD_AT = 1000;
/** Counter fields one kind of request adds at most (see `spread`). */
const MAX_FIELDS_PER_KIND = 26;

/**
 * Counts summed in memory between two writes. A record costs one map update: requests of the
 * same kind (minute, client key, model, latency bucket, outcome) are summed first and spread
 * into the counter fields (a dozen per kind) when the tally is read or holds many kinds. The
 * size is bounded by time (slots × dimensions), not by traffic.
 */
export class TrafficTally {
  /** hash name → field → amount (read `counts`, which spreads what is pending first). */
  private readonly fieldCounts = new Map<string, Map<string, number>>();
  /** last-use field → ms. */
  private readonly lastUse = new Map<string, number>();
  /** Requests summed by kind, not yet spread into fields. */
  private pending = new Map<string, Aggregate>();
  private fields = 0;

  constructor(
    /** Most distinct fields held; further new fields are dropped (Redis down for hours). */
    private readonly maxFields = 200_000,
  ) {}

  /** hash name → field → amount. */
  get counts(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    this.fold();
    return this.fieldCounts;
  }

  /** last-use field → ms. */
  get lastUsed(): ReadonlyMap<string, number> {
    this.fold();
    return this.lastUse;
  }

  get empty(): boolean {
    return this.pending.size === 0 && this.fields === 0 && this.lastUse.size === 0;
  }

  get size(): number {
    this.fold();
    return this.fields;
  }

  /** Count one finished request. Returns false when it had to drop counters (tally full). */
  add(rec: UsageRecord, atMs: number): boolean {
    const minute = Math.floor(atMs / MINUTE_MS);
    const latency = Math.max(0, Math.round(rec.latencyMs));
    const bucket = latencyBucket(latency);
    const failed = rec.failed;
    const errorClass = failed ? rec.errorClass || 'error' : '';
    const status = failed ? rec.status : 0;
    // Raw labels in the key: each kind keeps its own copy of them (cleaned when spread).
    const kind = `${minute}${SEP}${bucket}${SEP}${status}${SEP}${errorClass}${SEP}${rec.clientKeyId}${SEP}${rec.authIndex}${SEP}${rec.model}`;
    let agg = this.pending.get(kind);
    if (!agg) {
      agg = {
        minute,
        keyId: rec.clientKeyId,
        model: rec.model,
        bucket,
        failed,
        status,
        errorClass,
        authIndex: rec.authIndex,
        requests: 0,
        tokens: 0,
        latency: 0,
        lastAt: atMs,
      };
      this.pending.set(kind, agg);
    }
    agg.requests++;
    agg.tokens += rec.tokens.total_tokens;
    agg.latency += latency;
    if (atMs > agg.lastAt) agg.lastAt = atMs;
    // Spread now when the kinds held could reach the field limit: a drop is reported at once.
    const mayFill = this.fields + this.pending.size * MAX_FIELDS_PER_KIND >= this.maxFields;
    return this.pending.size >= FOLD_AT || mayFill ? this.fold() : true;
  }

  /** Add another tally (a batch whose write failed goes back in front of newer counts). */
  merge(other: TrafficTally): void {
    for (const [hash, fields] of other.counts) {
      for (const [field, n] of fields) this.incField(hash, field, n);
    }
    for (const [f, ms] of other.lastUsed) this.touch(f, ms);
  }

  /** Spread the pending kinds into counter fields. False when some had to be dropped. */
  private fold(): boolean {
    if (this.pending.size === 0) return true;
    const kinds = this.pending;
    this.pending = new Map();
    let ok = true;
    for (const a of kinds.values()) ok = this.spread(a) && ok;
    return ok;
  }

  /** The counters of `a.requests` requests of one kind (as many single adds would leave them). */
  private spread(a: Aggregate): boolean {
    const hour = Math.floor(a.minute / MINUTES_PER_HOUR);
    const day = Math.floor(a.minute / MINUTES_PER_DAY);
    const mm = String(a.minute % MINUTES_PER_HOUR);
    const hh = String(hour % 24);
    const m = hashName({ kind: 'm', n: hour });
    const h = hashName({ kind: 'h', n: day });
    const hk = hashName({ kind: 'hk', n: day });
    const n = a.requests;
    const model = a.model ? cleanLabel(a.model) : '(none)';
    let ok = true;
    for (const [hash, slot] of [
      [m, mm],
      [h, hh],
    ] as const) {
      ok = this.inc(hash, slot, DIM.requests, n) && ok;
      if (a.failed) {
        ok = this.inc(hash, slot, DIM.failures, n) && ok;
        ok = this.inc(hash, `${slot}${SEP}${DIM.status}`, String(a.status), n) && ok;
        const cls = cleanLabel(a.errorClass);
        ok = this.inc(hash, `${slot}${SEP}${DIM.errorClass}`, cls, n) && ok;
      }
      if (a.tokens > 0) ok = this.inc(hash, slot, DIM.tokens, a.tokens) && ok;
      ok = this.inc(hash, slot, DIM.latency, a.latency) && ok;
      ok = this.inc(hash, `${slot}${SEP}${DIM.bucket}`, String(a.bucket), n) && ok;
    }
    for (const [hash, slot] of [
      [m, mm],
      [hk, hh],
    ] as const) {
      for (const [kind, name] of [
        [DIM.key, a.keyId],
        [DIM.model, model],
      ] as const) {
        if (!name) continue;
        const base = `${slot}${SEP}${kind}${SEP}${name}`;
        ok = this.inc(hash, base, DIM.requests, n) && ok;
        if (a.failed) ok = this.inc(hash, base, DIM.failures, n) && ok;
        if (a.tokens > 0) ok = this.inc(hash, base, DIM.tokens, a.tokens) && ok;
      }
    }
    if (a.keyId) this.touch(lastUsedField('k', a.keyId), a.lastAt);
    if (a.authIndex) this.touch(lastUsedField('c', a.authIndex), a.lastAt);
    return ok;
  }

  private touch(field: string, ms: number): void {
    if ((this.lastUse.get(field) ?? 0) < ms) this.lastUse.set(field, ms);
  }

  private inc(hash: string, prefix: string, dim: string, n: number): boolean {
    return this.incField(hash, `${prefix}${SEP}${dim}`, n);
  }

  private incField(hash: string, field: string, n: number): boolean {
    let fields = this.fieldCounts.get(hash);
    if (!fields) this.fieldCounts.set(hash, (fields = new Map<string, number>()));
    const prev = fields.get(field);
    if (prev === undefined) {
      if (this.fields >= this.maxFields) return false;
      this.fields++;
    }
    fields.set(field, (prev ?? 0) + n);
    return true;
  }
}
