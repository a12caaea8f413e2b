import type { UsageFilter } from '@app/usage/usage-snapshot.types';
import { parseInstant } from '@app/usage/usage-time';

/** The outcome of reading the query string of `GET /usage` or `/usage/export`. */
export type UsageQueryResult = { ok: true; filter: UsageFilter } | { ok: false; error: string };

const UNIX = /^\d{1,16}(?:\.\d+)?$/;
// Numbers this large are milliseconds (1e12 ms is 2001; 1e12 s is the year 33658).
const MS_THRESHOLD = 1e12;
const MAX_NAME = 512;

class QueryError extends Error {}

/** Epoch milliseconds of an ISO 8601 / RFC 3339 time, a date, or unix seconds (or ms). */
export function parseTimeParam(raw: string): number | undefined {
  const v = raw.trim();
  if (UNIX.test(v)) {
    const n = Number(v);
    return n >= MS_THRESHOLD ? Math.floor(n) : Math.floor(n * 1000);
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return parseInstant(`${v}T00:00:00Z`)?.ms;
  return parseInstant(v)?.ms;
}

function single(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new QueryError(`${name} must be given once`);
  return v;
}

function time(q: Record<string, unknown>, name: string, alias: string): number | undefined {
  const a = single(q, name);
  const b = single(q, alias);
  if (a !== undefined && b !== undefined)
    throw new QueryError(`give ${name} or ${alias}, not both`);
  const raw = a ?? b;
  if (raw === undefined || raw.trim() === '') return undefined;
  const ms = parseTimeParam(raw);
  if (ms === undefined) {
    throw new QueryError(
      `${a !== undefined ? name : alias} must be an ISO 8601 time (2025-01-02T15:04:05Z), a date (2025-01-02) or unix seconds, got ${JSON.stringify(raw)}`,
    );
  }
  return ms;
}

function name(q: Record<string, unknown>, key: string): string | undefined {
  const v = single(q, key);
  if (v === undefined) return undefined;
  if (!v.trim()) throw new QueryError(`${key} must not be empty`);
  if (v.length > MAX_NAME) throw new QueryError(`${key} is longer than ${MAX_NAME} characters`);
  return v;
}

/**
 * Read `from`/`to` (aliases `start`/`end`: CLIProxyAPI's panel sends those), `api` and `model`.
 * Times are inclusive; a bare date means its midnight UTC.
 */
export function parseUsageQuery(query: unknown): UsageQueryResult {
  const q = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
  try {
    const filter: UsageFilter = {};
    const from = time(q, 'from', 'start');
    const to = time(q, 'to', 'end');
    if (from !== undefined) filter.fromMs = from;
    if (to !== undefined) filter.toMs = to;
    if (from !== undefined && to !== undefined && from > to) {
      throw new QueryError('from must not be after to');
    }
    const api = name(q, 'api');
    const model = name(q, 'model');
    if (api !== undefined) filter.api = api;
    if (model !== undefined) filter.model = model;
    return { ok: true, filter };
  } catch (err) {
    if (err instanceof QueryError) return { ok: false, error: err.message };
    throw err;
  }
}

/** True when the filter narrows nothing. */
export function isUnfiltered(f: UsageFilter): boolean {
  return (
    f.fromMs === undefined && f.toMs === undefined && f.api === undefined && f.model === undefined
  );
}
