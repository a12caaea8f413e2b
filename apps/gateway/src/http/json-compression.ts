import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Answers smaller than this go as they are (compressing them costs more than it saves). */
export const COMPRESS_MIN_BYTES = 1024;

/** The API surfaces whose JSON (and text) answers are compressed. */
const PREFIXES = ['/v0/management/', '/api/cliproxy/', '/api/v1/'];

const COMPRESSIBLE = /^(application\/(json|yaml|x-yaml)|text\/(plain|yaml))\b/i;

function isApiPath(url: string): boolean {
  return PREFIXES.some((p) => url.startsWith(p));
}

/** The encoding to use for an Accept-Encoding header: br, then gzip; undefined for neither. */
export function pickEncoding(accept: string | undefined): 'br' | 'gzip' | undefined {
  if (!accept) return undefined;
  const offered = new Map<string, number>();
  for (const part of accept.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find((v) => v !== undefined);
    offered.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const weight = (n: string) => offered.get(n) ?? (offered.has('*') ? (offered.get('*') ?? 0) : 0);
  const br = weight('br');
  const gz = weight('gzip');
  if (br > 0 && br >= gz) return 'br';
  if (gz > 0) return 'gzip';
  return undefined;
}

/** True when the answer to `req` with `reply` should be compressed. */
export function shouldCompress(req: FastifyRequest, reply: FastifyReply, size: number): boolean {
  if (size < COMPRESS_MIN_BYTES || req.method === 'HEAD') return false;
  const url = req.url;
  if (!isApiPath(url)) return false;
  // SSE streams (`/logs/stream`, `/proxy/requests/stream`) write to the socket themselves and
  // must flush each event as it comes; never touch them, whatever their content type says.
  if (url.includes('/stream')) return false;
  if (reply.getHeader('content-encoding') !== undefined) return false;
  const type = String(reply.getHeader('content-type') ?? '');
  return COMPRESSIBLE.test(type);
}

/**
 * Compress the management, control and cluster APIs' JSON and text answers (brotli or gzip, as
 * the client accepts) off the event loop. The proxy routes, which relay upstream answers and
 * streams as they come, and every SSE stream are left alone, as are the panel's assets (served
 * pre-compressed by their own route).
 */
export function installJsonCompression(app: FastifyInstance): void {
  // A callback hook, not an async one: the proxy's answers leave after one prefix test, with
  // no promise and no microtask per response.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (!isApiPath(req.url)) return done(null, payload);
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return done(null, payload);
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (!shouldCompress(req, reply, size)) return done(null, payload);
    void reply.header('vary', mergeVary(reply.getHeader('vary')));
    const encoding = pickEncoding(req.headers['accept-encoding']);
    if (!encoding) return done(null, payload);
    const compressed =
      encoding === 'br'
        ? brotli(payload, {
            // Quality 5: most of brotli's gain at a fraction of its default (11) cost.
            params: {
              [constants.BROTLI_PARAM_QUALITY]: 5,
              [constants.BROTLI_PARAM_SIZE_HINT]: size,
            },
          })
        : gzipAsync(payload, { level: 6 });
    compressed.then(
      (out) => {
        void reply.header('content-encoding', encoding);
        reply.removeHeader('content-length');
        done(null, out);
      },
      (err: Error) => done(err),
    );
  });
}

function mergeVary(current: unknown): string {
  const text = Array.isArray(current)
    ? current.join(', ')
    : typeof current === 'string'
      ? current
      : '';
  if (/\baccept-encoding\b/i.test(text)) return text;
  return text ? `${text}, Accept-Encoding` : 'Accept-Encoding';
}
