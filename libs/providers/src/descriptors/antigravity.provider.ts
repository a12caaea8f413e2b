import { defineProvider } from '@app/providers/provider.types';
import {
  CODE_ASSIST_BASE,
  GOOGLE_AUTHORIZE,
  GOOGLE_AUTHORIZE_URL,
  GOOGLE_SCOPES,
  GOOGLE_TOKEN_URL,
  MINUTE,
} from '@app/providers/descriptors/shared';

/**
 * Antigravity accounts: the Code Assist surface with its own host and user agent. Its models are
 * a fixed list under names of its own, so it has no native family.
 */
export const antigravity = defineProvider({
  id: 'antigravity',
  label: 'Antigravity',
  aliases: [],
  wire: {
    format: 'antigravity',
    defaultBaseUrl: 'https://daily-cloudcode-pa.sandbox.googleapis.com',
    path: 'code-assist',
    apiKeyHeader: 'authorization',
    headers: { 'user-agent': 'antigravity/1.11.5 (switchboard)' },
    retryHint: 'google-retry-info',
  },
  models: { catalog: 'antigravity', owner: 'antigravity', family: [] },
  authFile: {
    types: ['antigravity'],
    layout: 'tokens',
    secret: {
      access_token: 'accessToken',
      refresh_token: 'refreshToken',
      project_id: 'projectId',
    },
    requires: [['access_token', 'refresh_token']],
    // Older Antigravity files carry only the issue time and the lifetime.
    issuedExpiry: true,
  },
  oauth: {
    endpoints: {
      authorizeUrl: GOOGLE_AUTHORIZE_URL,
      tokenUrl: GOOGLE_TOKEN_URL,
      userInfoUrl: 'https://www.googleapis.com/oauth2/v2/userinfo?alt=json',
      apiBase: CODE_ASSIST_BASE,
      redirectUri: 'http://localhost:51121/oauth-callback',
      clientId: '884354919052-36trc1jjb3tguiac32ov6cod268c5blh.apps.googleusercontent.com',
      clientSecret: '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',
      scopes: [
        ...GOOGLE_SCOPES,
        'https://www.googleapis.com/auth/cclog',
        'https://www.googleapis.com/auth/experimentsandconfigs',
      ],
      tokenBody: 'form',
      refreshLeadMs: 5 * MINUTE,
    },
    login: {
      id: 'antigravity',
      aliases: ['anti-gravity'],
      route: 'antigravity',
      flow: 'redirect',
      callbackPath: '/antigravity/callback',
      // Antigravity's OAuth client requires PKCE; Google accepts it for any client.
      pkce: true,
      title: 'Antigravity (Google)',
      authorize: GOOGLE_AUTHORIZE,
    },
  },
  quota: { route: 'agy', polled: true },
});
