import { defineProvider } from '@app/providers/provider.types';
import { DAY } from '@app/providers/descriptors/shared';

/** OpenAI's Codex backend (ChatGPT plans, or API keys in `codex-api-key`). */
export const codex = defineProvider({
  id: 'codex',
  label: 'Codex',
  aliases: [],
  wire: {
    format: 'codex',
    defaultBaseUrl: 'https://chatgpt.com/backend-api/codex',
    path: 'codex-responses',
    apiKeyHeader: 'authorization',
    headers: { 'openai-beta': 'responses=experimental', originator: 'codex_cli_rs' },
    accountIdHeader: 'chatgpt-account-id',
    alwaysStreams: true,
    retryHint: 'codex-resets',
  },
  models: { catalog: 'codex', owner: 'openai', family: ['gpt-*', 'codex-*'] },
  apiKeys: { section: 'codex-api-key', label: 'Codex / OpenAI Responses' },
  authFile: { types: ['codex'], layout: 'codex-jwt' },
  oauth: {
    endpoints: {
      authorizeUrl: 'https://auth.openai.com/oauth/authorize',
      tokenUrl: 'https://auth.openai.com/oauth/token',
      apiBase: 'https://chatgpt.com',
      redirectUri: 'http://localhost:1455/auth/callback',
      clientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
      scopes: ['openid', 'email', 'profile', 'offline_access'],
      tokenBody: 'form',
      refreshLeadMs: 5 * DAY,
    },
    token: { refreshScope: 'openid profile email', refreshWrites: { id_token: 'idToken' } },
    login: {
      id: 'codex',
      aliases: ['openai'],
      route: 'codex',
      flow: 'redirect',
      callbackPath: '/codex/callback',
      pkce: true,
      title: 'Codex (ChatGPT)',
      // The Codex CLI's simplified-flow flags.
      authorize: [
        'client_id={client_id}',
        'response_type=code',
        'redirect_uri={redirect_uri}',
        'scope={scope}',
        'state={state}',
        '{pkce}',
        'prompt=login',
        'id_token_add_organizations=true',
        'codex_cli_simplified_flow=true',
      ],
    },
  },
  quota: { route: 'codex', polled: true },
});
