import type { TranslationContext } from '@app/llm/codec';
import type {
  IRMessage,
  IRReasoning,
  IRRequest,
  IRResponseFormat,
  IRTextPart,
  IRTool,
  IRToolChoice,
  WireFormat,
} from '@app/llm/ir/types';
import type {
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiThinkingConfig,
} from '@app/llm/formats/gemini/gemini.types';
import { ENVELOPE_EXTRA_KEY, isGeminiFamily, num, pick, str } from '@app/llm/formats/gemini/common';
import { PairingCallIds, geminiPartsToIR, irPartsToGemini } from '@app/llm/formats/gemini/parts';
import { TranslationError } from '@app/llm/util/errors';
import { cleanGeminiParameters, geminiSchemaToJsonSchema } from '@app/llm/util/gemini-schema';
import { isRecord } from '@app/llm/util/json';
import { isReasoningLevel, reasoningBudget } from '@app/llm/util/thinking';
import { shortenToolName } from '@app/llm/util/tool-names';

/** Inner-request fields only the Code Assist API knows; the public Gemini API rejects them. */
const CODE_ASSIST_ONLY_KEYS: ReadonlySet<string> = new Set(['session_id', 'sessionId']);

/** IR extra keys holding the leftovers of Gemini fields the IR maps only in part. */
const LEFTOVER_KEYS: ReadonlySet<string> = new Set([
  'tools',
  'toolConfig',
  'generationConfig',
  ENVELOPE_EXTRA_KEY,
]);

/** Gemini accepts at most five stop sequences. */
const MAX_STOP_SEQUENCES = 5;

/** The largest thinkingBudget any Gemini model accepts (2.5 Pro). */
const MAX_THINKING_BUDGET = 32768;

const MODELS_PREFIX = 'models/';

/**
 * Parse a Gemini generateContent body into the IR. The model comes from the URL
 * (ctx.requestedModel), the stream flag from the URL action (ctx.stream).
 */
export function parseGeminiRequest(
  body: unknown,
  ctx: TranslationContext,
  sourceFormat: WireFormat,
): IRRequest {
  if (!isRecord(body)) throw new TranslationError('A Gemini request body must be a JSON object');
  const contents = body.contents;
  if (!Array.isArray(contents)) throw new TranslationError('contents must be an array', 'contents');

  const ids = new PairingCallIds();
  const messages: IRMessage[] = [];
  for (let i = 0; i < contents.length; i++) {
    const c: unknown = contents[i];
    if (!isRecord(c)) throw new TranslationError('a content must be an object', `contents[${i}]`);
    const parts = c.parts;
    if (!Array.isArray(parts)) {
      throw new TranslationError('parts must be an array', `contents[${i}].parts`);
    }
    const content = geminiPartsToIR(parts, ids, ctx, false);
    if (content.length > 0)
      messages.push({ role: c.role === 'model' ? 'assistant' : 'user', content });
  }

  const bodyModel = str(body.model);
  const ir: IRRequest = {
    model:
      ctx.requestedModel ||
      (bodyModel?.startsWith(MODELS_PREFIX) ? bodyModel.slice(MODELS_PREFIX.length) : bodyModel) ||
      '',
    system: [],
    messages,
    sampling: {},
    stream: ctx.stream ?? false,
    sourceFormat,
    extra: {},
  };

  for (const key in body) {
    const value = body[key];
    switch (key) {
      case 'contents':
      case 'model':
        break;
      case 'systemInstruction':
      case 'system_instruction':
        ir.system = parseSystem(value, key);
        break;
      case 'tools':
        parseTools(value, ir);
        break;
      case 'toolConfig':
      case 'tool_config':
        parseToolConfig(value, ir);
        break;
      case 'generationConfig':
      case 'generation_config':
        parseGenerationConfig(value, ir, key);
        break;
      default:
        ir.extra[key] = value;
    }
  }
  return ir;
}

function parseSystem(value: unknown, path: string): IRTextPart[] {
  if (typeof value === 'string') return value ? [{ type: 'text', text: value }] : [];
  let parts: unknown = value;
  if (isRecord(value)) parts = value.parts;
  if (!Array.isArray(parts)) throw new TranslationError('must be a Content with parts', path);
  const out: IRTextPart[] = [];
  for (const p of parts) {
    if (typeof p === 'string') out.push({ type: 'text', text: p });
    else if (isRecord(p) && typeof p.text === 'string') out.push({ type: 'text', text: p.text });
  }
  return out;
}

