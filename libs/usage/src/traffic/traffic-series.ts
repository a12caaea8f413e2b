import { SEP } from '@app/usage/usage-entry';
import {
  DAY_MS,
  DIM,
  HOUR_MS,
  LATENCY_BOUNDS_MS,
  MINUTE_MS,
  hashName,
  type TrafficHash,
} from '@app/usage/traffic/traffic-tally';

/** The time ranges the panel offers. */
export const TRAFFIC_RANGES = ['1h', '24h', '7d', '30d'] as const;
export type TrafficRange = (typeof TRAFFIC_RANGES)[number];

/** True for a range name the summary accepts. */
export function isTrafficRange(v: unknown): v is TrafficRange {
  return typeof v === 'string' && (TRAFFIC_RANGES as readonly string[]).includes(v);
}

/** Where a range's numbers come from: its slots, and the hashes holding them. */
export interface RangePlan {
  range: TrafficRange;
  stepMs: number;
  /** Start (ms) of each slot, oldest first; the last one is the slot `now` falls in. */
  slots: number[];
  /** Hashes holding the series. */
  seriesHashes: TrafficHash[];
  /** Hashes holding the per-key and per-model counts. */
  topHashes: TrafficHash[];
}

const SLOTS: Readonly<Record<TrafficRange, { stepMs: number; count: number }>> = {
  '1h': { stepMs: MINUTE_MS, count: 60 },
  '24h': { stepMs: HOUR_MS, count: 24 },
  '7d': { stepMs: HOUR_MS, count: 24 * 7 },
  // Hourly: the browser groups them into days of its own time zone.
  '30d': { stepMs: HOUR_MS, count: 24 * 30 },
};

/** The slots and hashes of `range` at `now`. */
export function planRange(range: TrafficRange, now: number): RangePlan {
  const { stepMs, count } = SLOTS[range];
  const last = Math.floor(now / stepMs) * stepMs;
  const slots = Array.from({ length: count }, (_, i) => last - (count - 1 - i) * stepMs);
  if (stepMs === MINUTE_MS) {
    const hours = uniq(slots.map((s) => Math.floor(s / HOUR_MS)));
    const hashes = hours.map((n): TrafficHash => ({ kind: 'm', n }));
    return { range, stepMs, slots, seriesHashes: hashes, topHashes: hashes };
  }
  const days = uniq(slots.map((s) => Math.floor(s / DAY_MS)));
  return {
    range,
    stepMs,
    slots,
    seriesHashes: days.map((n) => ({ kind: 'h', n })),
    topHashes: days.map((n) => ({ kind: 'hk', n })),
  };
}

function uniq(ns: number[]): number[] {
  return [...new Set(ns)];
}

/** Start (ms) of the slot a field of hash `h` names. */
function slotStart(h: TrafficHash, slot: number): number {
  return h.kind === 'm' ? h.n * HOUR_MS + slot * MINUTE_MS : h.n * DAY_MS + slot * HOUR_MS;
}

/** One ranked row of the top keys or models. */
export interface TopEntry {
  requests: number;
  failures: number;
  tokens: number;
}

/** `GET /v0/management/traffic`: the series of a range, column by column. */
export interface TrafficSummary {
  range: TrafficRange;
  step_seconds: number;
  /** Start of the first slot and end of the last (ISO). */
  from: string;
  to: string;
  /** Start of each slot (ISO, UTC), oldest first. */
  slots: string[];
  requests: number[];
  failures: number[];
  tokens: number[];
  /** Average latency per slot (ms), null where there were no requests. */
  latency_ms: (number | null)[];
  /** Failures per HTTP status, one column per status seen. */
  failures_by_status: Record<string, number[]>;
  /** Failures per error class (rate_limit_error, upstream_error, client_abort…). */
  failures_by_class: Record<string, number[]>;
  totals: {
    requests: number;
    failures: number;
    /** 0–1, null without requests. */
    success_rate: number | null;
    tokens: number;
    avg_latency_ms: number | null;
    /** Upper bound of the histogram bucket holding the 95th percentile (null: none, or > 120 s). */
    p95_latency_ms_at_most: number | null;
  };
  /** By client key id, most requests first. */
  keys: (TopEntry & { key_id: string })[];
  /** By model as the client named it, most requests first. */
  models: (TopEntry & { model: string })[];
}

