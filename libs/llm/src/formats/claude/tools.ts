// Claude request tools and tool choice, with server tools kept aside for a Claude upstream.
import type { IRRequest, IRTool, IRToolChoice } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import type { BlockReader, BlockWriter } from '@app/llm/formats/claude/content';

const TOOL_FIELDS = new Set(['type', 'name', 'description', 'input_schema', 'strict']);

/** Key in `ir.extra` holding Claude server tools (web search, code execution, …). */
export const SERVER_TOOLS = 'tools';

interface ToolsRead {
  tools?: IRTool[];
  serverTools?: unknown[];
}

export function readTools(tools: unknown, reader: BlockReader): ToolsRead {
  if (tools === undefined || tools === null) return {};
  if (!Array.isArray(tools)) throw new TranslationError('tools must be an array', 'tools');
  const custom: IRTool[] = [];
  const server: unknown[] = [];
  for (let i = 0; i < tools.length; i++) {
    const t: unknown = tools[i];
    if (!isRecord(t)) throw new TranslationError('tool must be an object', `tools[${i}]`);
    // Server tools (web_search_20250305, bash_20250124, …) only mean something to Claude.
    if (t.type !== undefined && t.type !== null && t.type !== 'custom') {
      server.push(t);
      continue;
    }
    if (typeof t.name !== 'string' || !t.name) {
      throw new TranslationError('tool name must be a non-empty string', `tools[${i}].name`);
    }
    const tool: IRTool = {
      name: t.name,
      parameters: isRecord(t.input_schema) ? t.input_schema : { type: 'object', properties: {} },
    };
    if (typeof t.description === 'string') tool.description = t.description;
    if (typeof t.strict === 'boolean') tool.strict = t.strict;
    let extras: Record<string, unknown> | undefined;
    for (const key in t) {
      if (!TOOL_FIELDS.has(key) && t[key] !== undefined) (extras ??= {})[key] = t[key];
    }
    if (extras) reader.origins.set(tool, { extras });
    custom.push(tool);
  }
  const out: ToolsRead = {};
  if (custom.length > 0) out.tools = custom;
  if (server.length > 0) out.serverTools = server;
  return out;
}

interface ToolChoiceRead {
  toolChoice?: IRToolChoice;
  parallelToolCalls?: boolean;
}

export function readToolChoice(choice: unknown): ToolChoiceRead {
  if (!isRecord(choice)) return {};
  const out: ToolChoiceRead = {};
  switch (choice.type) {
    case 'auto':
      out.toolChoice = { type: 'auto' };
      break;
    case 'any':
      out.toolChoice = { type: 'required' };
      break;
    case 'none':
      out.toolChoice = { type: 'none' };
      break;
    case 'tool':
      if (typeof choice.name !== 'string') {
        throw new TranslationError('tool_choice.name must be a string', 'tool_choice.name');
      }
      out.toolChoice = { type: 'tool', name: choice.name };
      break;
    default:
      break;
  }
  if (typeof choice.disable_parallel_tool_use === 'boolean') {
    out.parallelToolCalls = !choice.disable_parallel_tool_use;
  }
  return out;
}

export function writeTools(ir: IRRequest, w: BlockWriter): unknown[] | undefined {
  const out: unknown[] = [];
  for (const t of ir.tools ?? []) {
    const schema = t.parameters;
    const tool: Record<string, unknown> = {
      name: t.name,
      input_schema: schema.type === undefined ? { type: 'object', ...schema } : schema,
    };
    if (t.description) tool.description = t.description;
    if (t.strict !== undefined) tool.strict = t.strict;
    const extras = w.sameFormat ? w.origins?.get(t)?.extras : undefined;
    out.push(extras ? { ...tool, ...extras } : tool);
  }
  const server = w.sameFormat ? ir.extra[SERVER_TOOLS] : undefined;
  if (Array.isArray(server)) for (const t of server) out.push(t);
  return out.length > 0 ? out : undefined;
}

export function writeToolChoice(ir: IRRequest): Record<string, unknown> | undefined {
  let choice: Record<string, unknown> | undefined;
  switch (ir.toolChoice?.type) {
    case 'auto':
      choice = { type: 'auto' };
      break;
    case 'required':
      choice = { type: 'any' };
      break;
    case 'none':
      choice = { type: 'none' };
      break;
    case 'tool':
      choice = { type: 'tool', name: ir.toolChoice.name };
      break;
    case undefined:
      break;
  }
  if (ir.parallelToolCalls === false && choice?.type !== 'none') {
    choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  return choice;
}
