import { bearer, defineProvider } from '@app/llm/providers/define-provider';
import { codexResetSeconds } from '@app/llm/providers/retry-hints';

/**
 * Codex (ChatGPT backend, OAuth or API key): `{base}/responses`. The backend only streams, so
 * the proxy aggregates the stream for non-stream clients.
 */
export const codexProvider = defineProvider({
  id: 'codex',
  format: 'codex',
  defaultBaseUrl: 'https://chatgpt.com/backend-api/codex',
  alwaysStreams: true,
  path: (call) => (call.action === 'compact' ? '/responses/compact' : '/responses'),
  headers: (call) => ({
    ...bearer(call.token),
    'openai-beta': 'responses=experimental',
    originator: 'codex_cli_rs',
    ...(call.accountId ? { 'chatgpt-account-id': call.accountId } : {}),
  }),
  bodyRetryHint: codexResetSeconds,
});
