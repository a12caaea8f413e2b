import type { Codec } from '@app/llm/codec';
import { createEnvelopeCodec, type EnvelopeSpec } from '@app/llm/formats/gemini-cli/envelope';

/** Gemini CLI: the plain Code Assist envelope `{"model","project","request"}` / `{"response"}`. */
const GEMINI_CLI_ENVELOPE: EnvelopeSpec = {
  format: 'gemini-cli',
  ownKeys: new Set(['model', 'project', 'request']),
};

/** Gemini CLI (Code Assist `v1internal`) codec: the Gemini codec inside the envelope. */
export const geminiCliCodec: Codec = createEnvelopeCodec(GEMINI_CLI_ENVELOPE);

export {
  buildEnvelopeRequest,
  buildEnvelopeResponse,
  createEnvelopeCodec,
  parseEnvelopeRequest,
  parseEnvelopeResponse,
} from '@app/llm/formats/gemini-cli/envelope';
export type { EnvelopeSpec } from '@app/llm/formats/gemini-cli/envelope';
