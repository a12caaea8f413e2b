import { createHash } from 'node:crypto';
import type { CooldownDecision } from '@app/routing/cooldown.policy';

/** Runtime state of one credential for one model (model `*` = the whole credential). */
export interface ModelState {
  /** Epoch ms until which the credential is benched for this model; 0 = not cooling. */
  readonly cooldownUntil: number;
  /** Consecutive rate-limit failures (drives the 429 backoff). */
  readonly level: number;
  /** Epoch ms until which the quota is known to be spent (set by the worker's quota poll). */
  readonly quotaExceededUntil: number;
  readonly lastError?: { readonly status: number; readonly message: string; readonly at: number };
  /**
   * The credential is unusable until someone acts (refresh token revoked): routing skips it with
   * no end time. Only set on the `*` entry.
   */
  readonly error?: CredentialError;
  /** Epoch ms of the last change; the newer write wins when replicas disagree. */
  readonly updatedAt: number;
}

/** Why a credential is out of service until a person fixes it (shown in the panel). */
export interface CredentialError {
  readonly message: string;
  readonly at: number;
  /**
   * Identifies the secret that failed (a hash of the refresh token), so a fresh login with a new
   * token is recognised and the mark ignored.
   */
  readonly fingerprint?: string;
}

/** Whether a credential may be tried for a model right now. */
export interface Availability {
  available: boolean;
  /** When not available: epoch ms at which it will be again. */
  until: number;
}

/**
 * What a transition does to one stored entry: the new state, `null` to delete the entry, or
 * `undefined` when nothing changes (no Redis traffic at all).
 */
export type Transition = ModelState | null | undefined;

/** Model key meaning "every model of this credential". */
export const ALL_MODELS = '*';

/** Error messages are cut here: the state is written on every failure and sent to every replica. */
export const MAX_STATE_MESSAGE = 300;
/** Inactive entries (no cooldown, no quota, no error) older than this are forgotten. */
export const STALE_STATE_MS = 24 * 3600 * 1000;

const AVAILABLE: Availability = Object.freeze({ available: true, until: 0 });
/** An errored credential: unavailable with no end (the selector reports "none", not a cooldown). */
const UNAVAILABLE_FOR_GOOD: Availability = Object.freeze({
  available: false,
  until: Number.POSITIVE_INFINITY,
});

/**
 * A short non-reversible fingerprint of a secret (a refresh token): error marks keep it, never
 * the secret, so a mark can be told to belong to a token a new login has since replaced.
 */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

/**
 * May a credential be tried for a model now, given its entry for the model (`own`) and its
 * whole-credential entry (`all`)? An error mark on `all` wins over any end time.
 */
export function availabilityOf(
  own: ModelState | undefined,
  all: ModelState | undefined,
  now: number,
): Availability {
  let until = 0;
  if (own) until = Math.max(own.cooldownUntil, own.quotaExceededUntil);
  if (all) {
    if (all.error) return UNAVAILABLE_FOR_GOOD;
    until = Math.max(until, all.cooldownUntil, all.quotaExceededUntil);
  }
  return until > now ? { available: false, until } : AVAILABLE;
}

/** An upstream failure with the cooldown the policy decided. */
export function afterFailure(
  prev: ModelState | undefined,
  decision: CooldownDecision,
  error: { status: number; message?: string },
  now: number,
): ModelState {
  return {
    // Never shorten a cooldown another failure (or replica) already set.
    cooldownUntil: Math.max(
      prev?.cooldownUntil ?? 0,
      decision.cooldownMs > 0 ? now + decision.cooldownMs : 0,
    ),
    level: decision.nextLevel,
    quotaExceededUntil: prev?.quotaExceededUntil ?? 0,
    error: prev?.error,
    lastError: {
      status: error.status,
      message: (error.message ?? '').slice(0, MAX_STATE_MESSAGE),
      at: now,
    },
    updatedAt: now,
  };
}

/**
 * A success clears the cooldown, failure level and last error. The entry goes away unless a
 * quota end or an error mark must outlive the success; nothing changes when there is no entry.
 */
export function afterSuccess(prev: ModelState | undefined, now: number): Transition {
  if (!prev) return undefined;
  if (prev.quotaExceededUntil > now || prev.error) {
    return { ...prev, cooldownUntil: 0, level: 0, lastError: undefined, updatedAt: now };
  }
  return null;
}

/** The quota is spent until `untilMs` (the worker's quota poll). */
export function withQuotaExceeded(
  prev: ModelState | undefined,
  untilMs: number,
  now: number,
): ModelState {
  return {
    cooldownUntil: prev?.cooldownUntil ?? 0,
    level: prev?.level ?? 0,
    quotaExceededUntil: untilMs,
    lastError: prev?.lastError,
    error: prev?.error,
    updatedAt: now,
  };
}

/** Take the credential out of service until the mark is cleared (the `*` entry). */
export function withErrorMark(
  prev: ModelState | undefined,
  error: Omit<CredentialError, 'at'>,
  now: number,
): ModelState {
  return {
    cooldownUntil: prev?.cooldownUntil ?? 0,
    level: prev?.level ?? 0,
    quotaExceededUntil: prev?.quotaExceededUntil ?? 0,
    lastError: prev?.lastError,
    error: { ...error, message: error.message.slice(0, MAX_STATE_MESSAGE), at: now },
    updatedAt: now,
  };
}

/** Put the credential back in service: the entry stays only while a cooldown or quota runs. */
export function withoutErrorMark(prev: ModelState | undefined, now: number): Transition {
  if (!prev?.error) return undefined;
  const rest: ModelState = { ...prev, error: undefined, updatedAt: now };
  const active = rest.cooldownUntil > now || rest.quotaExceededUntil > now;
  return active ? rest : null;
}

/**
 * Nothing active (no cooldown, quota or error mark) and untouched for a day: the entry can be
 * forgotten so the shared hash does not grow forever.
 */
export function isStale(state: ModelState, now: number): boolean {
  return (
    !state.error &&
    Math.max(state.cooldownUntil, state.quotaExceededUntil) < now &&
    state.updatedAt < now - STALE_STATE_MS
  );
}
