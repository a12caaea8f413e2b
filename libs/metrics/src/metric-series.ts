import type { Counter, Histogram } from 'prom-client';

/*
 * Request-path metric updates without prom-client's per-call label work.
 *
 * prom-client 15 turns the label object of every `inc`/`observe` into a key string (sorted label
 * names, `name:value,` pairs), validates the names and looks the key up in the metric's series
 * table: about 1 µs and a few hundred bytes per call. Its own `labels()` children do not help,
 * they repeat all of it on every call. The handles below do that work once per series: the first
 * update goes through the public API (which validates, creates the series and throws exactly as
 * before), then the handle keeps a reference to the series' stored record and updates it in
 * place. Before each in-place update it checks that the table still holds that very record, so
 * `reset()`, `remove()` or `zero()` (which replace or drop it) send the next update back through
 * the public API. If prom-client ever stores series differently, the handle never binds and every
 * update takes the public path: slower, never wrong.
 */

/** What prom-client 15 stores per counter series. */
interface CounterRecord {
  value: number;
  labels: object;
}

/** What prom-client 15 stores per histogram series. */
interface HistogramRecord {
  labels: object;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/** The internal fields of a prom-client 15 metric the handles rely on (checked when binding). */
interface MetricInternals<R> {
  hashMap: Record<string, R | undefined>;
  upperBounds?: unknown;
}

function internalsOf<R>(metric: object): MetricInternals<R> {
  return metric as MetricInternals<R>;
}

/** prom-client's series key: `name:value,` for every label, names in sorted order. */
function seriesKey(labels: Readonly<Record<string, string>>): string {
  let key = '';
  for (const name of Object.keys(labels).sort()) key += `${name}:${labels[name]},`;
  return key;
}

/** The stored record under `key`, if it is an object for exactly these labels. */
function storedRecord(
  metric: object,
  key: string,
  labels: Readonly<Record<string, string>>,
): Record<string, unknown> | undefined {
  const table = internalsOf<unknown>(metric).hashMap;
  if (typeof table !== 'object' || table === null) return undefined;
  const rec = table[key];
  if (typeof rec !== 'object' || rec === null) return undefined;
  const stored = (rec as { labels?: unknown }).labels;
  if (typeof stored !== 'object' || stored === null) return undefined;
  const names = Object.keys(labels);
  if (Object.keys(stored).length !== names.length) return undefined;
  for (const name of names) {
    if ((stored as Record<string, unknown>)[name] !== labels[name]) return undefined;
  }
  return rec as Record<string, unknown>;
}

/** A counter series bound to fixed label values; `inc` behaves exactly as `metric.inc(labels, v)`. */
export class CounterSeries<L extends string = string> {
  private record: CounterRecord | undefined;
  private readonly key: string;

  constructor(
    private readonly metric: Counter<L>,
    private readonly labels: Readonly<Record<L, string>>,
  ) {
    this.key = seriesKey(labels);
  }

  /** Add `value` (default 1) to the series. */
  inc(value?: number): void {
    const v = value === undefined ? 1 : value;
    const rec = this.record;
    // Anything but a finite, non-negative number takes the public path: it throws (negative,
    // infinite) or counts (NaN, null) exactly as before.
    if (
      rec !== undefined &&
      typeof v === 'number' &&
      v >= 0 &&
      v < Infinity &&
      internalsOf<CounterRecord>(this.metric).hashMap[this.key] === rec
    ) {
      rec.value += v;
      return;
    }
    this.metric.inc(this.labels, v);
    this.record = this.bind();
  }

  private bind(): CounterRecord | undefined {
    const rec = storedRecord(this.metric, this.key, this.labels);
    return rec && typeof rec.value === 'number' ? (rec as unknown as CounterRecord) : undefined;
  }
}

/** A histogram's bucket bounds and the keys prom-client stores their counts under. */
interface Buckets {
  bounds: readonly number[];
  keys: readonly string[];
}

function isNumberArray(x: unknown): x is readonly number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number');
}

const bucketsByMetric = new WeakMap<object, Buckets | null>();

function bucketsOf(metric: object): Buckets | undefined {
  let b = bucketsByMetric.get(metric);
  if (b === undefined) {
    const bounds = internalsOf<unknown>(metric).upperBounds;
    b = isNumberArray(bounds) ? { bounds, keys: bounds.map(String) } : null;
    bucketsByMetric.set(metric, b);
  }
  return b ?? undefined;
}

/** A histogram series bound to fixed label values; `observe` behaves as `metric.observe(labels, v)`. */
export class HistogramSeries<L extends string = string> {
  private record: HistogramRecord | undefined;
  private readonly key: string;
  private readonly buckets: Buckets | undefined;

  constructor(
    private readonly metric: Histogram<L>,
    private readonly labels: Readonly<Record<L, string>>,
  ) {
    this.key = seriesKey(labels);
    this.buckets = bucketsOf(metric);
  }

  /** Record one observation. */
  observe(value: number): void {
    const rec = this.record;
    const b = this.buckets;
    if (
      rec !== undefined &&
      b !== undefined &&
      Number.isFinite(value) &&
      internalsOf<HistogramRecord>(this.metric).hashMap[this.key] === rec
    ) {
      // Same steps, same order as prom-client: sum, count, then the first bucket that fits
      // (none when above every bound: `+Inf` is derived from the count).
      rec.sum += value;
      rec.count += 1;
      const { bounds, keys } = b;
      for (let i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]) {
          rec.bucketValues[keys[i]] += 1;
          break;
        }
      }
      return;
    }
    this.metric.observe(this.labels, value);
    this.record = this.bind();
  }

  private bind(): HistogramRecord | undefined {
    const b = this.buckets;
    const rec = storedRecord(this.metric, this.key, this.labels);
    if (!b || !rec || typeof rec.sum !== 'number' || typeof rec.count !== 'number') {
      return undefined;
    }
    const counts = rec.bucketValues as Record<string, unknown> | undefined;
    if (typeof counts !== 'object' || counts === null) return undefined;
    return b.keys.every((k) => typeof counts[k] === 'number')
      ? (rec as unknown as HistogramRecord)
      : undefined;
  }
}

/** Entries kept per cache level before it starts over (label values are bounded well below). */
export const LABEL_CACHE_LIMIT = 1000;

/**
 * One level of a label-value cache: a Map from a label value to what hangs below it (another
 * level, or a series handle), made on first use. Nesting one level per label keeps warm lookups
 * free of key strings and allocations. Dropping entries only costs a rebind (the series stay in
 * the registry), so a level that outgrows `limit` simply starts over.
 */
export class LabelCache<K, V extends NonNullable<unknown>> {
  private readonly map = new Map<K, V>();

  constructor(
    private readonly make: (key: K) => V,
    private readonly limit = LABEL_CACHE_LIMIT,
  ) {}

  /** The entry for `key`, made on first use. */
  get(key: K): V {
    let v = this.map.get(key);
    if (v === undefined) {
      if (this.map.size >= this.limit) this.map.clear();
      v = this.make(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Entries held at this level. */
  get size(): number {
    return this.map.size;
  }
}
