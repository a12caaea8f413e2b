// The contract of a provider's login module (login/providers/<id>.login.ts): the code an OAuth
// provider adds beside its registry row. The flow itself (sessions, PKCE, the authorize URL, the
// code or device grant, writing the file) is the login service's and driven by the row.
import type { OAuthProviderId } from '@app/providers';
import type { OAuthEndpoints } from '@app/oauth/oauth-endpoints';
import type { OAuthHttp } from '@app/oauth/oauth-http.repository';
import type { TokenSet } from '@app/oauth/token-client';
import type { OnboardOptions } from '@app/oauth/login/account.client';
import type { LoginSession } from '@app/oauth/login/login-session.types';
import { rfc3339 } from '@app/oauth/auth-file-update';

/** An auth file ready to write: its name in auth-dir and its JSON. */
export interface AuthFileDraft {
  name: string;
  json: Record<string, unknown>;
  /** For messages and listings. */
  email?: string;
}

/** What a login module may call while it completes a login. */
export interface LoginContext {
  readonly http: OAuthHttp;
  /** A provider's endpoints with config overrides applied. */
  endpoints(provider: OAuthProviderId): OAuthEndpoints;
  /** Google Cloud's project list (Gemini CLI `project_id=ALL`). */
  readonly projectsUrl: string;
  /** Code Assist onboarding poll tuning (tests make it instant). */
  readonly onboard?: OnboardOptions;
  readonly log?: { warn(msg: string): void };
}

/** A finished login as one provider's auth file needs it; `kind` is the login flow's name. */
export interface LoginAccountBase {
  readonly kind: string;
}

/** One provider's login code. */
export interface LoginModule<A extends LoginAccountBase = LoginAccountBase> {
  /** Fetch what the auth file needs beyond the tokens (email, project, plan…). */
  account(ctx: LoginContext, session: LoginSession, token: TokenSet): Promise<A>;
  /** The auth file CLIProxyAPI writes for the account: same name, `type` and field names. */
  authFile(account: A, now: number): AuthFileDraft;
}

// The characters routing accepts in an auth-file name (validateAuthFileName); anything else in
// an email or plan (which come from the provider, so are untrusted) becomes `_`.
const UNSAFE_NAME_CHARS = /[^A-Za-z0-9@+._-]/g;
const DOT_RUNS = /\.{2,}/g;
const MAX_PART = 96;

/** Make one untrusted piece of a file name safe: no separators, no `..`, bounded length. */
export function safeNamePart(value: string): string {
  return value.trim().replace(UNSAFE_NAME_CHARS, '_').replace(DOT_RUNS, '.').slice(0, MAX_PART);
}

// One RFC 3339 formatter for refreshed and newly logged-in auth files alike.
export { rfc3339 };

/** The token's expiry as the files write it. */
export function expiryOf(token: TokenSet): string | undefined {
  return token.expiresAt !== undefined ? rfc3339(token.expiresAt) : undefined;
}

/** Drop undefined and empty-string fields: CLIProxyAPI's files omit what it does not know. */
export function compact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}
