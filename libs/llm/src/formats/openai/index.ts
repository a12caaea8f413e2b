import type { Codec } from '@app/llm/codec';
import { buildOpenAIError, parseOpenAIError } from '@app/llm/formats/openai/error';
import { buildOpenAIRequest, parseOpenAIRequest } from '@app/llm/formats/openai/request';
import { buildOpenAIResponse, parseOpenAIResponse } from '@app/llm/formats/openai/response';
import { OpenAIStreamDecoder, OpenAIStreamEncoder } from '@app/llm/formats/openai/stream';

/**
 * OpenAI Chat Completions: the client format of `/v1/chat/completions` and the upstream format of
 * every OpenAI-compatible host (Qwen, iFlow, Kimi, openai-compatibility entries).
 */
export const openaiCodec: Codec = {
  format: 'openai',
  parseRequest: (body, ctx) => parseOpenAIRequest(body, ctx),
  buildRequest: buildOpenAIRequest,
  parseResponse: (body, ctx) => parseOpenAIResponse(body, ctx),
  buildResponse: buildOpenAIResponse,
  createStreamDecoder: (ctx) => new OpenAIStreamDecoder(ctx),
  createStreamEncoder: (ctx) => new OpenAIStreamEncoder(ctx),
  buildError: buildOpenAIError,
  parseError: parseOpenAIError,
};
