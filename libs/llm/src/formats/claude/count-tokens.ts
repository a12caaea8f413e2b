import type { TranslationContext } from '@app/llm/codec';
import type { IRRequest } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { buildClaudeRequest, parseClaudeRequest } from '@app/llm/formats/claude/request';

/** Body of a `/v1/messages/count_tokens` response. */
export interface ClaudeTokenCount {
  input_tokens: number;
}

// count_tokens takes a Messages body minus generation settings; it rejects these fields.
const NOT_COUNTED = [
  'max_tokens',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'metadata',
  'service_tier',
] as const;

/** Parse a count_tokens body (a Messages body without max_tokens) into the IR. */
export function parseClaudeCountTokensRequest(body: unknown, ctx: TranslationContext): IRRequest {
  return { ...parseClaudeRequest(body, ctx), stream: false };
}

/** Build a count_tokens body for a Claude upstream from the IR. */
export function buildClaudeCountTokensRequest(
  ir: IRRequest,
  ctx: TranslationContext,
): Record<string, unknown> {
  const body = buildClaudeRequest({ ...ir, stream: false }, ctx);
  for (const key of NOT_COUNTED) delete body[key];
  return body;
}

/** Render a token count as Claude's count_tokens response. */
export function buildClaudeCountTokensResponse(inputTokens: number): ClaudeTokenCount {
  return { input_tokens: Math.max(0, Math.round(inputTokens)) };
}

/** Read the token count from a Claude count_tokens response. */
export function parseClaudeCountTokensResponse(body: unknown): number {
  if (!isRecord(body) || typeof body.input_tokens !== 'number') {
    throw new TranslationError(
      'count_tokens response must have a numeric input_tokens',
      'input_tokens',
    );
  }
  return body.input_tokens;
}
