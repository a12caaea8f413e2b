import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair (RFC 7636): the verifier stays with us, the challenge goes to the provider. */
export interface PkcePair {
  verifier: string;
  challenge: string;
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)), no padding. */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** A fresh PKCE pair; 32 random bytes give a 43-character verifier (the RFC minimum length). */
export function createPkce(bytes = 32): PkcePair {
  const verifier = randomBytes(bytes).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier) };
}

/** Longest state accepted anywhere (CLIProxyAPI's limit). */
export const MAX_STATE_LENGTH = 128;

// The state names a Redis key and travels in URLs: a conservative alphabet keeps both safe.
const STATE_ALPHABET = /^[A-Za-z0-9._-]+$/;

/**
 * A new login state: 24 random bytes, base64url. It is the session's key and the only thing
 * binding a callback to the login that started it, so it must not be guessable.
 */
export function newLoginState(): string {
  return randomBytes(24).toString('base64url');
}

/** Why a state is unusable, or undefined when it is fine. */
export function stateProblem(state: string): string | undefined {
  if (!state) return 'state is empty';
  if (state.length > MAX_STATE_LENGTH) return `state is longer than ${MAX_STATE_LENGTH} characters`;
  if (state.includes('..')) return 'state contains ".."';
  if (!STATE_ALPHABET.test(state)) return 'state has characters other than letters, digits and ._-';
  return undefined;
}
