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

/**
 * Counts summed in memory between two writes. A record costs a few map updates; the size is
 * bounded by time (slots × dimensions), not by traffic.
 */
export class TrafficTally {
  /** hash name → field → amount. */
  readonly counts = new Map<string, Map<string, number>>();
  /** last-use field → ms. */
  readonly lastUsed = new Map<string, number>();
  private fields = 0;

  constructor(
    /** Most distinct fields held; further new fields are dropped (Redis down for hours). */
    private readonly maxFields = 200_000,
  ) {}

  get empty(): boolean {
    return this.fields === 0 && this.lastUsed.size === 0;
  }

  get size(): number {
    return this.fields;
  }

  /** Count one finished request. Returns false when it had to drop counters (tally full). */
  add(rec: UsageRecord, atMs: number): boolean {
    const minute = Math.floor(atMs / MINUTE_MS);
    const hour = Math.floor(atMs / HOUR_MS);
    const day = Math.floor(atMs / DAY_MS);
    const mm = String(minute % 60);
    const hh = String(hour % 24);
    const m = hashName({ kind: 'm', n: hour });
    const h = hashName({ kind: 'h', n: day });
    const hk = hashName({ kind: 'hk', n: day });
    const tokens = rec.tokens.total_tokens;
    const latency = Math.max(0, Math.round(rec.latencyMs));
    const model = rec.model ? cleanLabel(rec.model) : '(none)';
    let ok = true;
    for (const [hash, slot] of [
      [m, mm],
      [h, hh],
    ] as const) {
      ok = this.inc(hash, slot, DIM.requests, 1) && ok;
      if (rec.failed) {
        ok = this.inc(hash, slot, DIM.failures, 1) && ok;
        ok = this.inc(hash, `${slot}${SEP}${DIM.status}`, String(rec.status), 1) && ok;
        const cls = cleanLabel(rec.errorClass || 'error');
        ok = this.inc(hash, `${slot}${SEP}${DIM.errorClass}`, cls, 1) && ok;
      }
      if (tokens > 0) ok = this.inc(hash, slot, DIM.tokens, tokens) && ok;
      ok = this.inc(hash, slot, DIM.latency, latency) && ok;
      ok = this.inc(hash, `${slot}${SEP}${DIM.bucket}`, String(latencyBucket(latency)), 1) && ok;
    }
    for (const [hash, slot] of [
      [m, mm],
      [hk, hh],
    ] as const) {
      for (const [kind, name] of [
        [DIM.key, rec.clientKeyId],
        [DIM.model, model],
      ] as const) {
        if (!name) continue;
        const base = `${slot}${SEP}${kind}${SEP}${name}`;
        ok = this.inc(hash, base, DIM.requests, 1) && ok;
        if (rec.failed) ok = this.inc(hash, base, DIM.failures, 1) && ok;
        if (tokens > 0) ok = this.inc(hash, base, DIM.tokens, tokens) && ok;
      }
    }
    if (rec.clientKeyId) this.touch(lastUsedField('k', rec.clientKeyId), atMs);
    if (rec.authIndex) this.touch(lastUsedField('c', rec.authIndex), atMs);
    return ok;
  }

  /** Add another tally (a batch whose write failed goes back in front of newer counts). */
  merge(other: TrafficTally): void {
    for (const [hash, fields] of other.counts) {
      for (const [field, n] of fields) this.incField(hash, field, n);
    }
    for (const [f, ms] of other.lastUsed) this.touch(f, ms);
  }

  private touch(field: string, ms: number): void {
    if ((this.lastUsed.get(field) ?? 0) < ms) this.lastUsed.set(field, ms);
  }

  private inc(hash: string, prefix: string, dim: string, n: number): boolean {
    return this.incField(hash, `${prefix}${SEP}${dim}`, n);
  }

  private incField(hash: string, field: string, n: number): boolean {
    let fields = this.counts.get(hash);
    if (!fields) this.counts.set(hash, (fields = new Map<string, number>()));
    const prev = fields.get(field);
    if (prev === undefined) {
      if (this.fields >= this.maxFields) return false;
      this.fields++;
    }
    fields.set(field, (prev ?? 0) + n);
    return true;
  }
}
