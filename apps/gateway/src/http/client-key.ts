import type { FastifyRequest } from 'fastify';

/**
 * The client key of a request, from `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` or
 * `?key=` (DESIGN.md 2.1), in that order.
 */
export function extractClientKey(req: FastifyRequest, allowQuery = true): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
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
