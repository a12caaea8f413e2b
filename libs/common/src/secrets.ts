import { timingSafeEqual, createHash } from 'node:crypto';

/** Constant-time string comparison (hashes first so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** True when `candidate` equals any of `keys`, in time independent of which one matched. */
export function matchesAny(candidate: string, keys: readonly string[]): boolean {
  let found = false;
  for (const k of keys) if (safeEqual(candidate, k)) found = true;
  return found;
}

/** A short, stable, non-reversible id for a client key (usage and metrics labels). */
export function keyId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Mask a secret for display: keep at most the last 4 characters. */
export function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(Math.max(key.length, 3));
  return `${key.slice(0, 3)}…${key.slice(-4)}`;
}
