import type { TokenSet } from '@app/oauth/token-client';
import { compact, expiryOf, rfc3339, type LoginModule } from '@app/oauth/login/login-module';

/** A Qwen device login. */
export interface QwenAccount {
  kind: 'qwen';
  token: TokenSet;
}

export const qwenLogin: LoginModule<QwenAccount> = {
  account: async (_ctx, _session, token) => ({ kind: 'qwen', token }),
  authFile: ({ token: t }, now) => {
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
        expired: expiryOf(t),
        last_refresh: rfc3339(now),
      }),
    };
  },
};
