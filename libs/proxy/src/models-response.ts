import type { ServedModel } from '@app/proxy/candidate-source';

/**
 * Render the served models as a model list: OpenAI `{object:"list",data}`, Claude (clients that
 * send `anthropic-version`, or a `claude-cli` user agent) `{data,has_more,first_id,last_id}`,
 * Gemini `{models}`.
 */
export function modelsResponse(
  shape: 'openai' | 'claude' | 'gemini',
  models: ServedModel[],
): Record<string, unknown> {
  switch (shape) {
    case 'openai':
      return {
        object: 'list',
        data: models.map((m) => ({
          id: m.id,
          object: 'model',
          created: m.created,
          owned_by: m.ownedBy,
        })),
      };
    case 'claude':
      return {
        data: models.map((m) => ({
          type: 'model',
          id: m.id,
          display_name: m.displayName ?? m.id,
          created_at: new Date(m.created * 1000).toISOString(),
        })),
        has_more: false,
        first_id: models[0]?.id ?? null,
        last_id: models[models.length - 1]?.id ?? null,
      };
    case 'gemini':
      return {
        models: models.map((m) => ({
          name: `models/${m.id}`,
          baseModelId: m.id,
          version: '001',
          displayName: m.displayName ?? m.id,
          description: `${m.id} via Switchboard (${m.provider})`,
          supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
        })),
      };
  }
}
