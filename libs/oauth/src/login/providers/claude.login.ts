import type { TokenSet } from '@app/oauth/token-client';
import {
  compact,
  expiryOf,
  rfc3339,
  safeNamePart,
  type LoginModule,
} from '@app/oauth/login/login-module';

/** A Claude login: the token answer carries the account's email. */
export interface ClaudeAccount {
  kind: 'anthropic';
  token: TokenSet;
}

export const claudeLogin: LoginModule<ClaudeAccount> = {
  account: async (_ctx, _session, token) => ({ kind: 'anthropic', token }),
  authFile: ({ token: t }, now) => {
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
        expired: expiryOf(t),
        last_refresh: rfc3339(now),
      }),
    };
  },
};
