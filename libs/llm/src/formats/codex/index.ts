import type { Codec } from '@app/llm/codec';
import { openaiResponsesCodec } from '@app/llm/formats/openai-responses';
import { parseResponsesRequest } from '@app/llm/formats/openai-responses/request';
import { parseResponsesResponse } from '@app/llm/formats/openai-responses/response';
import { buildCodexRequest } from '@app/llm/formats/codex/request';

export { parseCodexResetSeconds } from '@app/llm/formats/codex/error';
export { applyCodexRules, buildCodexRequest } from '@app/llm/formats/codex/request';

/**
 * The ChatGPT Codex backend: Responses on the wire with its own request rules (see
 * buildCodexRequest); responses, streams and errors are the Responses codec's.
 */
export const codexCodec: Codec = {
  ...openaiResponsesCodec,
  format: 'codex',
  parseRequest: (body, ctx) => parseResponsesRequest(body, ctx, 'codex'),
  buildRequest: buildCodexRequest,
  parseResponse: (body, ctx) => parseResponsesResponse(body, ctx, 'codex'),
};
