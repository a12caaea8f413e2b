import { bearer, defineProvider } from '@app/llm/providers/define-provider';
import { geminiRetryDelay } from '@app/llm/providers/retry-hints';

/** Code Assist methods, `{base}/v1internal:{method}`. */
export function codeAssistPath(stream: boolean, action: string): string {
  if (action === 'count_tokens') return '/v1internal:countTokens';
  return stream ? '/v1internal:streamGenerateContent?alt=sse' : '/v1internal:generateContent';
}

/** Gemini CLI OAuth (Code Assist): envelope with the project from the auth file. */
export const geminiCliProvider = defineProvider({
  id: 'gemini-cli',
  format: 'gemini-cli',
  defaultBaseUrl: 'https://cloudcode-pa.googleapis.com',
  countsTokens: true,
  path: (call) => codeAssistPath(call.stream, call.action),
  headers: (call) => ({ ...bearer(call.token), 'user-agent': 'GeminiCLI/0.1.0 (switchboard)' }),
  bodyRetryHint: geminiRetryDelay,
});
