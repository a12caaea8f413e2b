import type { IncomingHttpHeaders } from 'node:http';
import type { AppConfig } from '@app/config';

/**
 * Amp API trees under `/api/<name>` that answer 503 with a hint while `ampcode.upstream-url` is
 * unset (every other path under `/api/` then stays the gateway's 404). With an upstream URL the
 * whole `/api/` namespace goes to Amp, these and every other tree, except the gateway's own.
 */
export const AMP_API_ROUTES: readonly string[] = [
  'internal',
  'user',
  'auth',
  'meta',
  'ads',
  'telemetry',
  'threads',
  'otel',
  'tab',
  'thread-actors',
  'user-actor-credentials',
];

/**
 * The gateway's own trees under `/api/` (cluster and control APIs): never forwarded to Amp, so a
 * mistyped cluster path is the gateway's 404 and a management token never leaves for Amp.
 * `/api/provider/...` is Amp's model namespace: the model routes the gateway knows are served
 * (locally or forwarded, see decideAmpRoute); any other path under it goes to Amp.
 */
export const GATEWAY_API_PREFIXES: readonly string[] = ['/api/v1', '/api/cliproxy'];

/** Root paths the Amp CLI opens in a browser (GET), forwarded with their sub-paths. */
export const AMP_ROOT_PAGES: readonly string[] = [
  'threads',
  'docs',
  'settings',
  'pay',
  'pricing',
  'projects',
];

/** Root paths that skip the client key check (the browser opens them without one). */
export const AMP_KEYLESS_PREFIXES: readonly string[] = [
  '/threads',
  '/auth',
  '/docs',
  '/settings',
  '/pay',
  '/pricing',
  '/projects',
];

/**
 * Amp's thread actors (`${AMP_URL}/actors`, Rivet's actor gateway): HTTP requests and the
 * WebSocket through which the CLI drives a thread. The CLI opens the WebSocket without an API
 * key (the actor checks the token `/api/thread-actors` handed out), so a key is optional here;
 * the Amp key is added only for a caller that presented a valid client key.
 */
export const AMP_ACTORS_PREFIX = '/actors';

/** True when `path` is `prefix` or lies below it (`/actors`, `/actors/x`; never `/actorsx`). */
export function isUnder(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/');
}

/** True for the gateway's own `/api/` trees (see GATEWAY_API_PREFIXES). */
export function isGatewayApiPath(path: string): boolean {
  return GATEWAY_API_PREFIXES.some((p) => isUnder(path, p));
}

/** True for the Amp API trees that answer with a hint while Amp is not configured. */
export function isKnownAmpApiPath(path: string): boolean {
  return AMP_API_ROUTES.some((name) => isUnder(path, `/api/${name}`));
}

/**
 * True for a path the Amp integration owns (forwarded to Amp once an upstream URL is set):
 * everything under `/api/` but the gateway's own trees and its provider model routes (Amp's
 * Gemini `v1beta1` paths aside), `/actors`, the browser pages, `/auth` and the feeds. CORS
 * leaves these alone: they carry account data behind the team's Amp key.
 */
export function isAmpNamespacePath(path: string): boolean {
  if (path.startsWith('/api/')) {
    if (isUnder(path, '/api/provider')) return isUnder(path, '/api/provider/google/v1beta1');
    return !isGatewayApiPath(path);
  }
  if (isUnder(path, AMP_ACTORS_PREFIX) || isUnder(path, '/auth')) return true;
  if (AMP_ROOT_PAGES.some((name) => isUnder(path, `/${name}`))) return true;
  return path === '/threads.rss' || path === '/news.rss';
}

