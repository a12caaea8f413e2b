import { createHash } from 'node:crypto';
import { secretFingerprint } from '@app/routing';

/** Jitter never exceeds this share of the lead, so a refresh stays well ahead of expiry. */
const JITTER_SHARE = 0.1;
/** Nor this much: spreading refreshes over a few minutes is plenty. */
const MAX_JITTER_MS = 5 * 60_000;

/**
 * The lead actually used for one token: the provider's lead, but never more than half the
 * token's lifetime (known when `last_refresh` is set). Without the cap a token that lives
 * shorter than the lead (a 1 h token with a 4 h lead) would be due again the moment it arrives.
 */
export function effectiveLeadMs(
  expiresAt: number,
  leadMs: number,
  lastRefreshAt: number | undefined,
): number {
  if (lastRefreshAt === undefined || lastRefreshAt >= expiresAt) return leadMs;
  return Math.min(leadMs, Math.floor((expiresAt - lastRefreshAt) / 2));
}

/**
 * A deterministic jitter in [0, max): every replica computing the schedule of the same token
 * gets the same value, so their enqueues collapse into one job.
 */
export function jitterMs(seed: string, maxMs: number): number {
  if (maxMs <= 0) return 0;
  const n = createHash('sha256').update(seed).digest().readUInt32BE(0);
  return n % Math.floor(maxMs);
}

/** When to refresh a token: `expiry − lead`, moved earlier by a bounded deterministic jitter. */
export function refreshDueAt(
  authIndex: string,
  expiresAt: number,
  leadMs: number,
  lastRefreshAt?: number,
): number {
  const lead = effectiveLeadMs(expiresAt, leadMs, lastRefreshAt);
  const jitter = jitterMs(
    `${authIndex}:${expiresAt}`,
    Math.min(lead * JITTER_SHARE, MAX_JITTER_MS),
  );
  return expiresAt - lead - jitter;
}

/** Redis lock name shared by the worker's refresh job and the gateway's inline refresh. */
export function refreshLockName(authIndex: string): string {
  return `refresh-lock:${authIndex}`;
}

/** A short non-reversible fingerprint of a refresh token (error marks, never the token). */
export function tokenFingerprint(token: string): string {
  return secretFingerprint(token);
}
