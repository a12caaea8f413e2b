import { SEP } from '@app/usage/usage-entry';
import type {
  ApiSnapshot,
  UsageDetail,
  UsageFilter,
  UsageSnapshot,
} from '@app/usage/usage-snapshot.types';
import { hourStartMs } from '@app/usage/usage-time';

/** A Redis hash as HGETALL returns it. */
export type RawHash = Record<string, string>;

/** The aggregate hashes read for an unfiltered snapshot. */
export interface AggregateHashes {
  /** requests, success, failure, tokens */
  totals: RawHash;
  /** `<api>␟r|t` */
  api: RawHash;
  /** `<api>␟<model>␟r|t` */
  model: RawHash;
  /** `<YYYY-MM-DD>␟r|t` */
  day: RawHash;
  /** `<YYYY-MM-DD>T<HH>␟r|t` */
  hour: RawHash;
}

/** One day's fine-grained counters: `<HH>␟<api>␟<model>␟r|f|t`. */
export interface DayCells {
  day: string;
  fields: RawHash;
}

/** An (api, model) pair that has aggregates. */
export interface UsagePair {
  api: string;
  model: string;
}

/** Retained details by `pairKey(api, model)`. */
export type DetailLists = ReadonlyMap<string, UsageDetail[]>;

/** Map key of a pair in `DetailLists`. */
export function pairKey(api: string, model: string): string {
  return api + SEP + model;
}

/** A snapshot with nothing in it. */
export function emptySnapshot(): UsageSnapshot {
  return {
    total_requests: 0,
    success_count: 0,
    failure_count: 0,
    total_tokens: 0,
    apis: {},
    requests_by_day: {},
    requests_by_hour: {},
    tokens_by_day: {},
    tokens_by_hour: {},
  };
}

function num(v: string | undefined): number {
  const n = v === undefined ? 0 : Number(v);
  return Number.isFinite(n) ? n : 0;
}

function add(map: Record<string, number>, key: string, n: number): void {
  map[key] = (map[key] ?? 0) + n;
}

/** Split `<prefix…>␟<kind>` into its parts; undefined when the field has another layout. */
function splitField(field: string, parts: number): string[] | undefined {
  const out = field.split(SEP);
  return out.length === parts ? out : undefined;
}

/** Every (api, model) pair named by the per-model aggregate hash. */
export function pairsOf(modelHash: RawHash): UsagePair[] {
  const pairs: UsagePair[] = [];
  for (const field of Object.keys(modelHash)) {
    const p = splitField(field, 3);
    if (p && p[2] === 'r') pairs.push({ api: p[0], model: p[1] });
  }
  return pairs;
}

/** Every day that has counters (`YYYY-MM-DD`), from the per-day aggregate hash. */
export function daysOf(dayHash: RawHash): string[] {
  const days = new Set<string>();
  for (const field of Object.keys(dayHash)) {
    const p = splitField(field, 2);
    if (p) days.add(p[0]);
  }
  return [...days].sort();
}

function modelOf(api: ApiSnapshot, model: string) {
  let m = api.models[model];
  if (!m) {
    m = { total_requests: 0, total_tokens: 0, details: [] };
    api.models[model] = m;
  }
  return m;
}

function apiOf(s: UsageSnapshot, api: string): ApiSnapshot {
  let a = s.apis[api];
  if (!a) {
    a = { total_requests: 0, total_tokens: 0, models: {} };
    s.apis[api] = a;
  }
  return a;
}

/** Fill every model's details from the retained lists. */
function attachDetails(s: UsageSnapshot, details: DetailLists): void {
  for (const [apiName, api] of Object.entries(s.apis)) {
    for (const [modelName, model] of Object.entries(api.models)) {
      model.details = details.get(pairKey(apiName, modelName)) ?? [];
    }
  }
}

/** Rebuild an object with its keys sorted (stable output for panels, diffs and tests). */
function sorted<T>(obj: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(obj).sort()) out[k] = obj[k];
  return out;
}

function finish(s: UsageSnapshot): UsageSnapshot {
  s.apis = sorted(s.apis);
  for (const api of Object.values(s.apis)) api.models = sorted(api.models);
  s.requests_by_day = sorted(s.requests_by_day);
  s.requests_by_hour = sorted(s.requests_by_hour);
  s.tokens_by_day = sorted(s.tokens_by_day);
  s.tokens_by_hour = sorted(s.tokens_by_hour);
  return s;
}

