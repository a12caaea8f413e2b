import { keyId } from '@app/common';
import { intParam, stringParam, type QueryParams } from '@app/logs/log-query.errors';
import type { RequestLogEntry } from '@app/logs/request-log.entry';

/** Entries returned when the caller does not say. */
export const DEFAULT_REQUEST_LIMIT = 100;
/** Most entries one call returns. */
export const MAX_REQUEST_LIMIT = 1000;

/** Which requests to keep: every given condition must hold. */
export interface RequestLogFilter {
  /** Provider the request was routed to (`subdomain`), case-insensitive. */
  provider?: string;
  /** HTTP method, upper case. */
  method?: string;
  minStatus?: number;
  maxStatus?: number;
  /** Model as requested, exact. */
  model?: string;
  /**
   * Client key: matches the masked key as listed, the short key id, or (when the caller sends
   * the real key) its id, so nobody needs the raw key to be stored.
   */
  key?: { text: string; id: string };
}

/** A `/proxy/requests` query. */
export interface RequestLogQuery extends RequestLogFilter {
  limit: number;
}

/** Read the filter parameters of `/proxy/requests` and its stream. */
export function parseRequestFilter(q: QueryParams): RequestLogFilter {
  const key = stringParam(q, 'key');
  return {
    provider: stringParam(q, 'subdomain')?.toLowerCase(),
    method: stringParam(q, 'method')?.toUpperCase(),
    minStatus: intParam(q, 'min_status', 0, 999),
    maxStatus: intParam(q, 'max_status', 0, 999),
    model: stringParam(q, 'model'),
    key: key === undefined ? undefined : { text: key, id: keyId(key) },
  };
}

/** Read a whole `/proxy/requests` query (limit default 100, max 1000). */
export function parseRequestQuery(q: QueryParams): RequestLogQuery {
  return {
    ...parseRequestFilter(q),
    limit: intParam(q, 'limit', 1, MAX_REQUEST_LIMIT) ?? DEFAULT_REQUEST_LIMIT,
  };
}

/** True when no condition is set (every entry matches). */
export function isEmptyRequestFilter(f: RequestLogFilter): boolean {
  return (
    f.provider === undefined &&
    f.method === undefined &&
    f.minStatus === undefined &&
    f.maxStatus === undefined &&
    f.model === undefined &&
    f.key === undefined
  );
}

/** True when an entry passes the filter. */
export function matchesRequestFilter(e: RequestLogEntry, f: RequestLogFilter): boolean {
  if (f.provider !== undefined && e.subdomain.toLowerCase() !== f.provider) return false;
  if (f.method !== undefined && e.method !== f.method) return false;
  if (f.minStatus !== undefined && e.status_code < f.minStatus) return false;
  if (f.maxStatus !== undefined && e.status_code > f.maxStatus) return false;
  if (f.model !== undefined && e.model !== f.model) return false;
  if (f.key !== undefined) {
    const k = f.key;
    const hit = e.key === k.text || (e.key_id !== '' && (e.key_id === k.text || e.key_id === k.id));
    if (!hit) return false;
  }
  return true;
}
