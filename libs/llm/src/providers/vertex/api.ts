import { defineProvider, geminiAction } from '@app/llm/providers/define-provider';
import { geminiRetryDelay } from '@app/llm/providers/retry-hints';

/**
 * Vertex AI. With an API key (express mode): `{base}/v1/publishers/google/models/{m}:{action}`.
 * With a service account (OAuth token + project): the project/location path.
 */
export const vertexProvider = defineProvider({
  id: 'vertex',
  format: 'gemini',
  defaultBaseUrl: 'https://aiplatform.googleapis.com',
  countsTokens: true,
  path: (call) => {
    const model = encodeURIComponent(call.model);
    if (call.oauth && call.project) {
      const location = call.location ?? 'global';
      return `/v1/projects/${encodeURIComponent(call.project)}/locations/${encodeURIComponent(location)}/publishers/google/models/${model}:${geminiAction(call)}`;
    }
    return `/v1/publishers/google/models/${model}:${geminiAction(call)}`;
  },
  headers: (call): Record<string, string> =>
    call.oauth ? { authorization: `Bearer ${call.token}` } : { 'x-goog-api-key': call.token },
  bodyRetryHint: geminiRetryDelay,
});
