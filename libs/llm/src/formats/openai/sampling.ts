import type { TranslationContext } from '@app/llm/codec';
import type { IRReasoning, IRRequest, IRResponseFormat, IRSampling } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { isReasoningLevel, reasoningLevel } from '@app/llm/util/thinking';
import { STATE_MAX_TOKENS_FIELD, num, str } from '@app/llm/formats/openai/wire';

/**
 * `stream` and `stream_options` for both OpenAI request formats: a stream always asks for the
 * usage chunk (the gateway accounts usage from it); a non-stream request drops stream_options,
 * which the API rejects there.
 */
export function writeStreamFlags(out: Record<string, unknown>, stream: boolean): void {
  if (stream) {
    out.stream = true;
    const passed = out.stream_options;
    out.stream_options = isRecord(passed)
      ? { ...passed, include_usage: true }
      : { include_usage: true };
  } else {
    delete out.stream_options;
  }
}

/**
 * The sampling fields Chat Completions and legacy Completions share: temperature, top_p,
 * max_tokens, stop (string or array), n, seed and the two penalties.
 */
export function readCommonSampling(body: Record<string, unknown>): IRSampling {
  const s: IRSampling = {};
  const temperature = num(body.temperature);
  if (temperature !== undefined) s.temperature = temperature;
  const topP = num(body.top_p);
  if (topP !== undefined) s.topP = topP;
  const maxTokens = num(body.max_tokens);
  if (maxTokens !== undefined) s.maxTokens = maxTokens;
  const stop = body.stop;
  if (typeof stop === 'string') s.stop = [stop];
  else if (Array.isArray(stop)) {
    const list = stop.filter((v): v is string => typeof v === 'string');
    if (list.length > 0) s.stop = list;
  }
  const n = num(body.n);
  if (n !== undefined) s.n = n;
  const seed = num(body.seed);
  if (seed !== undefined) s.seed = seed;
  const presence = num(body.presence_penalty);
  if (presence !== undefined) s.presencePenalty = presence;
  const frequency = num(body.frequency_penalty);
  if (frequency !== undefined) s.frequencyPenalty = frequency;
  return s;
}

/** Write the sampling fields both OpenAI request formats share after the token limit. */
export function writeCommonSampling(out: Record<string, unknown>, s: IRSampling): void {
  if (s.stop && s.stop.length > 0) out.stop = s.stop;
  if (s.n !== undefined) out.n = s.n;
  if (s.seed !== undefined) out.seed = s.seed;
  if (s.presencePenalty !== undefined) out.presence_penalty = s.presencePenalty;
  if (s.frequencyPenalty !== undefined) out.frequency_penalty = s.frequencyPenalty;
}

/** Chat Completions sampling: the shared fields, top_k, and max_completion_tokens (remembered). */
export function readSampling(body: Record<string, unknown>, ctx: TranslationContext): IRSampling {
  const s = readCommonSampling(body);
  const topK = num(body.top_k);
  if (topK !== undefined) s.topK = topK;
  const maxCompletion = num(body.max_completion_tokens);
  if (maxCompletion !== undefined) {
    s.maxTokens = maxCompletion;
    ctx.state[STATE_MAX_TOKENS_FIELD] = 'max_completion_tokens';
  }
  return s;
}

/** The sampling fields of a Chat Completions body (`sameFormat`: the IR came from one). */
export function writeSampling(
  out: Record<string, unknown>,
  ir: IRRequest,
  ctx: TranslationContext,
  sameFormat: boolean,
): void {
  const s = ir.sampling;
  if (s.temperature !== undefined) out.temperature = s.temperature;
  if (s.topP !== undefined) out.top_p = s.topP;
  // top_k is not part of the OpenAI API (api.openai.com rejects it); only echo a client's own.
  if (s.topK !== undefined && sameFormat) out.top_k = s.topK;
  if (s.maxTokens !== undefined) {
    // max_tokens is what every OpenAI-compatible host understands; max_completion_tokens only
    // when the client itself used it (OpenAI reasoning models require it).
    const field =
      sameFormat && ctx.state[STATE_MAX_TOKENS_FIELD] === 'max_completion_tokens'
        ? 'max_completion_tokens'
        : 'max_tokens';
    out[field] = s.maxTokens;
  }
  writeCommonSampling(out, s);
}

/** `reasoning_effort` → the IR reasoning level. */
export function parseReasoning(effort: unknown): IRReasoning | undefined {
  if (!isReasoningLevel(effort)) return undefined;
  // An OpenAI client that asks for reasoning wants it back (reasoning_content) when the upstream
  // can return it.
  return { level: effort, includeThoughts: effort !== 'none' };
}

/**
 * reasoning_effort for a level: 'auto' has no OpenAI spelling (the model decides when the field is
 * absent); 'max' is only sent when an OpenAI client asked for it, other sources get 'xhigh', the
 * top level OpenAI-compatible hosts commonly accept.
 */
export function reasoningEffort(ir: IRRequest): string | undefined {
  const level = reasoningLevel(ir.reasoning);
  if (level === undefined || level === 'auto') return undefined;
  if (level === 'max' && ir.sourceFormat !== 'openai') return 'xhigh';
  return level;
}

/** `response_format` → the IR (text, json_object, json_schema). */
export function parseResponseFormat(format: unknown): IRResponseFormat | undefined {
  if (!isRecord(format)) return undefined;
  return readFormat(format, () => {
    const spec = format.json_schema;
    if (!isRecord(spec)) {
      throw new TranslationError('json_schema is required', 'response_format.json_schema');
    }
    return spec;
  });
}

/**
 * A format object (`type` text, json_object or json_schema) → the IR; other types have no IR
 * slot. `jsonSchemaSpec` finds the json_schema spec (`name`, `schema`, `strict`): Chat
 * Completions nests it in `response_format.json_schema`, the Responses API spreads it into
 * `text.format` itself.
 */
export function readFormat(
  format: Record<string, unknown>,
  jsonSchemaSpec: () => Record<string, unknown>,
): IRResponseFormat | undefined {
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema':
      return readJsonSchemaSpec(jsonSchemaSpec());
    default:
      return undefined;
  }
}

/** The IR response format → `response_format`. */
export function buildResponseFormat(format: IRResponseFormat): Record<string, unknown> {
  if (format.type !== 'json_schema') return { type: format.type };
  return { type: 'json_schema', json_schema: writeJsonSchemaSpec(format) };
}

/** A json_schema spec (`name`, `schema`, `strict`) → the IR. */
function readJsonSchemaSpec(spec: Record<string, unknown>): IRResponseFormat {
  const out: IRResponseFormat = {
    type: 'json_schema',
    schema: isRecord(spec.schema) ? spec.schema : {},
  };
  const name = str(spec.name);
  if (name !== undefined) out.name = name;
  if (typeof spec.strict === 'boolean') out.strict = spec.strict;
  return out;
}

/** The IR json_schema format → its spec, in the field order OpenAI sends: name, schema, strict. */
export function writeJsonSchemaSpec(
  format: IRResponseFormat & { type: 'json_schema' },
): Record<string, unknown> {
  const spec: Record<string, unknown> = { name: format.name ?? 'response', schema: format.schema };
  if (format.strict !== undefined) spec.strict = format.strict;
  return spec;
}
