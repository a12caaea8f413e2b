import { bearer, defineProvider } from '@app/llm/providers/define-provider';

/** Kimi (coding plan): OpenAI chat. */
export const kimiProvider = defineProvider({
  id: 'kimi',
  format: 'openai',
  defaultBaseUrl: 'https://api.kimi.com/coding/v1',
  path: () => '/chat/completions',
  headers: (call) => bearer(call.token),
});
