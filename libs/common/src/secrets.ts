import { timingSafeEqual, hash } from 'node:crypto';

/** SHA-256 digest in one call (no Hash object per use: these run on every request). */
function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

/** Constant-time string comparison (hashes first so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * True when `candidate` equals any of `keys`, in time independent of which one matched. The key
 * hashes are computed once per key list (config lists are frozen, so this is once per reload).
 */
export function matchesAny(candidate: string, keys: readonly string[]): boolean {
  return secretSetOf(keys).has(candidate);
}

/** A short, stable, non-reversible id for a client key (usage and metrics labels). */
export function keyId(key: string): string {
  return hash('sha256', key, 'hex').slice(0, 8);
}

/** Mask a secret for display: keep at most the last 4 characters. */
export function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(Math.max(key.length, 3));
  return `${key.slice(0, 3)}…${key.slice(-4)}`;
}

/**
 * A set of secrets checked in constant time per entry: the candidate is hashed once and compared
 * with every stored hash (no early exit), so timing reveals neither which key matched nor its
 * length. Build it once per config, not per request.
 */
export class SecretSet {
  private readonly hashes: Buffer[];

  constructor(keys: readonly string[]) {
    this.hashes = keys.map(sha256);
  }

  get size(): number {
    return this.hashes.length;
  }

  has(candidate: string): boolean {
    const h = sha256(candidate);
    let found = false;
    for (const k of this.hashes) if (timingSafeEqual(h, k)) found = true;
    return found;
  }
}

const secretSets = new WeakMap<readonly string[], SecretSet>();

/** The SecretSet of a (frozen) key list, built once and cached by list identity. */
export function secretSetOf(keys: readonly string[]): SecretSet {
  let set = secretSets.get(keys);
  if (!set) {
    set = new SecretSet(keys);
    secretSets.set(keys, set);
  }
  return set;
}
