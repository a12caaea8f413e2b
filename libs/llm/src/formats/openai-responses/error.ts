/**
 * The Responses API and the Codex backend use OpenAI's error envelope; the OpenAI reader also
 * understands Codex's `{"detail": …}` bodies.
 */
export {
  buildOpenAIError,
  errorTypeForStatus,
  parseOpenAIError,
} from '@app/llm/formats/openai/error';
