import { logQueryError } from '@app/common';

/** Query parameters as Fastify hands them over. */
export type QueryParams = Readonly<Record<string, unknown>>;

/** One string parameter ('' and absent are both undefined; repeated → the first). */
export function stringParam(q: QueryParams, name: string): string | undefined {
  const raw = q[name];
  const v = Array.isArray(raw) ? (raw[0] as unknown) : raw;
  if (typeof v !== 'string') return undefined;
  return v === '' ? undefined : v;
}

/** A whole-number parameter within [min, max]; absent → undefined, garbage → 400. */
export function intParam(
  q: QueryParams,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = stringParam(q, name);
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (!Number.isInteger(n) || n < min) {
    throw logQueryError(
      'INVALID_PARAMETER',
      `${name} must be a whole number of at least ${min}, got "${v}"`,
    );
  }
  return Math.min(n, max);
}