/** Hash contents as Redis returns them, with the hash each came from. */
export type LoadedHash = { hash: TrafficHash; fields: Readonly<Record<string, string>> };

function column(n: number): number[] {
  return new Array<number>(n).fill(0);
}

/** Build the summary of `plan` from the hashes it named. */
export function summarize(
  plan: RangePlan,
  series: LoadedHash[],
  top: LoadedHash[],
): TrafficSummary {
  const n = plan.slots.length;
  const first = plan.slots[0];
  const index = (start: number): number => {
    const i = Math.floor((start - first) / plan.stepMs);
    return i >= 0 && i < n ? i : -1;
  };
  const requests = column(n);
  const failures = column(n);
  const tokens = column(n);
  const latency = column(n);
  const histogram = column(LATENCY_BOUNDS_MS.length + 1);
  const byStatus: Record<string, number[]> = {};
  const byClass: Record<string, number[]> = {};

  for (const { hash, fields } of series) {
    for (const [field, raw] of Object.entries(fields)) {
      const parts = field.split(SEP);
      const i = index(slotStart(hash, Number(parts[0])));
      if (i < 0) continue;
      const v = Number(raw) || 0;
      switch (parts[1]) {
        case DIM.requests:
          requests[i] += v;
          break;
        case DIM.failures:
          failures[i] += v;
          break;
        case DIM.tokens:
          tokens[i] += v;
          break;
        case DIM.latency:
          latency[i] += v;
          break;
        case DIM.bucket: {
          const b = Number(parts[2]);
          if (b >= 0 && b < histogram.length) histogram[b] += v;
          break;
        }
        case DIM.status:
          (byStatus[parts[2] ?? '?'] ??= column(n))[i] += v;
          break;
        case DIM.errorClass:
          (byClass[parts[2] ?? '?'] ??= column(n))[i] += v;
          break;
        default:
          // Per-key and per-model fields of a minute hash are read below.
          break;
      }
    }
  }

  const keys = new Map<string, TopEntry>();
  const models = new Map<string, TopEntry>();
  for (const { hash, fields } of top) {
    for (const [field, raw] of Object.entries(fields)) {
      const parts = field.split(SEP);
      if (parts.length !== 4 || (parts[1] !== DIM.key && parts[1] !== DIM.model)) continue;
      if (index(slotStart(hash, Number(parts[0]))) < 0) continue;
      const target = parts[1] === DIM.key ? keys : models;
      const name = parts[2];
      const row = target.get(name) ?? { requests: 0, failures: 0, tokens: 0 };
      const v = Number(raw) || 0;
      if (parts[3] === DIM.requests) row.requests += v;
      else if (parts[3] === DIM.failures) row.failures += v;
      else if (parts[3] === DIM.tokens) row.tokens += v;
      target.set(name, row);
    }
  }

  const total = sum(requests);
  const failed = sum(failures);
  const latencySum = sum(latency);
  return {
    range: plan.range,
    step_seconds: plan.stepMs / 1000,
    from: new Date(first).toISOString(),
    to: new Date(plan.slots[n - 1] + plan.stepMs).toISOString(),
    slots: plan.slots.map((s) => new Date(s).toISOString()),
    requests,
    failures,
    tokens,
    latency_ms: latency.map((l, i) => (requests[i] > 0 ? Math.round(l / requests[i]) : null)),
    failures_by_status: sortColumns(byStatus),
    failures_by_class: sortColumns(byClass),
    totals: {
      requests: total,
      failures: failed,
      success_rate: total > 0 ? (total - failed) / total : null,
      tokens: sum(tokens),
      avg_latency_ms: total > 0 ? Math.round(latencySum / total) : null,
      p95_latency_ms_at_most: percentileBound(histogram, 0.95),
    },
    keys: ranked(keys).map(([key_id, e]) => ({ key_id, ...e })),
    models: ranked(models).map(([model, e]) => ({ model, ...e })),
  };
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** Columns ordered by their total, largest first (the stacking and legend order). */
function sortColumns(cols: Record<string, number[]>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(cols).sort((a, b) => sum(b[1]) - sum(a[1]))) out[k] = v;
  return out;
}

