import type { Codec } from '@app/llm/codec';
import { ANTIGRAVITY_ENVELOPE } from '@app/llm/formats/antigravity/request';
import { createEnvelopeCodec } from '@app/llm/formats/gemini-cli';

/**
 * Antigravity codec: the Code Assist envelope of Gemini CLI with Antigravity's own envelope
 * fields (see request.ts for what differs). Responses and streams are identical to Gemini CLI.
 */
export const antigravityCodec: Codec = createEnvelopeCodec(ANTIGRAVITY_ENVELOPE);

export { antigravitySessionId } from '@app/llm/formats/antigravity/request';
