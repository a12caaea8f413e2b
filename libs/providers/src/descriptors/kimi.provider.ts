import { defineProvider } from '@app/providers/provider.types';
import { MINUTE } from '@app/providers/descriptors/shared';

/** Kimi coding-plan accounts (device login): OpenAI chat. */
export const kimi = defineProvider({
  id: 'kimi',
  label: 'Kimi',
  aliases: [],
  wire: {
    format: 'openai',
    defaultBaseUrl: 'https://api.kimi.com/coding/v1',
    path: 'chat-completions',
    apiKeyHeader: 'authorization',
  },
  models: { catalog: 'kimi', owner: 'moonshot', family: [] },
  authFile: {
    types: ['kimi'],
    layout: 'tokens',
    secret: { access_token: 'accessToken', refresh_token: 'refreshToken', device_id: 'deviceId' },
    requires: [['access_token']],
  },
  oauth: {
    endpoints: {
      tokenUrl: 'https://auth.kimi.com/api/oauth/token',
      deviceCodeUrl: 'https://auth.kimi.com/api/oauth/device_authorization',
      apiBase: 'https://api.kimi.com/coding',
      clientId: '17e5f671-d194-4dfb-9706-5516cb48c098',
      scopes: [],
      tokenBody: 'form',
      refreshLeadMs: 5 * MINUTE,
    },
    token: {
      // The device headers Kimi's CLI sends; the token is bound to the login's device id.
      headers: { 'X-Msh-Platform': 'switchboard', 'X-Msh-Version': '1.0.0' },
      deviceIdHeader: 'X-Msh-Device-Id',
      // Kimi answers a dead refresh token with a bare 401/403.
      unauthorizedIsInvalidGrant: true,
      refreshWrites: { token_type: 'tokenType', scope: 'scope' },
    },
    login: {
      id: 'kimi',
      aliases: [],
      route: 'kimi',
      flow: 'device',
      pkce: false,
      title: 'Kimi (device code)',
    },
  },
  quota: { route: 'kimi', polled: true },
});
