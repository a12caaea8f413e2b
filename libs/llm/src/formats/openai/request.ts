import type { TranslationContext } from '@app/llm/codec';
import type { IRRequest, WireFormat } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { buildMessages, readMessages } from '@app/llm/formats/openai/messages';
import {
  buildResponseFormat,
  parseReasoning,
  parseResponseFormat,
  readSampling,
  reasoningEffort,
  writeSampling,
  writeStreamFlags,
} from '@app/llm/formats/openai/sampling';
import { parseToolChoice, parseTools, writeTools } from '@app/llm/formats/openai/tools';
import { OPENAI_FAMILY, str } from '@app/llm/formats/openai/wire';

/*
 * The Chat Completions request codec. Its parts live beside it: messages.ts walks `messages`,
 * content.ts reads and writes their content parts, tools.ts the tools and tool choice,
 * sampling.ts the sampling, reasoning, response-format and stream fields.
 */

/** Top-level Chat Completions fields the IR models; every other field goes to `ir.extra`. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'tools',
  'tool_choice',
  'functions',
  'function_call',
  'parallel_tool_calls',
  'reasoning_effort',
  'temperature',
  'top_p',
  'top_k',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'n',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'response_format',
  'stream',
  'user',
  'metadata',
]);

/** Parse a Chat Completions request body into the IR. */
export function parseOpenAIRequest(
  body: unknown,
  ctx: TranslationContext,
  sourceFormat: WireFormat = 'openai',
): IRRequest {
  if (!isRecord(body)) throw new TranslationError('The request body must be a JSON object');
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    throw new TranslationError('model must be a non-empty string', 'model');
  }
  const rawMessages = body.messages;
  if (!Array.isArray(rawMessages)) {
    throw new TranslationError('messages must be an array of chat messages', 'messages');
  }

  const { system, messages } = readMessages(rawMessages, ctx);
  const ir: IRRequest = {
    model,
    system,
    messages,
    sampling: readSampling(body, ctx),
    stream: body.stream === true,
    sourceFormat,
    extra: {},
  };

  const tools = parseTools(body, ctx);
  if (tools) ir.tools = tools;
  const toolChoice = parseToolChoice(body.tool_choice ?? body.function_call);
  if (toolChoice) ir.toolChoice = toolChoice;
  if (typeof body.parallel_tool_calls === 'boolean')
    ir.parallelToolCalls = body.parallel_tool_calls;
  const reasoning = parseReasoning(body.reasoning_effort);
  if (reasoning) ir.reasoning = reasoning;
  const responseFormat = parseResponseFormat(body.response_format);
  if (responseFormat) ir.responseFormat = responseFormat;
  const user = str(body.user);
  if (user !== undefined) ir.user = user;
  if (isRecord(body.metadata)) ir.metadata = body.metadata;

  // stream_options stays in extra (include_obfuscation etc. pass through); include_usage is read.
  const streamOptions = body.stream_options;
  if (isRecord(streamOptions) && streamOptions.include_usage === true) ctx.includeUsage = true;

  for (const key in body) {
    if (!KNOWN_FIELDS.has(key)) ir.extra[key] = body[key];
  }
  return ir;
}

/** Build a Chat Completions request body from the IR (for OpenAI-compatible upstreams). */
export function buildOpenAIRequest(
  ir: IRRequest,
  ctx: TranslationContext,
): Record<string, unknown> {
  const sameFormat = ir.sourceFormat === 'openai';
  const out: Record<string, unknown> = { model: ir.model };
  if (sameFormat) {
    for (const key in ir.extra) out[key] = ir.extra[key];
  }
  out.messages = buildMessages(ir, ctx, sameFormat);

  writeTools(out, ir, ctx);

  const effort = reasoningEffort(ir);
  if (effort !== undefined) out.reasoning_effort = effort;

  writeSampling(out, ir, ctx, sameFormat);

  if (ir.responseFormat) out.response_format = buildResponseFormat(ir.responseFormat);

  writeStreamFlags(out, ir.stream);

  if (ir.user !== undefined) out.user = ir.user;
  if (ir.metadata && OPENAI_FAMILY.has(ir.sourceFormat)) out.metadata = ir.metadata;
  return out;
}
