import { defineProvider } from '@app/llm/providers/define-provider';

/** Anthropic's API version header every request carries. */
export const ANTHROPIC_VERSION = '2023-06-01';
/** Beta flag that OAuth (Claude subscription) access tokens require. */
export const CLAUDE_OAUTH_BETA = 'oauth-2025-04-20';

/** Claude Messages: `{base}/v1/messages`; API key in x-api-key, OAuth token as Bearer. */
export const claudeProvider = defineProvider({
  id: 'claude',
  format: 'claude',
  defaultBaseUrl: 'https://api.anthropic.com',
  countsTokens: true,
  path: (call) => (call.action === 'count_tokens' ? '/v1/messages/count_tokens' : '/v1/messages'),
  headers: (call): Record<string, string> =>
    call.oauth
      ? {
          authorization: `Bearer ${call.token}`,
          'anthropic-version': ANTHROPIC_VERSION,
          'anthropic-beta': CLAUDE_OAUTH_BETA,
        }
      : { 'x-api-key': call.token, 'anthropic-version': ANTHROPIC_VERSION },
});
