import type { FastifyInstance } from 'fastify';

/**
 * The deepest nesting of objects and arrays a JSON request body may have. `JSON.parse` takes any
 * depth, but `JSON.stringify` and every recursive walker (translators, schema cleaners, YAML
 * writers) overflow the stack a few thousand levels down, which would surface as a 500. Real
 * requests (tool schemas included) stay far below this.
 */
export const MAX_JSON_DEPTH = 256;

/** Error code of a body refused for its depth (rendered as a 400 in the caller's format). */
export const JSON_TOO_DEEP = 'SB_JSON_TOO_DEEP';

/**
 * True when `value` nests objects or arrays more than `limit` levels deep. Stops at the first
 * path that does, so the recursion never goes beyond `limit + 1` frames; the cost is one visit
 * per object or array, never per byte (a large body is mostly strings).
 */
export function nestsDeeperThan(value: unknown, limit: number, depth = 1): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > limit) return true;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      if (item !== null && typeof item === 'object' && nestsDeeperThan(item, limit, depth + 1)) {
        return true;
      }
    }
    return false;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== null && typeof item === 'object' && nestsDeeperThan(item, limit, depth + 1)) {
      return true;
    }
  }
  return false;
}

/**
 * Replace Fastify's `application/json` parser with the same parser (prototype and constructor
 * poisoning refused) plus a depth limit: a body nested deeper than `maxDepth` is a 400.
 */
export function installJsonBodyParser(app: FastifyInstance, maxDepth = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    void parse(req, text, (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      if (nestsDeeperThan(value, maxDepth)) {
        const tooDeep = Object.assign(
          new Error(`Request body nests JSON deeper than ${maxDepth} levels`),
          { statusCode: 400, code: JSON_TOO_DEEP },
        );
        return done(tooDeep, undefined);
      }
      done(null, value);
    });
  });
}
