/** Width of one recent-requests bucket (CLIProxyAPI's health bars: 10 minutes). */
export const RECENT_BUCKET_SECONDS = 600;
/** Buckets in a recent-requests window, the current one last (CLIProxyAPI: 20, 200 minutes). */
export const RECENT_BUCKET_COUNT = 20;

/** One bucket of `recent_requests`, as CLIProxyAPI writes it. */
export interface RecentRequestBucket {
  /** The bucket's span in the server's local time: `14:20-14:30`. */
  time: string;
  success: number;
  failed: number;
}

/** A credential's attempt counters: all-time totals and the last 20 buckets, oldest first. */
export interface CredentialActivity {
  success: number;
  failed: number;
  recent_requests: RecentRequestBucket[];
}

/** Successes and failures counted somewhere. */
export interface Counts {
  success: number;
  failed: number;
}

/** The bucket an instant falls in (buckets are aligned to the epoch, so every replica agrees). */
export function bucketOf(ms: number): number {
  return Math.floor(ms / 1000 / RECENT_BUCKET_SECONDS);
}

/** The buckets of the window that ends with the one `nowMs` falls in, oldest first. */
export function windowOf(nowMs: number): number[] {
  const last = bucketOf(nowMs);
  return Array.from({ length: RECENT_BUCKET_COUNT }, (_, i) => last - RECENT_BUCKET_COUNT + 1 + i);
}

const pad = (n: number) => String(n).padStart(2, '0');
const clock = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;

/** `HH:MM-HH:MM` of a bucket in local time. */
export function bucketLabel(bucket: number): string {
  const start = bucket * RECENT_BUCKET_SECONDS * 1000;
  return `${clock(new Date(start))}-${clock(new Date(start + RECENT_BUCKET_SECONDS * 1000))}`;
}

/** A credential's activity from its totals and per-bucket counts, over the window at `nowMs`. */
export function activityOf(
  totals: Counts | undefined,
  buckets: ReadonlyMap<number, Counts> | undefined,
  nowMs: number,
): CredentialActivity {
  return {
    success: totals?.success ?? 0,
    failed: totals?.failed ?? 0,
    recent_requests: windowOf(nowMs).map((b) => {
      const c = buckets?.get(b);
      return { time: bucketLabel(b), success: c?.success ?? 0, failed: c?.failed ?? 0 };
    }),
  };
}

/** Two activities of one window added up (credentials that share a `base_url|api_key`). */
export function addActivity(a: CredentialActivity, b: CredentialActivity): CredentialActivity {
  return {
    success: a.success + b.success,
    failed: a.failed + b.failed,
    recent_requests: a.recent_requests.map((r, i) => ({
      time: r.time,
      success: r.success + (b.recent_requests[i]?.success ?? 0),
      failed: r.failed + (b.recent_requests[i]?.failed ?? 0),
    })),
  };
}

/** One counter increment for Redis: a hash (`total` or a bucket number), a field, an amount. */
export interface Increment {
  hash: 'total' | number;
  field: string;
  amount: number;
}

/** The hash field of a credential's successes or failures. */
export function fieldOf(authIndex: string, success: boolean): string {
  return `${authIndex}:${success ? 's' : 'f'}`;
}

/** Counts per credential from hash fields (`<authIndex>:s`, `<authIndex>:f`). */
export function countsFromHash(hash: Readonly<Record<string, string>>): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const [field, raw] of Object.entries(hash)) {
    const at = field.lastIndexOf(':');
    const kind = field.slice(at + 1);
    const n = Number(raw);
    if (at <= 0 || (kind !== 's' && kind !== 'f') || !Number.isFinite(n)) continue;
    const id = field.slice(0, at);
    const c = out.get(id) ?? { success: 0, failed: 0 };
    if (kind === 's') c.success += n;
    else c.failed += n;
    out.set(id, c);
  }
  return out;
}

/** Per credential: totals and per-bucket counts. */
interface Tally {
  total: Counts;
  buckets: Map<number, Counts>;
}

/**
 * Attempt outcomes counted in memory until they are written: per credential, all-time and per
 * bucket. Its size is bounded by credentials × buckets touched, never by traffic.
 */
export class ActivityTally {
  private readonly byIndex = new Map<string, Tally>();

  get empty(): boolean {
    return this.byIndex.size === 0;
  }

  add(authIndex: string, success: boolean, nowMs: number, n = 1): void {
    let t = this.byIndex.get(authIndex);
    if (!t)
      this.byIndex.set(authIndex, (t = { total: { success: 0, failed: 0 }, buckets: new Map() }));
    const bucket = bucketOf(nowMs);
    let b = t.buckets.get(bucket);
    if (!b) t.buckets.set(bucket, (b = { success: 0, failed: 0 }));
    if (success) {
      t.total.success += n;
      b.success += n;
    } else {
      t.total.failed += n;
      b.failed += n;
    }
  }

  /** Everything counted, as hash increments. */
  increments(): Increment[] {
    const out: Increment[] = [];
    for (const [id, t] of this.byIndex) {
      if (t.total.success)
        out.push({ hash: 'total', field: fieldOf(id, true), amount: t.total.success });
      if (t.total.failed)
        out.push({ hash: 'total', field: fieldOf(id, false), amount: t.total.failed });
      for (const [bucket, c] of t.buckets) {
        if (c.success) out.push({ hash: bucket, field: fieldOf(id, true), amount: c.success });
        if (c.failed) out.push({ hash: bucket, field: fieldOf(id, false), amount: c.failed });
      }
    }
    return out;
  }

  /** The totals of one credential (zeros when nothing was counted). */
  totalOf(authIndex: string): Counts {
    const t = this.byIndex.get(authIndex)?.total;
    return { success: t?.success ?? 0, failed: t?.failed ?? 0 };
  }

  /** The per-bucket counts of one credential. */
  bucketsOf(authIndex: string): ReadonlyMap<number, Counts> {
    return this.byIndex.get(authIndex)?.buckets ?? new Map();
  }
}
