import type { Query } from './api-client';

/** The Requests page filter as typed in its form (strings, possibly empty). */
export interface RequestFilterForm {
  minStatus: string;
  maxStatus: string;
  provider: string;
  model: string;
  /** A client key id, chosen from the list of keys (never the secret). */
  key: string;
}

export const EMPTY_REQUEST_FILTER: RequestFilterForm = {
  minStatus: '',
  maxStatus: '',
  provider: '',
  model: '',
  key: '',
};

/** Status ranges offered as one choice (the form can also take exact bounds). */
export const STATUS_PRESETS: readonly { label: string; min: string; max: string }[] = [
  { label: 'Any status', min: '', max: '' },
  { label: 'Success (2xx)', min: '200', max: '299' },
  { label: 'Client errors (4xx)', min: '400', max: '499' },
  { label: 'Server errors (5xx)', min: '500', max: '599' },
  { label: 'All errors (≥ 400)', min: '400', max: '599' },
];

const STATUS = /^\d{3}$/;

/**
 * The cluster API query for a filter (`min_status`, `max_status`, `subdomain` for the provider,
 * `model`, `key`), or the problems that keep it from being sent.
 */
export function requestFilterQuery(
  f: RequestFilterForm,
):
  | { ok: true; query: Query }
  | { ok: false; errors: Partial<Record<keyof RequestFilterForm, string>> } {
  const errors: Partial<Record<keyof RequestFilterForm, string>> = {};
  const min = f.minStatus.trim();
  const max = f.maxStatus.trim();
  for (const [field, v] of [
    ['minStatus', min],
    ['maxStatus', max],
  ] as const) {
    if (v && (!STATUS.test(v) || Number(v) < 100 || Number(v) > 599)) {
      errors[field] = 'Enter an HTTP status from 100 to 599';
    }
  }
  if (!errors.minStatus && !errors.maxStatus && min && max && Number(min) > Number(max)) {
    errors.maxStatus = 'The highest status must not be below the lowest';
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    query: {
      min_status: min || undefined,
      max_status: max || undefined,
      subdomain: f.provider.trim() || undefined,
      model: f.model.trim() || undefined,
      key: f.key.trim() || undefined,
    },
  };
}

/** The form a page link asks for (`#/requests?status=errors&key=1a2b3c4d`). */
export function filterFromQuery(q: Record<string, string>): RequestFilterForm {
  const f = { ...EMPTY_REQUEST_FILTER };
  if (q.status === 'errors') {
    f.minStatus = '400';
    f.maxStatus = '599';
  }
  if (q.key && /^[0-9a-f]{8}$/.test(q.key)) f.key = q.key;
  if (q.model) f.model = q.model;
  if (q.provider) f.provider = q.provider;
  return f;
}
