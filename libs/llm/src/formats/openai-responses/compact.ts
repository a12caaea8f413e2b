/**
 * `POST /v1/responses/compact` takes `{model, input, instructions, previous_response_id,
 * prompt_cache_key, …}` and answers `{id, object:"response.compaction", created_at, output,
 * usage}`, where `output` is the user messages followed by one `compaction` item whose
 * `encrypted_content` only the OpenAI backend can read. There is nothing to translate that into
 * for Claude or Gemini, so the proxy sends compact requests to Responses-family upstreams only
 * (public Responses API or Codex) and relays the answer as is; these helpers adapt the body to the
 * upstream and read usage for accounting.
 */
import type { TranslationContext } from '@app/llm/codec';
import type { IRUsage, WireFormat } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { isResponsesFamily, parseUsage } from '@app/llm/formats/openai-responses/shared';

/** Upstream formats that can serve `/responses/compact`. */
export const COMPACT_UPSTREAM_FORMATS: readonly WireFormat[] = ['openai-responses', 'codex'];

/** Fields the Codex backend rejects on compact requests. */
const CODEX_COMPACT_DROP = [
  'stream',
  'store',
  'max_output_tokens',
  'temperature',
  'top_p',
  'truncation',
  'user',
];

/** Whether a `/responses/compact` request can be served by this upstream format. */
export function canCompact(upstream: WireFormat): boolean {
  return isResponsesFamily(upstream);
}

/**
 * Prepare a client's compact body for a Responses-family upstream: validate it, set the upstream
 * model and, for Codex, apply its request rules (instructions present, no `system` role).
 */
export function buildCompactRequest(
  body: unknown,
  upstream: WireFormat,
  ctx: TranslationContext,
): Record<string, unknown> {
  if (!canCompact(upstream)) {
    throw new TranslationError(
      `/responses/compact is only available for OpenAI Responses and Codex upstreams, not ${upstream}`,
    );
  }
  if (!isRecord(body)) throw new TranslationError('The request body must be a JSON object');
  const input = body.input;
  if (input !== undefined && input !== null && typeof input !== 'string' && !Array.isArray(input)) {
    throw new TranslationError('input must be a string or an array of items', 'input');
  }
  const out: Record<string, unknown> = { ...body, model: ctx.upstreamModel || body.model };
  if (upstream !== 'codex') return out;

  for (const key of CODEX_COMPACT_DROP) delete out[key];
  if (typeof out.instructions !== 'string') out.instructions = '';
  if (typeof input === 'string') {
    out.input = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  } else if (Array.isArray(input)) {
    out.input = input.map((item: unknown) =>
      isRecord(item) && item.role === 'system' ? { ...item, role: 'developer' } : item,
    );
  }
  return out;
}

/** Token usage of a compact response (for accounting), if it has one. */
export function compactResponseUsage(body: unknown): IRUsage | undefined {
  return isRecord(body) ? parseUsage(body.usage) : undefined;
}
