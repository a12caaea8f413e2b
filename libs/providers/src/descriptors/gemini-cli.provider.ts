import { defineProvider } from '@app/providers/provider.types';
import {
  CODE_ASSIST_BASE,
  GEMINI_FAMILY,
  GOOGLE_AUTHORIZE,
  GOOGLE_AUTHORIZE_URL,
  GOOGLE_SCOPES,
  GOOGLE_TOKEN_URL,
  MINUTE,
} from '@app/providers/descriptors/shared';

/** Gemini CLI accounts (Google sign-in, Code Assist with the account's project). */
export const geminiCli = defineProvider({
  id: 'gemini-cli',
  label: 'Gemini CLI',
  aliases: [],
  wire: {
    format: 'gemini-cli',
    defaultBaseUrl: CODE_ASSIST_BASE,
    path: 'code-assist',
    apiKeyHeader: 'authorization',
    headers: { 'user-agent': 'GeminiCLI/0.1.0 (switchboard)' },
    countsTokens: true,
    retryHint: 'google-retry-info',
  },
  models: { catalog: 'gemini-cli', owner: 'google', family: GEMINI_FAMILY },
  // CLIProxyAPI writes Gemini CLI files with `"type": "gemini"`.
  authFile: { types: ['gemini', 'gemini-cli'], layout: 'google-token' },
  oauth: {
    endpoints: {
      authorizeUrl: GOOGLE_AUTHORIZE_URL,
      tokenUrl: GOOGLE_TOKEN_URL,
      userInfoUrl: 'https://www.googleapis.com/oauth2/v1/userinfo?alt=json',
      apiBase: CODE_ASSIST_BASE,
      redirectUri: 'http://localhost:8085/oauth2callback',
      clientId: '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com',
      clientSecret: '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',
      scopes: GOOGLE_SCOPES,
      tokenBody: 'form',
      refreshLeadMs: 5 * MINUTE,
    },
    login: {
      id: 'gemini',
      aliases: ['gemini-cli', 'google'],
      route: 'gemini-cli',
      flow: 'redirect',
      callbackPath: '/google/callback',
      pkce: false,
      title: 'Gemini CLI (Google)',
      asksProject: true,
      authorize: GOOGLE_AUTHORIZE,
    },
  },
  quota: { route: 'gemini', polled: true },
});
