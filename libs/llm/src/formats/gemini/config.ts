// Gemini generationConfig ↔ IR sampling, response format and thinking.
import type { IRReasoning, IRRequest, IRResponseFormat } from '@app/llm/ir/types';
import type { GeminiThinkingConfig } from '@app/llm/formats/gemini/gemini.types';
import { num, pick, str } from '@app/llm/formats/gemini/common';
import { TranslationError } from '@app/llm/util/errors';
import { geminiSchemaToJsonSchema } from '@app/llm/util/gemini-schema';
import { isRecord } from '@app/llm/util/json';
import { isReasoningLevel, reasoningBudget } from '@app/llm/util/thinking';

/** Gemini accepts at most five stop sequences. */
const MAX_STOP_SEQUENCES = 5;

/** The largest thinkingBudget any Gemini model accepts (2.5 Pro). */
const MAX_THINKING_BUDGET = 32768;

export function parseGenerationConfig(value: unknown, ir: IRRequest, path: string): void {
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

export function buildGenerationConfig(
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
