import { matchesAny } from '@app/common/secrets';

/**
 * The client keys of the example configs (ours and CLIProxyAPI's). Anyone can read them, so they
 * never open the proxy: a request presenting one is refused even when config.yaml lists it.
 */
export const EXAMPLE_CLIENT_KEYS: readonly string[] = [
  'your-api-key-1',
  'your-api-key-2',
  'your-api-key-3',
];

/** The example placeholders among `keys` (a startup warning names them). */
export function exampleClientKeys(keys: readonly string[]): string[] {
  return keys.filter((k) => EXAMPLE_CLIENT_KEYS.includes(k));
}

/**
 * True when `candidate` is one of the configured client keys and not an example placeholder
 * (constant time over the list, see `matchesAny`).
 */
export function acceptsClientKey(candidate: string, keys: readonly string[]): boolean {
  return matchesAny(candidate, keys) && !EXAMPLE_CLIENT_KEYS.includes(candidate);
}

/** The request parts a client key can come from. */
export interface KeyCarrier {
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
}

function bearerToken(auth: string): string | undefined {
  // `Bearer` (any case) followed by whitespace, then the key.
  if (auth.length < 8 || auth.slice(0, 6).toLowerCase() !== 'bearer' || !/\s/.test(auth[6])) {
    return undefined;
  }
  const key = auth.slice(7).trim();
  return key || undefined;
}

/**
 * The client key of a request, from `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` or
 * `?key=`, in that order.
 */
export function extractClientKey(req: KeyCarrier, allowQuery = true): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const key = bearerToken(auth.trim());
    if (key) return key;
  }
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x) return x.trim();
  const g = req.headers['x-goog-api-key'];
  if (typeof g === 'string' && g) return g.trim();
  if (allowQuery) {
    const q = (req.query as Record<string, unknown> | undefined)?.key;
    if (typeof q === 'string' && q) return q;
  }
  return undefined;
}
