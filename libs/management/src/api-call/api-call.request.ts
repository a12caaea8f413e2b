import type { Dispatcher } from 'undici';

/** Placeholder in header values replaced by the credential's current token. */
export const TOKEN_PLACEHOLDER = '$TOKEN$';

/** Methods `api-call` forwards. */
const METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]);

// Hop-by-hop and framing headers the HTTP client sets itself (undici refuses most of them).
const DROPPED_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
]);

/** A validated `POST /v0/management/api-call` body. */
export interface ApiCallInput {
  /** The credential whose token and proxy are used (`auth_index`). */
  authIndex?: string;
  method: Dispatcher.HttpMethod;
  url: URL;
  header: Record<string, string>;
  /** The raw request body. */
  data?: string;
}

/** The body, or why it is refused (400). */
export type ApiCallParse = { ok: true; input: ApiCallInput } | { ok: false; error: string };

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v.trim()) return v.trim();
  return undefined;
}

/**
 * Read an api-call body: `{auth_index, method, url, header, data}` (`authIndex`/`AuthIndex`
 * accepted as CLIProxyAPI does). Only absolute http(s) URLs; `data` is the raw body (a JSON
 * value other than a string is sent as its JSON text).
 */
export function parseApiCallBody(body: unknown): ApiCallParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, error: 'invalid body: expected a JSON object' };
  const b = body as Record<string, unknown>;
  const method = typeof b.method === 'string' ? b.method.trim().toUpperCase() : '';
  if (!method) return { ok: false, error: 'missing method' };
  if (!METHODS.has(method))
    return { ok: false, error: `unsupported method ${method.slice(0, 20)}` };
  const rawUrl = typeof b.url === 'string' ? b.url.trim() : '';
  if (!rawUrl) return { ok: false, error: 'missing url' };
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, error: 'invalid url' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, error: 'invalid url: only http and https URLs are allowed' };
  if (url.username || url.password)
    return { ok: false, error: 'invalid url: credentials in the URL are not allowed' };

  const header: Record<string, string> = {};
  if (b.header !== undefined && b.header !== null) {
    if (typeof b.header !== 'object' || Array.isArray(b.header))
      return { ok: false, error: 'invalid header: expected an object of strings' };
    for (const [k, v] of Object.entries(b.header as Record<string, unknown>)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
        return { ok: false, error: `invalid header ${k.slice(0, 64)}: value must be a string` };
      header[k] = String(v);
    }
  }
  let data: string | undefined;
  if (typeof b.data === 'string') data = b.data || undefined;
  else if (b.data !== undefined && b.data !== null) data = JSON.stringify(b.data);

  const input: ApiCallInput = { method: method, url, header };
  const authIndex = firstString(b.auth_index, b.authIndex, b.AuthIndex);
  if (authIndex) input.authIndex = authIndex;
  if (data !== undefined) input.data = data;
  return { ok: true, input };
}

/** True when some header value asks for the credential's token. */
export function usesToken(header: Readonly<Record<string, string>>): boolean {
  for (const k in header) if (header[k].includes(TOKEN_PLACEHOLDER)) return true;
  return false;
}

/**
 * The headers to send: every `$TOKEN$` replaced by `token`, hop-by-hop headers dropped (the
 * client manages the connection). The input is left untouched.
 */
export function outgoingHeaders(
  header: Readonly<Record<string, string>>,
  token: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(header)) {
    if (DROPPED_HEADERS.has(k.toLowerCase())) continue;
    out[k] = token !== undefined ? v.replaceAll(TOKEN_PLACEHOLDER, token) : v;
  }
  return out;
}

/** Go's canonical header key (`content-type` → `Content-Type`), as CLIProxyAPI answers them. */
export function canonicalHeaderKey(key: string): string {
  return key
    .split('-')
    .map((p) => (p ? p[0].toUpperCase() + p.slice(1).toLowerCase() : p))
    .join('-');
}

/** Response headers as `{Name: [values]}` (CLIProxyAPI's `http.Header` JSON). */
export function responseHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const key = canonicalHeaderKey(k);
    const list = (out[key] ??= []);
    if (Array.isArray(v)) list.push(...v);
    else list.push(v);
  }
  return out;
}
