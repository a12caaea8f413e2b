import { descriptorOf, oauthOf, type Descriptor } from '@app/providers';
import type { OAuthProviderId } from '@app/oauth/oauth-endpoints';
import type { TokenSet } from '@app/oauth/token-client';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The expiry keys CLIProxyAPI reads (top level and inside Gemini's `token`). */
const EXPIRY_KEYS = [
  'expired',
  'expire',
  'expires_at',
  'expiresAt',
  'expiry',
  'expires',
  'expiry_date',
] as const;

const NUMERIC = /^\d+(\.\d+)?$/;
const MILLIS = /\.\d{3}Z$/;

/** RFC 3339 without fractional seconds, as Go's `time.RFC3339` writes it. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(MILLIS, 'Z');
}

/**
 * An expiry value in the format the file already used for that key: Unix seconds or
 * milliseconds (as number or numeric string) stay so, anything else becomes RFC 3339.
 */
function sameFormat(previous: unknown, ms: number): unknown {
  const asNumber =
    typeof previous === 'number'
      ? previous
      : typeof previous === 'string' && NUMERIC.test(previous.trim())
        ? Number(previous)
        : undefined;
  if (asNumber === undefined) return rfc3339(ms);
  const value = asNumber > 1e12 ? ms : Math.floor(ms / 1000);
  return typeof previous === 'string' ? String(value) : value;
}

/** Rewrite every expiry key present in `obj` (keeping each one's format). */
function updateExpiryKeys(obj: Json, ms: number): boolean {
  let found = false;
  for (const key of EXPIRY_KEYS) {
    if (obj[key] === undefined || obj[key] === null || obj[key] === '') continue;
    obj[key] = sameFormat(obj[key], ms);
    found = true;
  }
  return found;
}

/** Set `key` when the new value is present; an absent value keeps the old one (no rotation). */
function setIf(obj: Json, key: string, value: string | undefined): void {
  if (value) obj[key] = value;
}

/** TokenSet fields that hold a string. */
type StringTokenKey = {
  [K in keyof TokenSet]-?: NonNullable<TokenSet[K]> extends string ? K : never;
}[keyof TokenSet];

/** The TokenSet fields registry rows name in `oauth.token.refreshWrites`. */
type RefreshWriteField<D = Descriptor> = D extends {
  oauth: { token: { refreshWrites: infer W } };
}
  ? W[keyof W]
  : never;

/** A registry row naming a field TokenSet lacks (or one that is not a string) fails here. */
function tokenKey(field: RefreshWriteField): StringTokenKey {
  return field;
}

/**
 * Apply refreshed tokens to an auth file's JSON in CLIProxyAPI's format. Only the token and
 * expiry fields change (plus `last_refresh`); every other field, known or not, is kept as it
 * was. Returns a new object; the input is not modified.
 */
export function applyTokenSet(
  provider: OAuthProviderId,
  file: Readonly<Json>,
  tokens: TokenSet,
  now: number,
): Json {
  const out: Json = { ...file };
  const expiresAt = tokens.expiresAt;

  if (descriptorOf(provider).authFile.layout === 'google-token') {
    // Gemini CLI files keep the tokens in a Go oauth2.Token object under `token`.
    const token: Json = isObject(out.token) ? { ...out.token } : {};
    token.access_token = tokens.accessToken;
    setIf(token, 'refresh_token', tokens.refreshToken);
    setIf(token, 'token_type', tokens.tokenType);
    setIf(token, 'id_token', tokens.idToken);
    if (expiresAt !== undefined) {
      if (!updateExpiryKeys(token, expiresAt)) token.expiry = rfc3339(expiresAt);
      if (typeof token.expires_in === 'number') {
        token.expires_in = Math.max(0, Math.round((expiresAt - now) / 1000));
      }
      // A top-level expiry wins over the nested one when CLIProxyAPI reads the file.
      updateExpiryKeys(out, expiresAt);
    }
    out.token = token;
  } else {
    out.access_token = tokens.accessToken;
    setIf(out, 'refresh_token', tokens.refreshToken);
    if (out.id_token !== undefined) setIf(out, 'id_token', tokens.idToken);
    // What else the provider's files keep from a token answer (Qwen's host, iFlow's key…).
    const writes = oauthOf(provider).token?.refreshWrites ?? {};
    for (const [key, field] of Object.entries(writes)) {
      setIf(out, key, tokens[tokenKey(field as RefreshWriteField)]);
    }
    if (expiresAt !== undefined) {
      if (!updateExpiryKeys(out, expiresAt)) out.expired = rfc3339(expiresAt);
      // Antigravity also records the lifetime and issue time (ms).
      if (typeof out.expires_in === 'number') {
        out.expires_in = Math.max(0, Math.round((expiresAt - now) / 1000));
      }
      if (typeof out.timestamp === 'number') out.timestamp = now;
    }
  }
  out.last_refresh = rfc3339(now);
  return out;
}

/** `last_refresh` of an auth file as epoch ms, when present and readable. */
export function lastRefreshOf(file: Readonly<Json>): number | undefined {
  const v = file.last_refresh;
  if (typeof v !== 'string' || !v) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}
