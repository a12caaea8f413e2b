import type { Codec } from '@app/llm/codec';
import { TranslationError } from '@app/llm/util/errors';

// Placeholder until the antigravity codec lands; every call fails loudly.
const fail = (): never => {
  throw new TranslationError('The antigravity wire format is not implemented yet');
};

export const antigravityCodec: Codec = {
  format: 'antigravity',
  parseRequest: fail,
  buildRequest: fail,
  parseResponse: fail,
  buildResponse: fail,
  createStreamDecoder: fail,
  createStreamEncoder: fail,
  buildError: fail,
  parseError: fail,
};
