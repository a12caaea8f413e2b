import { oauthOf, type TokenQuirks } from '@app/providers';
import type { OAuthEndpoints, OAuthProviderId } from '@app/oauth/oauth-endpoints';
import type { OAuthHttp, OAuthHttpRequest } from '@app/oauth/oauth-http.repository';
import type {
  DeviceCodeResponse,
  DeviceTokenInput,
  DeviceTokenResult,
  ExchangeCodeInput,
  TokenCallOptions,
  TokenSet,
} from '@app/oauth/token.types';

export type {
  DeviceCodeResponse,
  DeviceTokenInput,
  DeviceTokenResult,
  ExchangeCodeInput,
  TokenCallOptions,
  TokenSet,
} from '@app/oauth/token.types';

/** Why a token call failed: `invalid_grant` means sign in again; `transient` means retry. */
export type OAuthTokenErrorKind = 'invalid_grant' | 'transient';

/** OAuth error codes that no retry will fix (the grant is gone or the client is refused). */
const PERMANENT_CODES = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'refresh_token_expired',
  'refresh_token_reused',
  'refresh_token_invalidated',
  'access_denied',
  'expired_token',
]);

/**
 * A failed token call. Carries the HTTP status (undefined for network errors), the provider's
 * OAuth error code and message, never a token or client secret.
 */
export class OAuthTokenError extends Error {
  constructor(
    readonly provider: OAuthProviderId,
    readonly kind: OAuthTokenErrorKind,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly providerMessage: string,
  ) {
    super(
      `${provider} token request failed${status !== undefined ? ` (HTTP ${status})` : ''}: ` +
        `${code ? `${code}: ` : ''}${providerMessage}`,
    );
    this.name = 'OAuthTokenError';
  }

  /** True when the refresh token is revoked or expired: stop retrying, mark the credential. */
  get permanent(): boolean {
    return this.kind === 'invalid_grant';
  }
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const MAX_MESSAGE = 300;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function parseJson(text: string): Json | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const NO_QUIRKS: TokenQuirks = {};

/** What the provider's token endpoint does differently (registry `oauth.token`). */
function quirksOf(provider: OAuthProviderId): TokenQuirks {
  return oauthOf(provider).token ?? NO_QUIRKS;
}

/** Build the token request in the body format the provider expects. */
function tokenRequest(
  ep: OAuthEndpoints,
  fields: Record<string, string | undefined>,
  opts: TokenCallOptions,
): OAuthHttpRequest {
  const present: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') present[k] = v;
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string;
  if (ep.tokenBody === 'json') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(present);
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(present).toString();
  }
  const quirks = quirksOf(ep.provider);
  if (quirks.basicAuth && ep.clientSecret) {
    headers.authorization = `Basic ${Buffer.from(`${ep.clientId}:${ep.clientSecret}`).toString('base64')}`;
  }
  Object.assign(headers, quirks.headers);
  if (quirks.deviceIdHeader && opts.deviceId) headers[quirks.deviceIdHeader] = opts.deviceId;
  return {
    method: 'POST',
    url: ep.tokenUrl,
    headers,
    body,
    proxyUrl: opts.proxyUrl,
    signal: opts.signal,
  };
}

/** Remove every secret that went into the request from a provider's message. */
function scrub(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join('****');
  return out;
}

/** Read `error`/`error_description` in the shapes providers use (flat, nested, `code`). */
function oauthError(body: Json | undefined): { code?: string; message?: string } {
  if (!body) return {};
  const err = body.error;
  if (isObject(err)) {
    return { code: str(err.code) ?? str(err.type), message: str(err.message) };
  }
  return {
    code: str(err) ?? str(body.code),
    message: str(body.error_description) ?? str(body.message) ?? str(body.msg),
  };
}

function classify(status: number, code: string | undefined, provider: OAuthProviderId) {
  if (code && PERMANENT_CODES.has(code)) return 'invalid_grant';
  if (quirksOf(provider).unauthorizedIsInvalidGrant && (status === 401 || status === 403)) {
    return 'invalid_grant';
  }
  return 'transient';
}

/** Send a token request; throws OAuthTokenError on transport or HTTP failure. */
async function post(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  req: OAuthHttpRequest,
  secrets: readonly (string | undefined)[],
): Promise<{ status: number; body: Json | undefined; text: string }> {
  let res;
  try {
    res = await http.send(req);
  } catch (err) {
    throw new OAuthTokenError(
      ep.provider,
      'transient',
      undefined,
      undefined,
      scrub((err as Error).message, secrets),
    );
  }
  return { status: res.status, body: parseJson(res.text), text: res.text };
}

function fail(
  ep: OAuthEndpoints,
  status: number,
  body: Json | undefined,
  text: string,
  secrets: readonly (string | undefined)[],
): never {
  const { code, message } = oauthError(body);
  const kind = classify(status, code, ep.provider);
  const detail = message ?? (body ? (code ?? 'error') : text.trim() || `HTTP ${status}`);
  throw new OAuthTokenError(ep.provider, kind, status, code, scrub(detail, secrets));
}

/** Map a successful token answer to a TokenSet. */
function toTokenSet(ep: OAuthEndpoints, body: Json, now: number): TokenSet {
  const accessToken = str(body.access_token);
  if (!accessToken) {
    throw new OAuthTokenError(
      ep.provider,
      'transient',
      200,
      undefined,
      'no access_token in answer',
    );
  }
  const expiresIn = Number(body.expires_in);
  const account = isObject(body.account) ? body.account : undefined;
  const set: TokenSet = { accessToken, raw: body };
  const refresh = str(body.refresh_token);
  if (refresh) set.refreshToken = refresh;
  const idToken = str(body.id_token);
  if (idToken) set.idToken = idToken;
  if (Number.isFinite(expiresIn) && expiresIn > 0) set.expiresAt = now + expiresIn * 1000;
  const tokenType = str(body.token_type);
  if (tokenType) set.tokenType = tokenType;
  const scope = str(body.scope);
  if (scope) set.scope = scope;
  const email = str(account?.email_address) ?? str(body.email);
  if (email) set.email = email;
  const resourceUrl = str(body.resource_url);
  if (resourceUrl) set.resourceUrl = resourceUrl;
  return set;
}

