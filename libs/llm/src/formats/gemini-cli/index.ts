import type { Codec } from '@app/llm/codec';
import { TranslationError } from '@app/llm/util/errors';

// Placeholder until the gemini-cli codec lands; every call fails loudly.
const fail = (): never => {
  throw new TranslationError('The gemini-cli wire format is not implemented yet');
};

export const geminiCliCodec: Codec = {
  format: 'gemini-cli',
  parseRequest: fail,
  buildRequest: fail,
  parseResponse: fail,
  buildResponse: fail,
  createStreamDecoder: fail,
  createStreamEncoder: fail,
  buildError: fail,
  parseError: fail,
};
