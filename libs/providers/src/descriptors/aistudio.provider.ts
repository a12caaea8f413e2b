import { defineProvider } from '@app/providers/provider.types';

/**
 * Google AI Studio through a browser relay: the account's page connects to the gateway's
 * WebSocket relay (`/v1/ws`), so there is no HTTP upstream to describe.
 */
export const aistudio = defineProvider({
  id: 'aistudio',
  label: 'AI Studio',
  aliases: [],
  models: { catalog: 'aistudio', owner: 'google', family: [] },
  authFile: {
    types: ['aistudio'],
    layout: 'tokens',
    secret: { api_key: 'apiKey', access_token: 'accessToken', refresh_token: 'refreshToken' },
    requires: [['api_key', 'access_token']],
  },
});
