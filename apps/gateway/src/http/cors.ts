import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAmpNamespacePath } from '@app/proxy';

/**
 * Response headers a browser page may read cross-origin: CLIProxyAPI's list (its Management
 * Center reads the version headers) plus the request ids the gateway and upstreams send and the
 * download name of auth files and logs.
 */
export const CORS_EXPOSED_HEADERS: readonly string[] = [
  'X-CPA-VERSION',
  'X-CPA-COMMIT',
  'X-CPA-BUILD-DATE',
  'X-CPA-SUPPORT-PLUGIN',
  'X-SERVER-VERSION',
  'X-SERVER-BUILD-DATE',
  'Location',
  'Retry-After',
  'X-Request-Id',
  'X-Upstream-Request-Id',
  'OpenAI-Request-Id',
  'Request-Id',
  'Content-Disposition',
];

export const CORS_ALLOWED_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';

/** How long a browser may reuse a preflight answer (Chromium caps this at 2 h). */
const PREFLIGHT_MAX_AGE_SECONDS = '600';

/** A header-name list as browsers send it in `Access-Control-Request-Headers`. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;
const MAX_HEADER_LIST = 2048;

const EXPOSED = CORS_EXPOSED_HEADERS.join(', ');

/**
 * `Access-Control-Allow-Headers` for a request: the headers its preflight asks for, echoed, or
 * `*`. Echoing matters: browsers never let the `*` wildcard cover `Authorization`, which is how
 * the Management Center (and every SDK) sends its key.
 */
export function allowedHeaders(requested: string | string[] | undefined): string {
  const v = (Array.isArray(requested) ? requested.join(',') : requested)?.trim();
  if (!v || v.length > MAX_HEADER_LIST || !HEADER_LIST.test(v)) return '*';
  return v;
}

/**
 * Paths of the Amp CLI integration: they keep CLIProxyAPI's no-CORS rule (no grant, preflights
 * refused by the Amp routes themselves), because they serve account data behind the team's Amp
 * key, some of it without a client key (the browser pages).
 */
export function isAmpPath(path: string): boolean {
  return isAmpNamespacePath(path);
}

/**
 * The APIs that let loopback peers in without a key (control and cluster). A page in a browser
 * on the gateway's machine is a loopback peer: a grant would let any site it visits read, say,
 * config.yaml from `/api/cliproxy/config.yaml`. So a cross-origin page gets the grant there only
 * when it sends a key, or comes from a loopback origin (a local dashboard on another port).
 */
export function trustsLoopback(path: string): boolean {
  return ['/api/cliproxy', '/api/v1'].some(
    (prefix) => path === prefix || path.startsWith(`${prefix}/`),
  );
}

const KEY_HEADERS = ['authorization', 'x-management-key', 'x-api-key'];

/** True for an `Origin` on this machine: `http://localhost:3000`, `http://127.0.0.1:8080`. */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const host = new URL(origin).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** Whether a request to a loopback-trusting API may have the grant (see `trustsLoopback`). */
function mayGrant(req: FastifyRequest, path: string): boolean {
  const origin = req.headers.origin;
  if (!origin || !trustsLoopback(path) || isLoopbackOrigin(origin)) return true;
  if (req.method === 'OPTIONS') {
    const asked = String(req.headers['access-control-request-headers'] ?? '').toLowerCase();
    return KEY_HEADERS.some((h) => asked.split(',').some((a) => a.trim() === h));
  }
  return KEY_HEADERS.some((h) => Boolean(req.headers[h]));
}

function pathOf(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q < 0 ? req.url : req.url.slice(0, q);
}

/** Set the CORS grant on a response (on the raw response, so hijacked streams carry it too). */
function grant(req: FastifyRequest, reply: FastifyReply): void {
  const raw = reply.raw;
  raw.setHeader('Access-Control-Allow-Origin', '*');
  raw.setHeader('Access-Control-Allow-Methods', CORS_ALLOWED_METHODS);
  const headers = allowedHeaders(req.headers['access-control-request-headers']);
  raw.setHeader('Access-Control-Allow-Headers', headers);
  if (headers !== '*') raw.setHeader('Vary', 'Access-Control-Request-Headers');
  raw.setHeader('Access-Control-Expose-Headers', EXPOSED);
}

/**
 * CORS on every route, as CLIProxyAPI does: `Access-Control-Allow-Origin: *` with the methods,
 * headers and exposed headers above, and every `OPTIONS` preflight answered 204 here, before any
 * other hook or guard, so a preflight never needs a key (nor counts as a failed one). No cookie
 * is ever a credential here, so `*` lets a page do only what the key it sends allows. Install it
 * before every other `onRequest` hook: a hook that answers ends the chain. Amp's paths are left
 * alone (`isAmpPath`); the loopback-trusting APIs grant only to a page that sends a key
 * (`trustsLoopback`).
 */
export function installCors(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    const path = pathOf(req);
    if (isAmpPath(path)) return done();
    const granted = mayGrant(req, path);
    if (granted) grant(req, reply);
    if (req.method !== 'OPTIONS') return done();
    if (granted) reply.raw.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE_SECONDS);
    // Answering from the hook ends the request here: no later hook, guard or handler runs.
    void reply.code(204).send();
  });
}
