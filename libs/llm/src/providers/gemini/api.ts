import { defineProvider, geminiAction } from '@app/llm/providers/define-provider';
import { geminiRetryDelay } from '@app/llm/providers/retry-hints';

/** Gemini API (API key): `{base}/v1beta/models/{model}:{action}` with `x-goog-api-key`. */
export const geminiProvider = defineProvider({
  id: 'gemini',
  format: 'gemini',
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  countsTokens: true,
  path: (call) => `/v1beta/models/${encodeURIComponent(call.model)}:${geminiAction(call)}`,
  headers: (call): Record<string, string> =>
    call.oauth ? { authorization: `Bearer ${call.token}` } : { 'x-goog-api-key': call.token },
  bodyRetryHint: geminiRetryDelay,
});
