import { AppError, loginError } from '@app/common';
import type { TokenSet } from '@app/oauth/token-client';
import { extractBxAuth, iflowKeyFromCookie } from '@app/oauth/login/account.client';
import type { AuthFileSink } from '@app/oauth/login/auth-file.sink';
import {
  compact,
  expiryOf,
  rfc3339,
  safeNamePart,
  type AuthFileDraft,
  type LoginContext,
  type LoginModule,
} from '@app/oauth/login/login-module';

/** An iFlow phone login: the token grant already fetched the account's API key. */
export interface IflowAccount {
  kind: 'iflow';
  token: TokenSet;
}

/** An iFlow cookie login (`POST /iflow-auth-url`): an API key traded for the web cookie. */
export interface IflowCookieAccount {
  kind: 'iflow-cookie';
  apiKey: string;
  /** The key's name on iFlow's platform, which CLIProxyAPI stores as the email. */
  name: string;
  /** iFlow's `expireTime` (`YYYY-MM-DD HH:MM`). */
  expire?: string;
  /** Only the `BXAuth` part of the cookie is kept. */
  bxAuth: string;
}

export const iflowLogin: LoginModule<IflowAccount> = {
  account: async (_ctx, _session, token) => {
    if (!token.apiKey) throw new Error('iFlow returned no API key for this account');
    return { kind: 'iflow', token };
  },
  authFile: ({ token: t }, now) => {
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
        expired: expiryOf(t),
        last_refresh: rfc3339(now),
      }),
    };
  },
};

/** The auth file of a cookie login. */
export function iflowCookieAuthFile(account: IflowCookieAccount, now: number): AuthFileDraft {
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
      last_refresh: rfc3339(now),
    }),
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * iFlow's cookie login (`POST /iflow-auth-url {cookie}`): no browser round trip, the platform
 * trades the web session's `BXAuth` cookie for an API key. A cookie already saved in another
 * auth file is refused (409) so one account is not added twice. Throws AppError.
 */
export async function iflowCookieLogin(
  ctx: LoginContext,
  sink: AuthFileSink,
  cookie: string,
  now: number,
): Promise<{ fileName: string; path: string; email: string; expired?: string; type: 'iflow' }> {
  const raw = cookie.trim();
  if (!raw) throw loginError(400, 'cookie is required');
  const bxAuth = extractBxAuth(raw);
  if (!bxAuth) throw loginError(400, 'cookie must contain BXAuth');
  const normalized = raw.endsWith(';') ? raw : `${raw};`;
  for (const file of await sink.readAll()) {
    if (!file.text.includes(bxAuth)) continue;
    try {
      const data = JSON.parse(file.text) as { cookie?: unknown };
      if (typeof data.cookie === 'string' && extractBxAuth(data.cookie) === bxAuth) {
        throw loginError(409, 'duplicate BXAuth found', { existing_file: file.name });
      }
    } catch (err) {
      if (AppError.is(err, 'login')) throw err;
    }
  }
  let key;
  try {
    key = await iflowKeyFromCookie(ctx.http, ctx.endpoints('iflow'), normalized);
  } catch (err) {
    throw loginError(400, message(err));
  }
  const draft = iflowCookieAuthFile(
    { kind: 'iflow-cookie', apiKey: key.apiKey, name: key.name, expire: key.expireTime, bxAuth },
    now,
  );
  let path: string;
  try {
    path = await sink.write(draft.name, draft.json);
  } catch (err) {
    throw loginError(500, `failed to save authentication tokens: ${message(err)}`);
  }
  return { fileName: draft.name, path, email: key.name, expired: key.expireTime, type: 'iflow' };
}