/** The whole-history snapshot, from the aggregate hashes and the retained details. */
export function snapshotFromAggregates(raw: AggregateHashes, details: DetailLists): UsageSnapshot {
  const s = emptySnapshot();
  s.total_requests = num(raw.totals.requests);
  s.success_count = num(raw.totals.success);
  s.failure_count = num(raw.totals.failure);
  s.total_tokens = num(raw.totals.tokens);

  for (const [field, v] of Object.entries(raw.api)) {
    const p = splitField(field, 2);
    if (!p) continue;
    const api = apiOf(s, p[0]);
    if (p[1] === 'r') api.total_requests = num(v);
    else if (p[1] === 't') api.total_tokens = num(v);
  }
  for (const [field, v] of Object.entries(raw.model)) {
    const p = splitField(field, 3);
    if (!p) continue;
    const model = modelOf(apiOf(s, p[0]), p[1]);
    if (p[2] === 'r') model.total_requests = num(v);
    else if (p[2] === 't') model.total_tokens = num(v);
  }
  for (const [field, v] of Object.entries(raw.day)) {
    const p = splitField(field, 2);
    if (!p) continue;
    if (p[1] === 'r') add(s.requests_by_day, p[0], num(v));
    else if (p[1] === 't') add(s.tokens_by_day, p[0], num(v));
  }
  // Stored per date and hour (so time ranges can narrow them); shown per hour of day.
  for (const [field, v] of Object.entries(raw.hour)) {
    const p = splitField(field, 2);
    if (!p) continue;
    const hh = p[0].slice(11, 13);
    if (p[1] === 'r') add(s.requests_by_hour, hh, num(v));
    else if (p[1] === 't') add(s.tokens_by_hour, hh, num(v));
  }
  attachDetails(s, details);
  return finish(s);
}

/** True when the hour bucket [start, start + 1 h) overlaps the filter's time range. */
export function hourInRange(day: string, hour: string, f: UsageFilter): boolean {
  const start = hourStartMs(day, hour);
  if (f.toMs !== undefined && start > f.toMs) return false;
  if (f.fromMs !== undefined && start + 3_600_000 <= f.fromMs) return false;
  return true;
}

/** True when the day [00:00, 24:00) overlaps the filter's time range. */
export function dayInRange(day: string, f: UsageFilter): boolean {
  const start = Date.parse(`${day}T00:00:00Z`);
  if (f.toMs !== undefined && start > f.toMs) return false;
  if (f.fromMs !== undefined && start + 86_400_000 <= f.fromMs) return false;
  return true;
}

/**
 * A narrowed snapshot from the per-day, per-hour cells. Aggregates are counted per whole hour:
 * an hour is in when it overlaps the range (details are cut at the exact instants).
 */
export function snapshotFromCells(
  cells: readonly DayCells[],
  filter: UsageFilter,
  details: DetailLists,
): UsageSnapshot {
  const s = emptySnapshot();
  for (const { day, fields } of cells) {
    const hourOk = new Map<string, boolean>();
    for (const [field, v] of Object.entries(fields)) {
      const p = splitField(field, 4);
      if (!p) continue;
      const [hh, apiName, modelName, kind] = p;
      if (filter.api !== undefined && apiName !== filter.api) continue;
      if (filter.model !== undefined && modelName !== filter.model) continue;
      let ok = hourOk.get(hh);
      if (ok === undefined) {
        ok = hourInRange(day, hh, filter);
        hourOk.set(hh, ok);
      }
      if (!ok) continue;
      const n = num(v);
      const api = apiOf(s, apiName);
      const model = modelOf(api, modelName);
      if (kind === 'r') {
        s.total_requests += n;
        api.total_requests += n;
        model.total_requests += n;
        add(s.requests_by_day, day, n);
        add(s.requests_by_hour, hh, n);
      } else if (kind === 'f') {
        s.failure_count += n;
      } else if (kind === 't') {
        s.total_tokens += n;
        api.total_tokens += n;
        model.total_tokens += n;
        add(s.tokens_by_day, day, n);
        add(s.tokens_by_hour, hh, n);
      }
    }
  }
  s.success_count = s.total_requests - s.failure_count;
  attachDetails(s, details);
  return finish(s);
}
