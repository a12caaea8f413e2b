import { bearer, defineProvider } from '@app/llm/providers/define-provider';

/** Qwen OAuth: OpenAI chat at the account's resource URL (`resource_url` in the auth file). */
export const qwenProvider = defineProvider({
  id: 'qwen',
  format: 'openai',
  defaultBaseUrl: 'https://portal.qwen.ai/v1',
  path: () => '/chat/completions',
  headers: (call) => bearer(call.token),
});