function ranked(m: Map<string, TopEntry>): [string, TopEntry][] {
  return [...m.entries()].sort(
    (a, b) =>
      b[1].requests - a[1].requests || b[1].tokens - a[1].tokens || a[0].localeCompare(b[0]),
  );
}

/** The bound of the bucket where the cumulative share reaches `p` (null past the last bound). */
export function percentileBound(histogram: readonly number[], p: number): number | null {
  const total = sum(histogram);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= p * total) return LATENCY_BOUNDS_MS[i] ?? null;
  }
  return null;
}

/** Requests, failures and tokens of one client key over a window. */
export interface KeyWindow {
  requests: number;
  failures: number;
  tokens: number;
  /** failures / requests, null without requests. */
  failure_rate: number | null;
}

/** Per-key counts of the hourly `hk` hashes, for the hours in [fromMs, toMs). */
export function keyWindows(
  hashes: LoadedHash[],
  fromMs: number,
  toMs: number,
): Map<string, KeyWindow> {
  const out = new Map<string, KeyWindow>();
  for (const { hash, fields } of hashes) {
    for (const [field, raw] of Object.entries(fields)) {
      const parts = field.split(SEP);
      if (parts.length !== 4 || parts[1] !== DIM.key) continue;
      const start = slotStart(hash, Number(parts[0]));
      if (start < fromMs || start >= toMs) continue;
      const row = out.get(parts[2]) ?? { requests: 0, failures: 0, tokens: 0, failure_rate: null };
      const v = Number(raw) || 0;
      if (parts[3] === DIM.requests) row.requests += v;
      else if (parts[3] === DIM.failures) row.failures += v;
      else if (parts[3] === DIM.tokens) row.tokens += v;
      out.set(parts[2], row);
    }
  }
  for (const row of out.values()) {
    row.failure_rate = row.requests > 0 ? row.failures / row.requests : null;
  }
  return out;
}

/** The `hk` hashes covering the last `days` days up to `now` (one more for the partial day). */
export function keyHashes(now: number, days: number): TrafficHash[] {
  const today = Math.floor(now / DAY_MS);
  return Array.from({ length: days + 1 }, (_, i): TrafficHash => ({ kind: 'hk', n: today - i }));
}

/** A failure-rate spike: recent minutes failing far more often than the hour before. */
export interface FailureSpike {
  /** The recent window (minutes) and its numbers. */
  minutes: number;
  requests: number;
  failures: number;
  rate: number;
  /** The rest of the hour, for comparison. */
  baselineRate: number | null;
}

/**
 * Whether the last `recent` minutes of a 1-hour summary are a spike: at least `minFailures`
 * failures, a failure rate of at least 25 %, and at least twice the rate of the rest of the hour
 * plus 5 points (a steadily failing deployment is not a spike; the attention list says so
 * through its credentials instead).
 */
export function failureSpike(
  s: Pick<TrafficSummary, 'requests' | 'failures'>,
  recent = 5,
  minFailures = 5,
): FailureSpike | undefined {
  const n = s.requests.length;
  const split = Math.max(0, n - recent);
  const rq = sum(s.requests.slice(split));
  const fl = sum(s.failures.slice(split));
  if (fl < minFailures || rq === 0) return undefined;
  const rate = fl / rq;
  const baseRq = sum(s.requests.slice(0, split));
  const baseFl = sum(s.failures.slice(0, split));
  const baselineRate = baseRq > 0 ? baseFl / baseRq : null;
  const threshold = Math.max(0.25, (baselineRate ?? 0) * 2 + 0.05);
  if (rate < threshold) return undefined;
  return { minutes: recent, requests: rq, failures: fl, rate, baselineRate };
}

export { hashName };
