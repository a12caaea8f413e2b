import type { Codec } from '@app/llm/codec';
import { buildOpenAIError, parseOpenAIError } from '@app/llm/formats/openai-responses/error';
import {
  buildResponsesRequest,
  parseResponsesRequest,
} from '@app/llm/formats/openai-responses/request';
import {
  buildResponsesResponse,
  parseResponsesResponse,
} from '@app/llm/formats/openai-responses/response';
import { ResponsesStreamDecoder } from '@app/llm/formats/openai-responses/stream';
import { ResponsesStreamEncoder } from '@app/llm/formats/openai-responses/stream-encoder';

export {
  COMPACT_UPSTREAM_FORMATS,
  buildCompactRequest,
  canCompact,
  compactResponseUsage,
} from '@app/llm/formats/openai-responses/compact';

/** OpenAI Responses API (`POST /v1/responses`). */
export const openaiResponsesCodec: Codec = {
  format: 'openai-responses',
  parseRequest: (body, ctx) => parseResponsesRequest(body, ctx, 'openai-responses'),
  buildRequest: (ir, ctx) => buildResponsesRequest(ir, ctx),
  parseResponse: (body, ctx) => parseResponsesResponse(body, ctx, 'openai-responses'),
  buildResponse: (ir, ctx) => buildResponsesResponse(ir, ctx),
  createStreamDecoder: (ctx) => new ResponsesStreamDecoder(ctx),
  createStreamEncoder: (ctx) => new ResponsesStreamEncoder(ctx),
  buildError: buildOpenAIError,
  parseError: parseOpenAIError,
};