/** The path of a request URL, without its query. */
export function pathOfUrl(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

/** What a forbidden non-local caller gets with `restrict-management-to-localhost`. */
export const AMP_LOCALHOST_ONLY = 'Access denied: management routes restricted to localhost';

/** Env var read when config.yaml has no Amp key (as CLIProxyAPI does). */
export const AMP_KEY_ENV = 'AMP_API_KEY';

/** Per-hop headers (RFC 9110 7.6.1) and ones undici refuses: never forwarded either way. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'expect',
]);

/** The client's gateway key (replaced by the Amp key) and proxy hops that identify the client. */
const STRIPPED_REQUEST = new Set([
  'authorization',
  'x-api-key',
  'x-goog-api-key',
  'forwarded',
  'via',
  'x-real-ip',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
]);

type OutHeaders = Record<string, string | string[]>;

const TRAILING_SLASHES = /\/+$/;
const PLUS = /\+/g;

/** The headers a `Connection:` header names are per-hop too. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> | undefined {
  const value = headers.connection;
  if (!value) return undefined;
  return new Set(value.split(',').map((t) => t.trim().toLowerCase()));
}

/** True for the paths that skip the key check: `/threads`, `/threads/x`, never `/threads.rss`. */
export function isKeylessAmpPath(path: string): boolean {
  return AMP_KEYLESS_PREFIXES.some((p) => isUnder(path, p));
}

/**
 * Request headers for the Amp upstream: the client's own headers minus per-hop ones, its
 * gateway key and forwarding hops; the Amp key as `Authorization: Bearer` and `X-Api-Key`.
 * Content headers (type, length, encoding) pass untouched so the body goes as it came.
 */
export function ampRequestHeaders(
  incoming: IncomingHttpHeaders,
  ampKey: string | undefined,
): OutHeaders {
  const named = connectionTokens(incoming);
  const out: OutHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || STRIPPED_REQUEST.has(name)) continue;
    if (named?.has(name)) continue;
    out[name] = value;
  }
  if (ampKey) {
    out.authorization = `Bearer ${ampKey}`;
    out['x-api-key'] = ampKey;
  }
  return out;
}

/**
 * Response headers for the client: the upstream's minus per-hop ones and CORS grants (the Amp
 * routes carry account data; a browser page elsewhere must not read them).
 */
export function ampResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
): OutHeaders {
  const out: OutHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (name.startsWith('access-control-')) continue;
    out[name] = value;
  }
  return out;
}

/**
 * The upstream URL of a request: the Amp base (its path kept as a prefix) plus the request's
 * path and query, without a `key` or `auth_token` query value equal to the client's key (it
 * authenticated the client here; it must not reach Amp). Other query values stay as sent.
 */
export function ampTargetUrl(base: string, requestUrl: string, clientKey?: string): string {
  const trimmed = base.replace(TRAILING_SLASHES, '');
  const q = requestUrl.indexOf('?');
  if (q < 0 || !clientKey) return trimmed + requestUrl;
  const path = requestUrl.slice(0, q);
  const kept = requestUrl
    .slice(q + 1)
    .split('&')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      if (name !== 'key' && name !== 'auth_token') return true;
      return decodeQueryValue(eq < 0 ? '' : pair.slice(eq + 1)) !== clientKey;
    });
  return trimmed + path + (kept.length > 0 ? `?${kept.join('&')}` : '');
}

function decodeQueryValue(v: string): string {
  try {
    return decodeURIComponent(v.replace(PLUS, ' '));
  } catch {
    return v;
  }
}

type AmpConfig = AppConfig['ampcode'];

interface KeyTable {
  byClient: ReadonlyMap<string, string>;
  fallback: string;
}

const tables = new WeakMap<AmpConfig, KeyTable>();

function keyTable(amp: AmpConfig): KeyTable {
  let t = tables.get(amp);
  if (t) return t;
  const byClient = new Map<string, string>();
  for (const entry of amp['upstream-api-keys']) {
    const upstream = entry['upstream-api-key'].trim();
    if (!upstream) continue;
    for (const k of entry['api-keys']) {
      const client = k.trim();
      // The first entry naming a client key wins.
      if (client && !byClient.has(client)) byClient.set(client, upstream);
    }
  }
  t = { byClient, fallback: amp['upstream-api-key'].trim() };
  tables.set(amp, t);
  return t;
}

/**
 * The Amp key for a client: its entry in `upstream-api-keys`, else `upstream-api-key`, else the
 * `AMP_API_KEY` environment variable. Undefined when none is set (the request goes keyless).
 */
export function ampUpstreamKey(
  amp: AmpConfig,
  clientKey: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const t = keyTable(amp);
  const mapped = clientKey ? t.byClient.get(clientKey) : undefined;
  return mapped || t.fallback || env[AMP_KEY_ENV]?.trim() || undefined;
}

/**
 * The head of a `101 Switching Protocols` answer relaying the upstream's handshake headers as
 * sent (Upgrade, Connection, Sec-WebSocket-Accept/Protocol/Extensions and the rest): the
 * client checks the accept value against its own key, so nothing here may change them.
 */
export function ampUpgradeResponseHead(
  headers: Record<string, string | string[] | undefined>,
): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      // Header values never hold line breaks on the wire; refuse to forge one.
      if (/[\r\n]/.test(name) || /[\r\n]/.test(v)) continue;
      head += `${name}: ${v}\r\n`;
    }
  }
  return `${head}\r\n`;
}

/** True when a body starts with the gzip magic bytes. */
export function isGzipMagic(chunk: Uint8Array | undefined): boolean {
  return !!chunk && chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b;
}
