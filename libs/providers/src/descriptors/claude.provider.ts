import { defineProvider } from '@app/providers/provider.types';
import { HOUR } from '@app/providers/descriptors/shared';

/** Anthropic's Claude: API keys (`claude-api-key`) and Claude subscription logins. */
export const claude = defineProvider({
  id: 'claude',
  label: 'Claude',
  aliases: ['anthropic'],
  wire: {
    format: 'claude',
    defaultBaseUrl: 'https://api.anthropic.com',
    path: 'claude-messages',
    apiKeyHeader: 'x-api-key',
    headers: { 'anthropic-version': '2023-06-01' },
    // Subscription access tokens are accepted only behind this beta flag.
    oauthHeaders: { 'anthropic-beta': 'oauth-2025-04-20' },
    countsTokens: true,
  },
  models: { catalog: 'claude', owner: 'anthropic', family: ['claude-*'] },
  apiKeys: { section: 'claude-api-key', label: 'Claude', cloak: true },
  authFile: {
    types: ['claude'],
    layout: 'tokens',
    secret: { access_token: 'accessToken', refresh_token: 'refreshToken', id_token: 'idToken' },
    requires: [['access_token']],
  },
  oauth: {
    // Client ids (and, for some, secrets) are the public ones the providers' own CLIs ship:
    // installed-app OAuth clients cannot keep a secret. CLIProxyAPI uses the same, so its auth
    // files refresh here.
    endpoints: {
      authorizeUrl: 'https://claude.ai/oauth/authorize',
      tokenUrl: 'https://api.anthropic.com/v1/oauth/token',
      apiBase: 'https://api.anthropic.com',
      redirectUri: 'http://localhost:54545/callback',
      clientId: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
      scopes: ['org:create_api_key', 'user:profile', 'user:inference'],
      tokenBody: 'json',
      refreshLeadMs: 4 * HOUR,
    },
    token: { exchangeSendsState: true },
    login: {
      id: 'anthropic',
      aliases: ['claude'],
      route: 'anthropic',
      flow: 'redirect',
      callbackPath: '/anthropic/callback',
      pkce: true,
      title: 'Claude (Anthropic)',
      authorize: [
        'code=true',
        'client_id={client_id}',
        'response_type=code',
        'redirect_uri={redirect_uri}',
        'scope={scope}',
        '{pkce}',
        'state={state}',
      ],
    },
  },
  quota: { route: 'claude', polled: true },
});
