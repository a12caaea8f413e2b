import type { Codec } from '@app/llm/codec';
import { buildOpenAIError, parseOpenAIError } from '@app/llm/formats/openai/error';
import { OpenAIStreamDecoder } from '@app/llm/formats/openai/stream';
import {
  buildCompletionsRequest,
  parseCompletionsRequest,
} from '@app/llm/formats/openai-completions/request';
import {
  buildCompletionsResponse,
  parseCompletionsResponse,
} from '@app/llm/formats/openai-completions/response';
import { CompletionsStreamEncoder } from '@app/llm/formats/openai-completions/stream';

/**
 * Legacy OpenAI Completions (`/v1/completions`): converted to a chat-shaped IR on the way in and
 * rendered as `text_completion` on the way out. Errors and stream decoding are the chat codec's
 * (the chat decoder also reads `choices[].text`).
 */
export const openaiCompletionsCodec: Codec = {
  format: 'openai-completions',
  parseRequest: parseCompletionsRequest,
  buildRequest: buildCompletionsRequest,
  parseResponse: parseCompletionsResponse,
  buildResponse: buildCompletionsResponse,
  createStreamDecoder: (ctx) => new OpenAIStreamDecoder(ctx),
  createStreamEncoder: (ctx) => new CompletionsStreamEncoder(ctx),
  buildError: buildOpenAIError,
  parseError: parseOpenAIError,
};
