import type { IRFilePart, IRPart, IRRequest } from '@app/llm/ir/types';

/**
 * A deterministic local token estimate for upstreams with no count endpoint. It is not any
 * provider's tokenizer; it aims to be within a few tens of percent for ordinary prompts, fast
 * (one pass over the text, no allocation per character) and stable across runs.
 *
 * - Text: ASCII at about 4 characters per token; other Latin/Cyrillic/Greek letters at about 2;
 *   CJK, emoji and other wide scripts at about 1 token per UTF-16 unit.
 * - Images: a fixed cost (Claude bills width×height/750, about 1,600 for a 1.15 MP image).
 * - Files: text files by their decoded size, other files (PDF, …) a fixed cost.
 * - Tools: name, description and JSON schema text, plus a per-tool and a per-request overhead
 *   for the tool-use instructions providers add.
 * - Reasoning from earlier turns is not counted: providers drop it from the context.
 */

/** Tokens charged per image. */
export const IMAGE_TOKEN_ESTIMATE = 1600;
/** Tokens charged per non-text file (PDF pages cost more, but the page count is unknown). */
export const FILE_TOKEN_ESTIMATE = 1500;
/** Role markers and separators around each message. */
const MESSAGE_OVERHEAD = 4;
/** Priming of the reply. */
const REQUEST_OVERHEAD = 3;
/** Wrapping of each tool declaration. */
const TOOL_OVERHEAD = 8;
/** The tool-use instructions a provider adds when tools are present. */
const TOOLS_PREAMBLE = 150;

/** Weighted token count of a string, before rounding. */
function textWeight(text: string): number {
  let ascii = 0;
  let narrow = 0;
  let wide = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) ascii++;
    else if (c < 0x2e80) narrow++;
    else wide++;
  }
  return ascii / 4 + narrow / 2 + wide;
}

function fileWeight(part: IRFilePart): number {
  const src = part.source;
  if (
    src.kind === 'base64' &&
    (src.mediaType.startsWith('text/') || src.mediaType === 'application/json')
  ) {
    // base64 is 4 characters per 3 bytes; text is ~4 bytes per token.
    return (src.data.length * 3) / 4 / 4;
  }
  return FILE_TOKEN_ESTIMATE;
}

function partWeight(part: IRPart): number {
  switch (part.type) {
    case 'text':
      return textWeight(part.text);
    case 'image':
      return IMAGE_TOKEN_ESTIMATE;
    case 'file':
      return fileWeight(part);
    case 'tool_call':
      return textWeight(part.name) + textWeight(part.arguments) + TOOL_OVERHEAD;
    case 'tool_result': {
      let sum = TOOL_OVERHEAD;
      for (const c of part.content) sum += partWeight(c);
      return sum;
    }
    case 'reasoning':
      return 0;
  }
}

/** Estimate the input tokens of a request (see the file comment for the model). */
export function estimateTokens(ir: IRRequest): number {
  let sum = REQUEST_OVERHEAD;
  if (ir.system.length > 0) {
    sum += MESSAGE_OVERHEAD;
    for (const part of ir.system) sum += textWeight(part.text);
  }
  for (const message of ir.messages) {
    sum += MESSAGE_OVERHEAD;
    for (const part of message.content) sum += partWeight(part);
  }
  const tools = ir.tools;
  if (tools && tools.length > 0) {
    sum += TOOLS_PREAMBLE;
    for (const tool of tools) {
      sum += TOOL_OVERHEAD + textWeight(tool.name);
      if (tool.description) sum += textWeight(tool.description);
      sum += textWeight(JSON.stringify(tool.parameters));
    }
  }
  return Math.ceil(sum);
}
