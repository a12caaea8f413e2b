import { createHash } from 'node:crypto';
import type { OAuthEndpoints } from '@app/oauth/oauth-endpoints';
import type { TokenSet } from '@app/oauth/token-client';
import { codexClaims } from '@app/oauth/login/codex-claims';

/** A finished login, enriched with what the auth file needs, per flow. */
export type LoginAccount =
  | { kind: 'anthropic'; token: TokenSet }
  | { kind: 'codex'; token: TokenSet }
  | {
      kind: 'gemini';
      token: TokenSet;
      email: string;
      /** One project, or several joined with commas (`project_id=ALL`). */
      projectId: string;
      /** The project was discovered, not asked for. */
      auto: boolean;
      endpoints: OAuthEndpoints;
    }
  | { kind: 'antigravity'; token: TokenSet; email: string; projectId?: string }
  | { kind: 'qwen'; token: TokenSet }
  | { kind: 'kimi'; token: TokenSet; deviceId: string }
  | { kind: 'iflow'; token: TokenSet }
  | {
      kind: 'iflow-cookie';
      apiKey: string;
      /** The key's name on iFlow's platform, which CLIProxyAPI stores as the email. */
      name: string;
      /** iFlow's `expireTime` (`YYYY-MM-DD HH:MM`). */
      expire?: string;
      /** Only the `BXAuth` part of the cookie is kept. */
      bxAuth: string;
    };

