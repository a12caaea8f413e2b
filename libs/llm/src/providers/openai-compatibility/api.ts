import { bearer, defineProvider } from '@app/llm/providers/define-provider';

/** Any OpenAI-compatible host from `openai-compatibility`: `{base}/chat/completions`. */
export const openaiCompatibilityProvider = defineProvider({
  id: 'openai-compatibility',
  format: 'openai',
  defaultBaseUrl: 'https://api.openai.com/v1',
  path: () => '/chat/completions',
  headers: (call) => bearer(call.token),
});
