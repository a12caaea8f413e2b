import type { TranslationContext } from '@app/llm/codec';
import type { IRRequest, WireFormat } from '@app/llm/ir/types';
import { num, pick } from '@app/llm/formats/gemini/common';
import { buildGeminiRequest, parseGeminiRequest } from '@app/llm/formats/gemini/request';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';

/** Gemini countTokens answer. */
export interface GeminiCountTokensResponse {
  totalTokens: number;
}

/**
 * Parse a Gemini countTokens body: either `{contents}` or `{generateContentRequest: {…}}` (the
 * form that also counts system instruction and tools).
 */
export function parseGeminiCountTokensRequest(
  body: unknown,
  ctx: TranslationContext,
  sourceFormat: WireFormat = 'gemini',
): IRRequest {
  if (!isRecord(body)) throw new TranslationError('A countTokens body must be a JSON object');
  const inner = pick(body, 'generateContentRequest', 'generate_content_request');
  if (inner !== undefined) {
    if (!isRecord(inner)) {
      throw new TranslationError('must be an object', 'generateContentRequest');
    }
    return parseGeminiRequest(inner, { ...ctx, stream: false }, sourceFormat);
  }
  return parseGeminiRequest(body, { ...ctx, stream: false }, sourceFormat);
}

/** Build a countTokens body for a Gemini upstream (the generateContentRequest form). */
export function buildGeminiCountTokensRequest(
  ir: IRRequest,
  ctx: TranslationContext,
): Record<string, unknown> {
  const model = ctx.upstreamModel || ir.model;
  return {
    generateContentRequest: {
      model: model.startsWith('models/') ? model : `models/${model}`,
      ...buildGeminiRequest(ir, ctx, 'gemini'),
    },
  };
}

/** Render a token count as a Gemini countTokens response. */
export function buildGeminiCountTokensResponse(totalTokens: number): GeminiCountTokensResponse {
  return { totalTokens };
}

/** Read `totalTokens` from an upstream countTokens response (0 when absent). */
export function parseGeminiCountTokensResponse(body: unknown): number {
  return isRecord(body) ? (num(pick(body, 'totalTokens', 'total_tokens')) ?? 0) : 0;
}