function parseTools(value: unknown, ir: IRRequest): void {
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

function parseToolConfig(value: unknown, ir: IRRequest): void {
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

function parseGenerationConfig(value: unknown, ir: IRRequest, path: string): void {
  if (!isRecord(value)) throw new TranslationError('must be an object', path);
  const s = ir.sampling;
  let rest: Record<string, unknown> | undefined;
  let mimeType: string | undefined;
  let schema: Record<string, unknown> | undefined;
  for (const key in value) {
    const v = value[key];
    switch (key) {
      case 'temperature':
        s.temperature = num(v);
        break;
      case 'topP':
      case 'top_p':
        s.topP = num(v);
        break;
      case 'topK':
      case 'top_k':
        s.topK = num(v);
        break;
      case 'maxOutputTokens':
      case 'max_output_tokens':
        s.maxTokens = num(v);
        break;
      case 'stopSequences':
      case 'stop_sequences':
        if (typeof v === 'string') s.stop = [v];
        else if (Array.isArray(v)) s.stop = v.filter((x): x is string => typeof x === 'string');
        break;
      case 'candidateCount':
      case 'candidate_count':
        s.n = num(v);
        break;
      case 'seed':
        s.seed = num(v);
        break;
      case 'presencePenalty':
      case 'presence_penalty':
        s.presencePenalty = num(v);
        break;
      case 'frequencyPenalty':
      case 'frequency_penalty':
        s.frequencyPenalty = num(v);
        break;
      case 'thinkingConfig':
      case 'thinking_config':
        if (isRecord(v)) ir.reasoning = parseThinking(v);
        break;
      case 'responseMimeType':
      case 'response_mime_type':
        mimeType = str(v);
        (rest ??= {}).responseMimeType = v;
        break;
      case 'responseJsonSchema':
      case 'response_json_schema':
        if (isRecord(v)) schema = v;
        (rest ??= {}).responseJsonSchema = v;
        break;
      case 'responseSchema':
      case 'response_schema':
        if (isRecord(v) && !schema) schema = geminiSchemaToJsonSchema(v);
        (rest ??= {}).responseSchema = v;
        break;
      default:
        (rest ??= {})[key] = v;
    }
  }
  const format = responseFormatFrom(mimeType, schema);
  if (format) ir.responseFormat = format;
  if (rest) ir.extra.generationConfig = rest;
}

function responseFormatFrom(
  mimeType: string | undefined,
  schema: Record<string, unknown> | undefined,
): IRResponseFormat | undefined {
  if (mimeType === 'application/json') {
    return schema ? { type: 'json_schema', schema } : { type: 'json_object' };
  }
  if (mimeType === 'text/plain') return { type: 'text' };
  return undefined;
}

function parseThinking(cfg: Record<string, unknown>): IRReasoning | undefined {
  const r: IRReasoning = {};
  const budget = num(pick(cfg, 'thinkingBudget', 'thinking_budget'));
  if (budget !== undefined) r.budget = budget;
  const level = str(pick(cfg, 'thinkingLevel', 'thinking_level'))?.toLowerCase();
  if (isReasoningLevel(level)) r.level = level;
  const include = pick(cfg, 'includeThoughts', 'include_thoughts');
  if (typeof include === 'boolean') r.includeThoughts = include;
  return r.budget === undefined && r.level === undefined && r.includeThoughts === undefined
    ? undefined
    : r;
}

/**
 * Build a Gemini generateContent body from the IR (no `model`: it goes in the URL). `target` is
 * the format the body is for (gemini, or the inner request of gemini-cli / antigravity).
 */
export function buildGeminiRequest(
  ir: IRRequest,
  ctx: TranslationContext,
  target: WireFormat,
): Record<string, unknown> {
  const family = isGeminiFamily(ir.sourceFormat) && isGeminiFamily(target);
  const opts = { ctx, names: new Map<string, string>(), history: true, family };

  const contents: GeminiContent[] = [];
  for (const m of ir.messages) {
    const parts = irPartsToGemini(m.content, opts);
    // Gemini rejects a content with no parts.
    if (parts.length > 0) contents.push({ role: m.role === 'assistant' ? 'model' : 'user', parts });
  }
  const out: Record<string, unknown> = { contents };

  const system: { text: string }[] = [];
  for (const t of ir.system) if (t.text) system.push({ text: t.text });
  if (system.length > 0) out.systemInstruction = { parts: system };

  const tools: Record<string, unknown>[] = [];
  if (ir.tools && ir.tools.length > 0) {
    tools.push({ functionDeclarations: ir.tools.map((t) => declaration(t, ctx)) });
  }
  const extraTools = family ? ir.extra.tools : undefined;
  if (Array.isArray(extraTools)) for (const t of extraTools) if (isRecord(t)) tools.push(t);
  if (tools.length > 0) out.tools = tools;

  const toolConfig = buildToolConfig(ir.toolChoice, ctx);
  const extraToolConfig = family ? ir.extra.toolConfig : undefined;
  if (toolConfig || isRecord(extraToolConfig)) {
    out.toolConfig = { ...toolConfig, ...(isRecord(extraToolConfig) ? extraToolConfig : {}) };
  }

  const generationConfig = buildGenerationConfig(ir, family);
  if (generationConfig) out.generationConfig = generationConfig;

  if (family) {
    for (const key in ir.extra) {
      if (LEFTOVER_KEYS.has(key)) continue;
      if (target === 'gemini' && CODE_ASSIST_ONLY_KEYS.has(key)) continue;
      out[key] = ir.extra[key];
    }
  }
  return out;
}

function declaration(tool: IRTool, ctx: TranslationContext): GeminiFunctionDeclaration {
  const decl: GeminiFunctionDeclaration = { name: shortenToolName(tool.name, ctx) };
  if (tool.description) decl.description = tool.description;
  const parameters = cleanGeminiParameters(tool.parameters);
  if (parameters) decl.parameters = parameters;
  return decl;
}

function buildToolConfig(
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

function buildGenerationConfig(
  ir: IRRequest,
  family: boolean,
): Record<string, unknown> | undefined {
  const gc: Record<string, unknown> = {};
  const s = ir.sampling;
  if (s.temperature !== undefined) gc.temperature = s.temperature;
  if (s.topP !== undefined) gc.topP = s.topP;
  if (s.topK !== undefined) gc.topK = s.topK;
  if (s.maxTokens !== undefined) gc.maxOutputTokens = s.maxTokens;
  if (s.stop && s.stop.length > 0) gc.stopSequences = s.stop.slice(0, MAX_STOP_SEQUENCES);
  if (s.n !== undefined) gc.candidateCount = s.n;
  if (s.seed !== undefined) gc.seed = s.seed;
  if (s.presencePenalty !== undefined) gc.presencePenalty = s.presencePenalty;
  if (s.frequencyPenalty !== undefined) gc.frequencyPenalty = s.frequencyPenalty;

  const leftover = family && isRecord(ir.extra.generationConfig) ? ir.extra.generationConfig : {};
  // A Gemini client's own response schema fields win over the IR rendering of them.
  const ownSchema =
    leftover.responseMimeType !== undefined ||
    leftover.responseSchema !== undefined ||
    leftover.responseJsonSchema !== undefined;
  const format = ir.responseFormat;
  if (format && !ownSchema) {
    if (format.type === 'json_object') gc.responseMimeType = 'application/json';
    else if (format.type === 'json_schema') {
      // responseJsonSchema takes JSON Schema as is (no OpenAPI-subset conversion needed).
      gc.responseMimeType = 'application/json';
      gc.responseJsonSchema = format.schema;
    }
  }

  const thinking = buildThinkingConfig(ir.reasoning, ir.model);
  if (thinking) gc.thinkingConfig = thinking;

  Object.assign(gc, leftover);
  return Object.keys(gc).length > 0 ? gc : undefined;
}

/**
 * IR reasoning → thinkingConfig. Budgets come from util/thinking.ts (level → budget), capped at
 * what Gemini accepts. Gemini 3 models asked for a level get thinkingLevel instead (they take
 * either, not both).
 */
export function buildThinkingConfig(
  r: IRReasoning | undefined,
  model: string,
): GeminiThinkingConfig | undefined {
  if (!r) return undefined;
  const include = r.includeThoughts !== false;
  if (r.budget === undefined && r.level !== undefined && model.includes('gemini-3')) {
    if (r.level === 'auto') return { includeThoughts: include };
    const cfg: GeminiThinkingConfig = { thinkingLevel: gemini3Level(r.level, model) };
    if (include && r.level !== 'none') cfg.includeThoughts = true;
    return cfg;
  }
  const budget = reasoningBudget(r);
  if (budget === undefined) {
    return r.includeThoughts === undefined ? undefined : { includeThoughts: r.includeThoughts };
  }
  const cfg: GeminiThinkingConfig = { thinkingBudget: Math.min(budget, MAX_THINKING_BUDGET) };
  if (budget !== 0 && include) cfg.includeThoughts = true;
  return cfg;
}

/** Gemini 3 Pro knows low/high; Flash also minimal/medium. Neither can switch thinking off. */
function gemini3Level(level: string, model: string): string {
  const flash = model.includes('flash');
  switch (level) {
    case 'none':
    case 'minimal':
      return flash ? 'minimal' : 'low';
    case 'low':
      return 'low';
    case 'medium':
      return flash ? 'medium' : 'high';
    default:
      return 'high';
  }
}
