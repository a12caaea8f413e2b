// Responses function tools and tool choice; built-in tools stay in extra for the family.
import type { TranslationContext } from '@app/llm/codec';
import type { IRTool, IRToolChoice } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { shortenToolName } from '@app/llm/util/tool-names';

type Json = Record<string, unknown>;

export function parseTools(tools: unknown, extra: Json): IRTool[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw new TranslationError('tools must be an array', 'tools');
  const out: IRTool[] = [];
  const builtins: unknown[] = [];
  for (let i = 0; i < tools.length; i++) {
    const t: unknown = tools[i];
    if (!isRecord(t)) throw new TranslationError('tools must be objects', `tools[${i}]`);
    if (t.type !== 'function') {
      builtins.push(t); // web_search, file_search, local_shell, custom, mcp …
      continue;
    }
    // Be lenient with Chat-style {type:"function", function:{…}} declarations.
    const fn = isRecord(t.function) ? t.function : t;
    if (typeof fn.name !== 'string' || fn.name === '') {
      throw new TranslationError('function tools need a name', `tools[${i}].name`);
    }
    const tool: IRTool = {
      name: fn.name,
      parameters: isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
    };
    if (typeof fn.description === 'string') tool.description = fn.description;
    if (typeof fn.strict === 'boolean') tool.strict = fn.strict;
    out.push(tool);
  }
  if (builtins.length > 0) extra.tools = builtins;
  return out;
}

export function parseToolChoice(value: unknown, extra: Json): IRToolChoice | undefined {
  if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
  if (isRecord(value) && value.type === 'function' && typeof value.name === 'string') {
    return { type: 'tool', name: value.name };
  }
  if (value !== undefined && value !== null) extra.tool_choice = value; // built-in / allowed_tools
  return undefined;
}

export function buildToolChoice(choice: IRToolChoice, ctx: TranslationContext): unknown {
  return choice.type === 'tool'
    ? { type: 'function', name: shortenToolName(choice.name, ctx) }
    : choice.type;
}
