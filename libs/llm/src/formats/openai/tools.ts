import type { TranslationContext } from '@app/llm/codec';
import type { IRRequest, IRTool, IRToolChoice } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { shortenToolName } from '@app/llm/util/tool-names';
import { STATE_LEGACY_FUNCTIONS, str } from '@app/llm/formats/openai/wire';

/** `tools` (function tools) and legacy `functions` → IR tools. */
export function parseTools(
  body: Record<string, unknown>,
  ctx: TranslationContext,
): IRTool[] | undefined {
  const tools: IRTool[] = [];
  const raw = body.tools;
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw)) throw new TranslationError('tools must be an array', 'tools');
    for (let i = 0; i < raw.length; i++) {
      const t: unknown = raw[i];
      if (!isRecord(t)) throw new TranslationError('each tool must be an object', `tools[${i}]`);
      if (t.type !== undefined && t.type !== 'function') continue; // custom tools: no IR slot
      tools.push(readFunction(t.function, `tools[${i}].function`));
    }
  }
  const functions = body.functions;
  if (functions !== undefined && functions !== null) {
    if (!Array.isArray(functions))
      throw new TranslationError('functions must be an array', 'functions');
    for (let i = 0; i < functions.length; i++) {
      tools.push(readFunction(functions[i], `functions[${i}]`));
    }
    if (raw === undefined || raw === null) ctx.state[STATE_LEGACY_FUNCTIONS] = true;
  }
  return tools.length > 0 ? tools : undefined;
}

function readFunction(fn: unknown, path: string): IRTool {
  if (!isRecord(fn) || typeof fn.name !== 'string') {
    throw new TranslationError('each function needs a name', `${path}.name`);
  }
  const tool: IRTool = {
    name: fn.name,
    parameters: isRecord(fn.parameters) ? fn.parameters : {},
  };
  const description = str(fn.description);
  if (description !== undefined) tool.description = description;
  if (typeof fn.strict === 'boolean') tool.strict = fn.strict;
  return tool;
}

/** `tool_choice` or legacy `function_call` → the IR tool choice. */
export function parseToolChoice(choice: unknown): IRToolChoice | undefined {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  if (!isRecord(choice)) return undefined;
  if (choice.type === 'function' && isRecord(choice.function)) {
    const name = str(choice.function.name);
    return name === undefined ? undefined : { type: 'tool', name };
  }
  if (choice.type === 'allowed_tools' && isRecord(choice.allowed_tools)) {
    // The IR has no allow-list; keep the mode.
    return choice.allowed_tools.mode === 'required' ? { type: 'required' } : { type: 'auto' };
  }
  // Legacy function_call: {"name": "..."}
  const name = str(choice.name);
  return name === undefined ? undefined : { type: 'tool', name };
}

/** `tools`, `parallel_tool_calls` and `tool_choice` for the IR's tools (none without tools). */
export function writeTools(
  out: Record<string, unknown>,
  ir: IRRequest,
  ctx: TranslationContext,
): void {
  if (ir.tools && ir.tools.length > 0) {
    out.tools = ir.tools.map((tool) => {
      const fn: Record<string, unknown> = { name: shortenToolName(tool.name, ctx) };
      if (tool.description !== undefined) fn.description = tool.description;
      // A parameterless tool still needs an object schema on stricter OpenAI-compatible hosts.
      fn.parameters =
        Object.keys(tool.parameters).length > 0
          ? tool.parameters
          : { type: 'object', properties: {} };
      if (tool.strict !== undefined) fn.strict = tool.strict;
      return { type: 'function', function: fn };
    });
    // The API rejects parallel_tool_calls and tool_choice without tools.
    if (ir.parallelToolCalls !== undefined) out.parallel_tool_calls = ir.parallelToolCalls;
    if (ir.toolChoice) {
      const choice = ir.toolChoice;
      out.tool_choice =
        choice.type === 'tool'
          ? { type: 'function', function: { name: shortenToolName(choice.name, ctx) } }
          : choice.type;
    }
  }
}
