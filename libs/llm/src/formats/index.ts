import type { Codec } from '@app/llm/codec';
import type { WireFormat } from '@app/llm/ir/types';
import { openaiCodec } from '@app/llm/formats/openai';
import { openaiCompletionsCodec } from '@app/llm/formats/openai-completions';
import { openaiResponsesCodec } from '@app/llm/formats/openai-responses';
import { codexCodec } from '@app/llm/formats/codex';
import { claudeCodec } from '@app/llm/formats/claude';
import { geminiCodec } from '@app/llm/formats/gemini';
import { geminiCliCodec } from '@app/llm/formats/gemini-cli';
import { antigravityCodec } from '@app/llm/formats/antigravity';

/** One codec per wire format; adding a format means adding a folder and one line here. */
export const CODECS: Readonly<Record<WireFormat, Codec>> = {
  openai: openaiCodec,
  'openai-completions': openaiCompletionsCodec,
  'openai-responses': openaiResponsesCodec,
  codex: codexCodec,
  claude: claudeCodec,
  gemini: geminiCodec,
  'gemini-cli': geminiCliCodec,
  antigravity: antigravityCodec,
};

export function codecFor(format: WireFormat): Codec {
  return CODECS[format];
}
