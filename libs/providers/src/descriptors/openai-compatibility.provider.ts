import { defineProvider } from '@app/providers/provider.types';

/**
 * Any OpenAI-compatible host from config.yaml's `openai-compatibility` entries. Each entry names
 * its own base URL and models, so there is no catalog and no family.
 */
export const openaiCompatibility = defineProvider({
  id: 'openai-compatibility',
  label: 'OpenAI-compatible',
  aliases: ['openai'],
  wire: {
    format: 'openai',
    defaultBaseUrl: 'https://api.openai.com/v1',
    path: 'chat-completions',
    apiKeyHeader: 'authorization',
  },
  models: { catalog: null, owner: 'openai-compatibility', family: [] },
});
