import { defineProvider } from '@app/providers/provider.types';
import { MINUTE } from '@app/providers/descriptors/shared';

/** Qwen accounts (device login): OpenAI chat at the account's own host (`resource_url`). */
export const qwen = defineProvider({
  id: 'qwen',
  label: 'Qwen',
  aliases: [],
  wire: {
    format: 'openai',
    defaultBaseUrl: 'https://portal.qwen.ai/v1',
    path: 'chat-completions',
    apiKeyHeader: 'authorization',
    accountBaseUrl: true,
  },
  models: { catalog: 'qwen', owner: 'qwen', family: [] },
  authFile: {
    types: ['qwen'],
    layout: 'tokens',
    secret: {
      access_token: 'accessToken',
      refresh_token: 'refreshToken',
      resource_url: 'resourceUrl',
    },
    requires: [['access_token']],
  },
  oauth: {
    endpoints: {
      tokenUrl: 'https://chat.qwen.ai/api/v1/oauth2/token',
      deviceCodeUrl: 'https://chat.qwen.ai/api/v1/oauth2/device/code',
      apiBase: 'https://portal.qwen.ai/v1',
      clientId: 'f0304373b74a44d2b584a3fb70ca9e56',
      scopes: ['openid', 'profile', 'email', 'model.completion'],
      tokenBody: 'form',
      refreshLeadMs: 20 * MINUTE,
    },
    token: { refreshWrites: { resource_url: 'resourceUrl' } },
    login: {
      id: 'qwen',
      aliases: [],
      route: 'qwen',
      flow: 'device',
      // Qwen pairs its device flow with a PKCE verifier.
      pkce: true,
      title: 'Qwen (device code)',
    },
  },
  quota: { route: 'qwen', polled: false },
});
