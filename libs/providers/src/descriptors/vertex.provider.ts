import { defineProvider } from '@app/providers/provider.types';
import { GEMINI_FAMILY } from '@app/providers/descriptors/shared';

/** Vertex AI: API keys (express mode) or service-account files (project and location). */
export const vertex = defineProvider({
  id: 'vertex',
  label: 'Vertex AI',
  aliases: [],
  wire: {
    format: 'gemini',
    defaultBaseUrl: 'https://aiplatform.googleapis.com',
    path: 'vertex-models',
    apiKeyHeader: 'x-goog-api-key',
    countsTokens: true,
    retryHint: 'google-retry-info',
  },
  models: { catalog: 'vertex', owner: 'google', family: GEMINI_FAMILY },
  apiKeys: { section: 'vertex-api-key', label: 'Vertex AI' },
  authFile: { types: ['vertex'], layout: 'service-account' },
});
