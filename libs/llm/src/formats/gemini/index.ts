import type { Codec } from '@app/llm/codec';
import { buildGeminiError, parseGeminiError } from '@app/llm/formats/gemini/error';
import { buildGeminiRequest, parseGeminiRequest } from '@app/llm/formats/gemini/request';
import { buildGeminiResponse, parseGeminiResponse } from '@app/llm/formats/gemini/response';
import { GeminiStreamDecoder, GeminiStreamEncoder } from '@app/llm/formats/gemini/stream';

/** Gemini `generateContent` / `streamGenerateContent` (API key and Vertex AI bodies). */
export const geminiCodec: Codec = {
  format: 'gemini',
  parseRequest: (body, ctx) => parseGeminiRequest(body, ctx, 'gemini'),
  buildRequest: (ir, ctx) => buildGeminiRequest(ir, ctx, 'gemini'),
  parseResponse: (body, ctx) => parseGeminiResponse(body, ctx, 'gemini'),
  buildResponse: (ir, ctx) => buildGeminiResponse(ir, ctx, 'gemini'),
  createStreamDecoder: (ctx) => new GeminiStreamDecoder(ctx),
  createStreamEncoder: (ctx) => new GeminiStreamEncoder(ctx),
  buildError: buildGeminiError,
  parseError: parseGeminiError,
};

export {
  buildGeminiError,
  googleStatusName,
  parseDurationSeconds,
  parseGeminiError,
  parseGeminiRetryDelay,
} from '@app/llm/formats/gemini/error';
export {
  buildGeminiCountTokensRequest,
  buildGeminiCountTokensResponse,
  parseGeminiCountTokensRequest,
  parseGeminiCountTokensResponse,
} from '@app/llm/formats/gemini/count-tokens';
export type { GeminiCountTokensResponse } from '@app/llm/formats/gemini/count-tokens';
export { isGeminiFamily } from '@app/llm/formats/gemini/common';
