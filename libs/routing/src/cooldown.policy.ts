const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Bad key, unpaid or forbidden: the credential will not recover by itself soon. */
export const AUTH_COOLDOWN_MS = 30 * MINUTE;
/** The model does not exist for this credential. */
export const NOT_FOUND_COOLDOWN_MS = 12 * HOUR;
/** Timeouts and upstream 5xx: transient. */
export const TRANSIENT_COOLDOWN_MS = 1 * MINUTE;
/** First 429 without a retry hint; doubles per consecutive 429. */
export const RATE_LIMIT_BASE_MS = 1 * SECOND;
/** Ceiling of the 429 backoff. */
export const RATE_LIMIT_MAX_MS = 30 * MINUTE;
/** Level at which the backoff reaches its ceiling (1 s · 2^11 > 30 min); levels stop there. */
const MAX_LEVEL = Math.ceil(Math.log2(RATE_LIMIT_MAX_MS / RATE_LIMIT_BASE_MS));

/** Why a credential was benched. */
export type CooldownReason = 'auth' | 'not_found' | 'rate_limit' | 'transient' | 'none';

/** What an upstream failure means for the credential+model that produced it. */
export interface FailureInput {
  /** HTTP status from the upstream (0 for a network error before any response). */
  status: number;
  /** The upstream's own retry hint in seconds (Retry-After, RetryInfo, resets_in_seconds). */
  retryAfterSeconds?: number;
  /** Consecutive rate-limit failures so far (the stored failure level). */
  level: number;
  /** `disable-cooling` (config, or the credential's own override). */
  disableCooling?: boolean;
  /**
   * The credential served the model only through its provider's family (no catalog or explicit
   * list names it): a 404 then most likely means the name does not exist at all.
   */
  unlistedModel?: boolean;
}

/** The policy's answer: how long to bench, and the failure level to store. */
export interface CooldownDecision {
  /** 0 means "no cooldown". */
  cooldownMs: number;
  nextLevel: number;
  reason: CooldownReason;
}

/**
 * Cooldown after an upstream failure, per credential and model (CLIProxyAPI's table):
 * 401/402/403 → 30 min; 404 → 12 h; 429 → the upstream's retry hint, else 1 s doubling per
 * consecutive 429 up to 30 min; 408 and 5xx → 1 min; anything else (400, 413, 422…) → none.
 * `disable-cooling` → never. A success clears the state (CredentialStateRepository.recordSuccess).
 *
 * A 404 for a model the credential serves only through its family benches nothing: benching a
 * mistyped or unreleased name for 12 h would turn the upstream's "not found" into 429s for a
 * name that may appear any minute, which clients retry.
 */
export function cooldownFor(input: FailureInput): CooldownDecision {
  const { status, level } = input;
  if (input.disableCooling) return { cooldownMs: 0, nextLevel: level, reason: 'none' };
  if (status === 401 || status === 402 || status === 403) {
    return { cooldownMs: AUTH_COOLDOWN_MS, nextLevel: level, reason: 'auth' };
  }
  if (status === 404) {
    if (input.unlistedModel) return { cooldownMs: 0, nextLevel: level, reason: 'none' };
    return { cooldownMs: NOT_FOUND_COOLDOWN_MS, nextLevel: level, reason: 'not_found' };
  }
  if (status === 429) {
    const nextLevel = Math.min(level + 1, MAX_LEVEL);
    const hint = input.retryAfterSeconds;
    if (hint !== undefined && Number.isFinite(hint) && hint > 0) {
      return { cooldownMs: Math.ceil(hint * SECOND), nextLevel, reason: 'rate_limit' };
    }
    const backoff = Math.min(RATE_LIMIT_BASE_MS * 2 ** Math.max(0, level), RATE_LIMIT_MAX_MS);
    return { cooldownMs: backoff, nextLevel, reason: 'rate_limit' };
  }
  if (status === 408 || (status >= 500 && status <= 599)) {
    return { cooldownMs: TRANSIENT_COOLDOWN_MS, nextLevel: level, reason: 'transient' };
  }
  return { cooldownMs: 0, nextLevel: level, reason: 'none' };
}

// A 400 is a request problem unless the upstream says the credential itself is at fault
// (bad or expired key, no credit, disabled organisation); those deserve the next credential.
const CREDENTIAL_FAULT_400 =
  /api[_ ]?key[_ ]?(not[_ ]?valid|invalid|expired)|invalid[_ ]api[_ ]key|credit balance|billing|quota|organization (has been )?disabled|permission|unauthenticated|token (has )?expired/i;

/**
 * Whether to fail over to the next credential after an error before the first byte reached the
 * client. Everything fails over except invalid-request errors — 422, and 400 unless its body
 * blames the credential — which go straight back to the client (any credential would fail).
 */
export function isRetryable(status: number, body?: string): boolean {
  if (status >= 200 && status < 400) return false;
  if (status === 422) return false;
  if (status === 400) return !!body && CREDENTIAL_FAULT_400.test(body);
  return true;
}

/** Statuses that earn another round over the credentials under `request-retry` (CLIProxyAPI's list). */
const NEXT_ROUND_STATUSES: ReadonlySet<number> = new Set([403, 408, 429, 500, 502, 503, 504]);

/**
 * Whether a request whose last attempt failed with `status` may start another round over the
 * credentials (`request-retry`); other failures end the request once a round is exhausted.
 */
export function isRoundRetryable(status: number): boolean {
  return NEXT_ROUND_STATUSES.has(status);
}