/** An auth file ready to write: its name in auth-dir and its JSON. */
export interface AuthFileDraft {
  name: string;
  json: Record<string, unknown>;
  /** For messages and listings. */
  email?: string;
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

/** `plus`, `pro`, `team`…: lower-case, non-alphanumerics collapsed to `-` (CLIProxyAPI's rule). */
export function normalizePlanType(plan: string | undefined): string {
  if (!plan) return '';
  return plan
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join('-');
}

/** RFC 3339 in UTC without milliseconds, as CLIProxyAPI's Go code writes times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * CLIProxyAPI's Codex file name: `codex-<email>-<plan>.json`; a team plan also carries the first
 * 8 hex characters of SHA-256(account id), because one email can sit in several workspaces.
 */
export function codexFileName(email: string, plan: string | undefined, accountId?: string): string {
  const p = normalizePlanType(plan);
  const e = safeNamePart(email);
  if (!p) return `codex-${e}.json`;
  if (p === 'team' && accountId) {
    const hash = createHash('sha256').update(accountId).digest('hex').slice(0, 8);
    return `codex-${hash}-${e}-${p}.json`;
  }
  return `codex-${e}-${p}.json`;
}

/** `gemini-<email>-<project>.json`, or `gemini-<email>-all.json` for several projects. */
export function geminiFileName(email: string, projectId: string): string {
  const project = projectId.trim();
  const all = project.toLowerCase() === 'all' || project.includes(',');
  return `gemini-${safeNamePart(email)}-${all ? 'all' : safeNamePart(project)}.json`;
}

function expiry(token: TokenSet): string | undefined {
  return token.expiresAt !== undefined ? rfc3339(token.expiresAt) : undefined;
}

/** Drop undefined and empty-string fields: CLIProxyAPI's files omit what it does not know. */
function compact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/**
 * The auth file CLIProxyAPI writes for this account: same name, same `type` and field names, so
 * the file moves between the two unchanged. `now` names the files that have no email (Qwen,
 * Kimi) and stamps `last_refresh`.
 */
export function buildAuthFile(account: LoginAccount, now: number): AuthFileDraft {
  const lastRefresh = rfc3339(now);
  switch (account.kind) {
    case 'anthropic': {
      const t = account.token;
      const email = t.email ?? '';
      return {
        name: email ? `claude-${safeNamePart(email)}.json` : `claude-${now}.json`,
        email: email || undefined,
        json: compact({
          type: 'claude',
          email,
          access_token: t.accessToken,
          refresh_token: t.refreshToken,
          id_token: t.idToken,
          expired: expiry(t),
          last_refresh: lastRefresh,
        }),
      };
    }
    case 'codex': {
      const t = account.token;
      const claims = codexClaims(t.idToken);
      const email = claims.email ?? t.email ?? '';
      return {
        name: email ? codexFileName(email, claims.planType, claims.accountId) : `codex-${now}.json`,
        email: email || undefined,
        json: compact({
          type: 'codex',
          email,
          id_token: t.idToken,
          access_token: t.accessToken,
          refresh_token: t.refreshToken,
          account_id: claims.accountId,
          expired: expiry(t),
          last_refresh: lastRefresh,
        }),
      };
    }
    case 'gemini': {
      const t = account.token;
      const ep = account.endpoints;
      // Google's own token JSON (oauth2.Token plus the fields gcloud-style tools read back).
      const token = compact({
        access_token: t.accessToken,
        token_type: t.tokenType ?? 'Bearer',
        refresh_token: t.refreshToken,
        expiry: expiry(t),
        token_uri: ep.tokenUrl,
        client_id: ep.clientId,
        client_secret: ep.clientSecret,
        scopes: [...ep.scopes],
        universe_domain: 'googleapis.com',
      });
      return {
        name: geminiFileName(account.email, account.projectId),
        email: account.email,
        json: {
          type: 'gemini',
          email: account.email,
          project_id: account.projectId,
          auto: account.auto,
          // Cloud AI API enablement is not verified here (CLIProxyAPI checks it via serviceusage).
          checked: false,
          token,
        },
      };
    }
    case 'antigravity': {
      const t = account.token;
      const expiresIn = t.expiresAt !== undefined ? Math.round((t.expiresAt - now) / 1000) : 0;
      return {
        name: `antigravity-${safeNamePart(account.email)}.json`,
        email: account.email,
        json: compact({
          type: 'antigravity',
          email: account.email,
          project_id: account.projectId,
          access_token: t.accessToken,
          refresh_token: t.refreshToken,
          expires_in: expiresIn > 0 ? expiresIn : undefined,
          timestamp: now,
          expired: expiry(t),
        }),
      };
    }
    case 'qwen': {
      const t = account.token;
      // Qwen's token answer has no email: CLIProxyAPI stores the login time in its place.
      const id = String(now);
      return {
        name: `qwen-${id}.json`,
        json: compact({
          type: 'qwen',
          email: id,
          access_token: t.accessToken,
          refresh_token: t.refreshToken,
          resource_url: t.resourceUrl,
          expired: expiry(t),
          last_refresh: lastRefresh,
        }),
      };
    }
    case 'kimi': {
      const t = account.token;
      return {
        name: `kimi-${now}.json`,
        json: compact({
          type: 'kimi',
          access_token: t.accessToken,
          refresh_token: t.refreshToken,
          token_type: t.tokenType,
          scope: t.scope,
          device_id: account.deviceId,
          expired: expiry(t),
          timestamp: now,
        }),
      };
    }
    case 'iflow': {
      const t = account.token;
      const email = t.email ?? String(now);
      return {
        name: `iflow-${safeNamePart(email)}.json`,
        email,
        json: compact({
          type: 'iflow',
          email,
          api_key: t.apiKey,
          access_token: t.accessToken,
          refresh_token: t.refreshToken,
          token_type: t.tokenType,
          scope: t.scope,
          expired: expiry(t),
          last_refresh: lastRefresh,
        }),
      };
    }
    case 'iflow-cookie': {
      const base = safeNamePart(account.name) || String(now);
      return {
        name: `iflow-${base}-${Math.floor(now / 1000)}.json`,
        email: account.name,
        json: compact({
          type: 'iflow',
          email: account.name,
          api_key: account.apiKey,
          expired: account.expire,
          cookie: `BXAuth=${account.bxAuth};`,
          last_refresh: lastRefresh,
        }),
      };
    }
  }
}
