import type { Codec } from '@app/llm/codec';
import { TranslationError } from '@app/llm/util/errors';

// Placeholder until the gemini codec lands; every call fails loudly.
const fail = (): never => {
  throw new TranslationError('The gemini wire format is not implemented yet');
};

export const geminiCodec: Codec = {
  format: 'gemini',
  parseRequest: fail,
  buildRequest: fail,
  parseResponse: fail,
  buildResponse: fail,
  createStreamDecoder: fail,
  createStreamEncoder: fail,
  buildError: fail,
  parseError: fail,
};
