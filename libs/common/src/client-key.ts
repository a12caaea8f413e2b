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
 * `?key=` (DESIGN.md 2.1), in that order.
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
