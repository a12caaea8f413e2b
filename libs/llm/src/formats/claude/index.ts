import type { Codec } from '@app/llm/codec';
import { TranslationError } from '@app/llm/util/errors';

// Placeholder until the claude codec lands; every call fails loudly.
const fail = (): never => {
  throw new TranslationError('The claude wire format is not implemented yet');
};

export const claudeCodec: Codec = {
  format: 'claude',
  parseRequest: fail,
  buildRequest: fail,
  parseResponse: fail,
  buildResponse: fail,
  createStreamDecoder: fail,
  createStreamEncoder: fail,
  buildError: fail,
  parseError: fail,
};
