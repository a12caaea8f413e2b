import { bearer, defineProvider } from '@app/llm/providers/define-provider';

/** iFlow: OpenAI chat with the account's API key. */
export const iflowProvider = defineProvider({
  id: 'iflow',
  format: 'openai',
  defaultBaseUrl: 'https://apis.iflow.cn/v1',
  path: () => '/chat/completions',
  headers: (call) => bearer(call.token),
});
