import { bearer, defineProvider } from '@app/llm/providers/define-provider';
import { codeAssistPath } from '@app/llm/providers/gemini-cli/api';
import { geminiRetryDelay } from '@app/llm/providers/retry-hints';

/** Antigravity: the Code Assist surface with its own host and user agent. */
export const antigravityProvider = defineProvider({
  id: 'antigravity',
  format: 'antigravity',
  defaultBaseUrl: 'https://daily-cloudcode-pa.sandbox.googleapis.com',
  path: (call) => codeAssistPath(call.stream, call.action),
  headers: (call) => ({ ...bearer(call.token), 'user-agent': 'antigravity/1.11.5 (switchboard)' }),
  bodyRetryHint: geminiRetryDelay,
});
