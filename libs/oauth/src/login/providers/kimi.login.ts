import type { TokenSet } from '@app/oauth/token-client';
import { compact, expiryOf, type LoginModule } from '@app/oauth/login/login-module';

/** A Kimi device login: its tokens are bound to the device id the login minted. */
export interface KimiAccount {
  kind: 'kimi';
  token: TokenSet;
  deviceId: string;
}

export const kimiLogin: LoginModule<KimiAccount> = {
  account: async (_ctx, session, token) => ({
    kind: 'kimi',
    token,
    deviceId: session.device?.deviceId ?? '',
  }),
  authFile: (account, now) => {
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
        expired: expiryOf(t),
        timestamp: now,
      }),
    };
  },
};
