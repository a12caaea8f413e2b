import { AppError } from '@app/common';
import type { KeyLimits } from '@app/proxy/limits/limits.table';

/** What refused a request (a bounded metric label). */
export type LimitKind = 'rpm' | 'tpm' | 'tpd' | 'concurrency' | 'model';

/** Window lengths; only the minute is ever shortened (tests), a day stays a day. */
export interface LimitWindows {
  /** The "minute" of rpm and tpm. */
  readonly minuteMs: number;
  /** Token-per-minute bucket width: 1/12 of the minute. */
  readonly minuteBucketMs: number;
  readonly dayMs: number;
  /** Token-per-day bucket width: one hour. */
  readonly dayBucketMs: number;
  /**
   * A concurrency slot's lease: a replica renews the leases of its running requests every third
   * of it, so a replica that dies frees its slots within one lease.
   */
  readonly leaseMs: number;
}

export const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Buckets per minute window: tpm is exact to 1/12 of the window (5 s), on the safe side. */
const MINUTE_BUCKETS = 12;
const LEASE_MS = 30_000;

/** Windows for a minute of `minuteMs` (60000 unless a test shortens it). */
export function limitWindows(minuteMs = MINUTE_MS): LimitWindows {
  const minute = Math.max(MINUTE_BUCKETS, Math.floor(minuteMs));
  return {
    minuteMs: minute,
    minuteBucketMs: Math.max(1, Math.floor(minute / MINUTE_BUCKETS)),
    dayMs: DAY_MS,
    dayBucketMs: HOUR_MS,
    leaseMs: LEASE_MS,
  };
}

/** Read the test hook `SB_LIMITS_WINDOW_MS` (a shorter "minute"); invalid values are ignored. */
export function windowFromEnv(value: string | undefined): number {
  const n = Number(value);
  return value && Number.isFinite(n) && n >= 100 ? n : MINUTE_MS;
}

/**
 * Read the test hook `SB_LIMITS_ADMIT_DEADLINE_MS` (a longer wait for the admission script
 * before failing open, for specs on a loaded machine); `fallback` when unset or invalid.
 */
export function admitDeadlineFromEnv(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value && Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * ARGV of the admission script (limits.repository.ts), in its order: concurrency, rpm, tpm,
 * tpd (0 = not limited), minute, minute bucket, day, day bucket, lease, and the request's
 * unique id (member of the request log and of the lease set).
 */
export function admitArgs(l: KeyLimits, w: LimitWindows, id: string): (string | number)[] {
  return [
    l.concurrency,
    l.rpm,
    l.tpm,
    l.tpd,
    w.minuteMs,
    w.minuteBucketMs,
    w.dayMs,
    w.dayBucketMs,
    w.leaseMs,
    id,
  ];
}

/** Reply codes of the admission script: 0 admitted, otherwise the limit that refused. */
const KIND_OF_CODE: readonly (LimitKind | undefined)[] = [
  undefined,
  'concurrency',
  'rpm',
  'tpm',
  'tpd',
];

/** The admission script's answer. */
export interface AdmitReply {
  /** Undefined when admitted. */
  kind: Exclude<LimitKind, 'model'> | undefined;
  /** How long until the refusing limit has room again (ms). */
  retryAfterMs: number;
}

/** Decode `[code, retryAfterMs]`; anything else is a protocol error. */
export function parseAdmitReply(reply: unknown): AdmitReply {
  if (!Array.isArray(reply) || reply.length !== 2) {
    throw new Error(`unexpected limits admission reply: ${JSON.stringify(reply)}`);
  }
  const code = Number(reply[0]);
  if (!Number.isInteger(code) || code < 0 || code >= KIND_OF_CODE.length) {
    throw new Error(`unknown limits admission code: ${String(reply[0])}`);
  }
  const kind = KIND_OF_CODE[code] as AdmitReply['kind'];
  return { kind, retryAfterMs: Math.max(0, Number(reply[1]) || 0) };
}

/** Whole seconds for Retry-After: never 0, so a client never retries in a tight loop. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function describe(kind: Exclude<LimitKind, 'model'>, l: KeyLimits): string {
  switch (kind) {
    case 'rpm':
      return `${l.rpm} requests per minute`;
    case 'tpm':
      return `${l.tpm} tokens per minute`;
    case 'tpd':
      return `${l.tpd} tokens per day`;
    case 'concurrency':
      return `${l.concurrency} requests at a time`;
  }
}

/** The 429 for a refused request: Retry-After header and `reset_seconds` like model_cooldown. */
export function limitError(
  kind: Exclude<LimitKind, 'model'>,
  l: KeyLimits,
  retryAfterMs: number,
): AppError {
  const seconds = retryAfterSeconds(retryAfterMs);
  return AppError.of(
    'CLIENT_RATE_LIMITED',
    { limit: describe(kind, l), retryAfterSec: seconds },
    { details: { reset_seconds: seconds }, headers: { 'retry-after': String(seconds) } },
  );
}

/** The 403 for a model outside the key's allowed list. */
export function modelError(model: string): AppError {
  return AppError.of('MODEL_NOT_ALLOWED', { model });
}
