// Gemini function declarations and toolConfig ↔ IR tools and tool choice.
import type { TranslationContext } from '@app/llm/codec';
import type { IRRequest, IRTool, IRToolChoice } from '@app/llm/ir/types';
import type { GeminiFunctionDeclaration } from '@app/llm/formats/gemini/gemini.types';
import { pick, str } from '@app/llm/formats/gemini/common';
import { TranslationError } from '@app/llm/util/errors';
import { cleanGeminiParameters, geminiSchemaToJsonSchema } from '@app/llm/util/gemini-schema';
import { isRecord } from '@app/llm/util/json';
import { shortenToolName } from '@app/llm/util/tool-names';

export function parseTools(value: unknown, ir: IRRequest): void {
  if (!Array.isArray(value)) throw new TranslationError('tools must be an array', 'tools');
  const tools: IRTool[] = [];
  const builtins: Record<string, unknown>[] = [];
  for (const tool of value) {
    if (!isRecord(tool)) continue;
    let rest: Record<string, unknown> | undefined;
    for (const key in tool) {
      const v = tool[key];
      if ((key === 'functionDeclarations' || key === 'function_declarations') && Array.isArray(v)) {
        for (const decl of v) if (isRecord(decl)) tools.push(parseDeclaration(decl));
      } else {
        // googleSearch, codeExecution, urlContext… have no IR slot; Gemini upstreams get them back.
        (rest ??= {})[key] = v;
      }
    }
    if (rest) builtins.push(rest);
  }
  if (tools.length > 0) ir.tools = tools;
  if (builtins.length > 0) ir.extra.tools = builtins;
}

function parseDeclaration(decl: Record<string, unknown>): IRTool {
  const tool: IRTool = {
    name: str(decl.name) ?? '',
    parameters: { type: 'object', properties: {} },
  };
  const description = str(decl.description);
  if (description) tool.description = description;
  const jsonSchema = pick(decl, 'parametersJsonSchema', 'parameters_json_schema');
  if (isRecord(jsonSchema)) tool.parameters = jsonSchema;
  else if (isRecord(decl.parameters)) tool.parameters = geminiSchemaToJsonSchema(decl.parameters);
  return tool;
}

export function parseToolConfig(value: unknown, ir: IRRequest): void {
  if (!isRecord(value)) return;
  let rest: Record<string, unknown> | undefined;
  for (const key in value) {
    const fcc = value[key];
    if ((key === 'functionCallingConfig' || key === 'function_calling_config') && isRecord(fcc)) {
      const mode = (str(fcc.mode) ?? '').toUpperCase();
      const allowed = pick(fcc, 'allowedFunctionNames', 'allowed_function_names');
      const names = Array.isArray(allowed) ? allowed.filter((n) => typeof n === 'string') : [];
      const choice = toolChoiceFromMode(mode, names);
      if (choice) ir.toolChoice = choice;
      // Modes the IR cannot say exactly still reach Gemini upstreams unchanged.
      if (mode === 'VALIDATED' || (mode === 'ANY' && names.length > 1)) {
        (rest ??= {}).functionCallingConfig = fcc;
      }
    } else {
      (rest ??= {})[key] = fcc;
    }
  }
  if (rest) ir.extra.toolConfig = rest;
}

function toolChoiceFromMode(mode: string, allowed: string[]): IRToolChoice | undefined {
  switch (mode) {
    case 'AUTO':
    case 'VALIDATED':
      return { type: 'auto' };
    case 'ANY':
      return allowed.length === 1 ? { type: 'tool', name: allowed[0] } : { type: 'required' };
    case 'NONE':
      return { type: 'none' };
    default:
      return undefined;
  }
}

export function declaration(tool: IRTool, ctx: TranslationContext): GeminiFunctionDeclaration {
  const decl: GeminiFunctionDeclaration = { name: shortenToolName(tool.name, ctx) };
  if (tool.description) decl.description = tool.description;
  const parameters = cleanGeminiParameters(tool.parameters);
  if (parameters) decl.parameters = parameters;
  return decl;
}

export function buildToolConfig(
  choice: IRToolChoice | undefined,
  ctx: TranslationContext,
): Record<string, unknown> | undefined {
  if (!choice) return undefined;
  switch (choice.type) {
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'tool':
      return {
        functionCallingConfig: {
          mode: 'ANY',
          allowedFunctionNames: [shortenToolName(choice.name, ctx)],
        },
      };
  }
}
