import { defineProvider } from '@app/providers/provider.types';
import { GEMINI_FAMILY } from '@app/providers/descriptors/shared';

/** The Gemini API with API keys (`gemini-api-key`). */
export const gemini = defineProvider({
  id: 'gemini',
  label: 'Gemini',
  aliases: ['google'],
  wire: {
    format: 'gemini',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com',
    path: 'gemini-models',
    apiKeyHeader: 'x-goog-api-key',
    countsTokens: true,
    retryHint: 'google-retry-info',
  },
  models: { catalog: 'gemini', owner: 'google', family: GEMINI_FAMILY },
  apiKeys: { section: 'gemini-api-key', label: 'Gemini' },
});