/** The API key some chat APIs take (iFlow's) comes from the user-info endpoint, not the token. */
async function userInfoApiKey(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  set: TokenSet,
  opts: TokenCallOptions,
): Promise<void> {
  if (!ep.userInfoUrl) return;
  const url = new URL(ep.userInfoUrl);
  url.searchParams.set('accessToken', set.accessToken);
  const secrets = [set.accessToken, set.refreshToken];
  const { status, body, text } = await post(
    http,
    ep,
    {
      method: 'GET',
      url: url.toString(),
      headers: { accept: 'application/json' },
      proxyUrl: opts.proxyUrl,
      signal: opts.signal,
    },
    secrets,
  );
  if (status !== 200 || !body) fail(ep, status, body, text, secrets);
  const data = isObject(body.data) ? body.data : undefined;
  const apiKey = str(data?.apiKey);
  if (body.success !== true || !apiKey) {
    throw new OAuthTokenError(
      ep.provider,
      'transient',
      status,
      undefined,
      'user info has no API key',
    );
  }
  set.apiKey = apiKey;
  const email = str(data?.email) ?? str(data?.phone);
  if (email) set.email = email;
}

/** Run a grant against the token endpoint and normalize the answer. */
async function grant(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  fields: Record<string, string | undefined>,
  secrets: readonly (string | undefined)[],
  opts: TokenCallOptions,
): Promise<TokenSet> {
  const now = opts.now ?? Date.now;
  const { status, body, text } = await post(http, ep, tokenRequest(ep, fields, opts), secrets);
  // Kimi answers some errors with 200 and an `error` field.
  if (status !== 200 || !body || (body.error !== undefined && body.access_token === undefined)) {
    fail(ep, status, body, text, secrets);
  }
  const set = toTokenSet(ep, body, now());
  if (quirksOf(ep.provider).apiKeyFromUserInfo) await userInfoApiKey(http, ep, set, opts);
  return set;
}

/** Exchange an authorization code for tokens (browser logins). */
export async function exchangeCode(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  input: ExchangeCodeInput,
  opts: TokenCallOptions = {},
): Promise<TokenSet> {
  const fields: Record<string, string | undefined> = {
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri ?? ep.redirectUri,
    client_id: ep.clientId,
    client_secret: ep.clientSecret,
    code_verifier: input.codeVerifier,
  };
  if (quirksOf(ep.provider).exchangeSendsState) fields.state = input.state;
  return grant(http, ep, fields, [input.code, input.codeVerifier, ep.clientSecret], opts);
}

/** Trade a refresh token for a new access token. */
export async function refreshToken(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  token: string,
  opts: TokenCallOptions = {},
): Promise<TokenSet> {
  const fields: Record<string, string | undefined> = {
    grant_type: 'refresh_token',
    refresh_token: token,
    client_id: ep.clientId,
    client_secret: ep.clientSecret,
  };
  const scope = quirksOf(ep.provider).refreshScope;
  if (scope) fields.scope = scope;
  return grant(http, ep, fields, [token, ep.clientSecret], opts);
}

/** Start a device flow (Qwen with PKCE, Kimi). */
export async function requestDeviceCode(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  input: { codeChallenge?: string } = {},
  opts: TokenCallOptions = {},
): Promise<DeviceCodeResponse> {
  if (!ep.deviceCodeUrl) {
    throw new Error(`${ep.provider} has no device flow`);
  }
  const fields: Record<string, string> = { client_id: ep.clientId };
  if (ep.scopes.length) fields.scope = ep.scopes.join(' ');
  if (input.codeChallenge) {
    fields.code_challenge = input.codeChallenge;
    fields.code_challenge_method = 'S256';
  }
  const req = tokenRequest({ ...ep, tokenUrl: ep.deviceCodeUrl, tokenBody: 'form' }, fields, opts);
  const { status, body, text } = await post(http, ep, req, [ep.clientSecret]);
  const deviceCode = str(body?.device_code);
  if (status !== 200 || !body || !deviceCode) fail(ep, status, body, text, []);
  return {
    deviceCode,
    userCode: str(body.user_code) ?? '',
    verificationUri: str(body.verification_uri) ?? str(body.verification_url) ?? '',
    verificationUriComplete: str(body.verification_uri_complete),
    expiresIn: Number(body.expires_in) || 600,
    interval: Number(body.interval) || 5,
    raw: body,
  };
}

/** Poll the token endpoint once with a device code. */
export async function exchangeDeviceCode(
  http: OAuthHttp,
  ep: OAuthEndpoints,
  input: DeviceTokenInput,
  opts: TokenCallOptions = {},
): Promise<DeviceTokenResult> {
  try {
    const token = await grant(
      http,
      ep,
      {
        grant_type: DEVICE_GRANT,
        client_id: ep.clientId,
        device_code: input.deviceCode,
        code_verifier: input.codeVerifier,
      },
      [input.deviceCode, input.codeVerifier],
      opts,
    );
    return { status: 'ok', token };
  } catch (err) {
    if (err instanceof OAuthTokenError) {
      if (err.code === 'authorization_pending') return { status: 'pending' };
      if (err.code === 'slow_down') return { status: 'slow_down' };
    }
    throw err;
  }
}
