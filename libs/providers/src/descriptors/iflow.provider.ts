import { defineProvider } from '@app/providers/provider.types';
import { HOUR } from '@app/providers/descriptors/shared';

/**
 * iFlow accounts (phone login or a web cookie): OpenAI chat with the API key the login yields,
 * not the access token.
 */
export const iflow = defineProvider({
  id: 'iflow',
  label: 'iFlow',
  aliases: [],
  wire: {
    format: 'openai',
    defaultBaseUrl: 'https://apis.iflow.cn/v1',
    path: 'chat-completions',
    apiKeyHeader: 'authorization',
  },
  models: { catalog: 'iflow', owner: 'iflow', family: [] },
  authFile: {
    types: ['iflow'],
    layout: 'tokens',
    secret: {
      api_key: 'apiKey',
      access_token: 'accessToken',
      refresh_token: 'refreshToken',
      cookie: 'cookie',
    },
    requires: [['api_key']],
  },
  oauth: {
    endpoints: {
      authorizeUrl: 'https://iflow.cn/oauth',
      tokenUrl: 'https://iflow.cn/oauth/token',
      userInfoUrl: 'https://iflow.cn/api/oauth/getUserInfo',
      apiBase: 'https://apis.iflow.cn/v1',
      apiKeyUrl: 'https://platform.iflow.cn/api/openapi/apikey',
      redirectUri: 'http://localhost:11451/oauth2callback',
      clientId: '10009311001',
      clientSecret: '4Z3YjXycVsQvyGF1etiNlIBB4RsqSDtW',
      scopes: [],
      tokenBody: 'form',
      refreshLeadMs: 24 * HOUR,
    },
    token: {
      basicAuth: true,
      apiKeyFromUserInfo: true,
      refreshWrites: { api_key: 'apiKey', token_type: 'tokenType', scope: 'scope' },
    },
    login: {
      id: 'iflow',
      aliases: ['i-flow'],
      route: 'iflow',
      flow: 'redirect',
      callbackPath: '/iflow/callback',
      pkce: false,
      title: 'iFlow',
      // iFlow's own `redirect` parameter and its phone login.
      authorize: [
        'loginMethod=phone',
        'type=phone',
        'redirect={redirect_uri}',
        'state={state}',
        'client_id={client_id}',
      ],
    },
  },
  quota: { route: 'iflow', polled: false },
});
