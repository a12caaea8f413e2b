import type { Codec } from '@app/llm/codec';
import { TranslationError } from '@app/llm/util/errors';

// Placeholder until the codex codec lands; every call fails loudly.
const fail = (): never => {
  throw new TranslationError('The codex wire format is not implemented yet');
};

export const codexCodec: Codec = {
  format: 'codex',
  parseRequest: fail,
  buildRequest: fail,
  parseResponse: fail,
  buildResponse: fail,
  createStreamDecoder: fail,
  createStreamEncoder: fail,
  buildError: fail,
  parseError: fail,
};
