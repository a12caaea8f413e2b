import type { UsageSnapshot } from './types';

/** A ranked row of the top keys or models table. */
export interface TopRow {
  name: string;
  requests: number;
  tokens: number;
}

/** Per-bucket series for a chart: x labels and aligned values (null where nothing was kept). */
export interface Series {
  labels: string[];
  requests: number[];
  tokens: number[];
}

/** Latency and success rate per day, from the retained request details. */
export interface QualitySeries {
  labels: string[];
  avgLatencyMs: (number | null)[];
  successRate: (number | null)[];
}

/** Everything the Overview page shows, computed once per snapshot. */
export interface UsageSummary {
  requests: number;
  success: number;
  failures: number;
  /** 0–1, null when there were no requests. */
  successRate: number | null;
  tokens: number;
  /** From retained details; null when none are kept. */
  avgLatencyMs: number | null;
  p95LatencyMs: number | null;
  topKeys: TopRow[];
  topModels: TopRow[];
  byDay: Series;
  byHour: Series;
  quality: QualitySeries;
}

function top(map: Map<string, TopRow>, n: number): TopRow[] {
  return [...map.values()]
    .sort((a, b) => b.requests - a.requests || b.tokens - a.tokens || a.name.localeCompare(b.name))
    .slice(0, n);
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

/** The days from the first to the last key, inclusive, so gaps show as zeros. */
function dayRange(days: string[]): string[] {
  if (days.length === 0) return [];
  const sorted = [...days].sort();
  const first = Date.parse(`${sorted[0]}T00:00:00Z`);
  const last = Date.parse(`${sorted[sorted.length - 1]}T00:00:00Z`);
  if (!Number.isFinite(first) || !Number.isFinite(last)) return sorted;
  const out: string[] = [];
  // A long idle history would make a chart of mostly zeros: keep the latest 90 days.
  const start = Math.max(first, last - 89 * 86_400_000);
  for (let t = start; t <= last; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** Summarize a usage snapshot for the Overview page (top lists hold `topN` rows). */
export function summarizeUsage(u: UsageSnapshot, topN = 5): UsageSummary {
  const keys = new Map<string, TopRow>();
  const models = new Map<string, TopRow>();
  const latencies: number[] = [];
  const perDay = new Map<string, { latency: number; n: number; ok: number }>();
  for (const [api, a] of Object.entries(u.apis ?? {})) {
    keys.set(api, { name: api, requests: a.total_requests, tokens: a.total_tokens });
    for (const [model, m] of Object.entries(a.models ?? {})) {
      const row = models.get(model) ?? { name: model, requests: 0, tokens: 0 };
      row.requests += m.total_requests;
      row.tokens += m.total_tokens;
      models.set(model, row);
      for (const d of m.details ?? []) {
        latencies.push(d.latency_ms);
        const day = d.timestamp.slice(0, 10);
        const b = perDay.get(day) ?? { latency: 0, n: 0, ok: 0 };
        b.latency += d.latency_ms;
        b.n++;
        if (!d.failed) b.ok++;
        perDay.set(day, b);
      }
    }
  }
  latencies.sort((a, b) => a - b);
  const days = dayRange([...Object.keys(u.requests_by_day ?? {}), ...perDay.keys()]);
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));
  const requests = u.total_requests ?? 0;
  return {
    requests,
    success: u.success_count ?? 0,
    failures: u.failure_count ?? 0,
    successRate: requests > 0 ? (u.success_count ?? 0) / requests : null,
    tokens: u.total_tokens ?? 0,
    avgLatencyMs:
      latencies.length > 0 ? latencies.reduce((s, v) => s + v, 0) / latencies.length : null,
    p95LatencyMs: percentile(latencies, 95),
    topKeys: top(keys, topN),
    topModels: top(models, topN),
    byDay: {
      labels: days,
      requests: days.map((d) => u.requests_by_day?.[d] ?? 0),
      tokens: days.map((d) => u.tokens_by_day?.[d] ?? 0),
    },
    byHour: {
      labels: hours,
      requests: hours.map((h) => u.requests_by_hour?.[h] ?? 0),
      tokens: hours.map((h) => u.tokens_by_hour?.[h] ?? 0),
    },
    quality: {
      labels: days,
      avgLatencyMs: days.map((d) => {
        const b = perDay.get(d);
        return b ? b.latency / b.n : null;
      }),
      successRate: days.map((d) => {
        const b = perDay.get(d);
        return b ? b.ok / b.n : null;
      }),
    },
  };
}
