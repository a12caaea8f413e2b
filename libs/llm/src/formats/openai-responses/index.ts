import type { Codec } from '@app/llm/codec';
import { TranslationError } from '@app/llm/util/errors';

// Placeholder until the openai-responses codec lands; every call fails loudly.
const fail = (): never => {
  throw new TranslationError('The openai-responses wire format is not implemented yet');
};

export const openaiResponsesCodec: Codec = {
  format: 'openai-responses',
  parseRequest: fail,
  buildRequest: fail,
  parseResponse: fail,
  buildResponse: fail,
  createStreamDecoder: fail,
  createStreamEncoder: fail,
  buildError: fail,
  parseError: fail,
};
