import type { Codec } from '@app/llm/codec';
import { buildClaudeError, parseClaudeError } from '@app/llm/formats/claude/error';
import { buildClaudeRequest, parseClaudeRequest } from '@app/llm/formats/claude/request';
import { buildClaudeResponse, parseClaudeResponse } from '@app/llm/formats/claude/response';
import { createClaudeStreamDecoder } from '@app/llm/formats/claude/stream';
import { createClaudeStreamEncoder } from '@app/llm/formats/claude/stream-encoder';

export {
  buildClaudeCountTokensRequest,
  buildClaudeCountTokensResponse,
  parseClaudeCountTokensRequest,
  parseClaudeCountTokensResponse,
  type ClaudeTokenCount,
} from '@app/llm/formats/claude/count-tokens';
export {
  CLAUDE_DEFAULT_MAX_TOKENS,
  CLAUDE_MIN_THINKING_BUDGET,
} from '@app/llm/formats/claude/mapping';
export { claudeErrorType, renderClaudeError } from '@app/llm/formats/claude/error';

/** The Anthropic Messages wire format (`/v1/messages`). */
export const claudeCodec: Codec = {
  format: 'claude',
  parseRequest: parseClaudeRequest,
  buildRequest: buildClaudeRequest,
  parseResponse: parseClaudeResponse,
  buildResponse: buildClaudeResponse,
  createStreamDecoder: createClaudeStreamDecoder,
  createStreamEncoder: createClaudeStreamEncoder,
  buildError: buildClaudeError,
  parseError: parseClaudeError,
};
