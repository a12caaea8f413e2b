import type { TranslationContext } from '@app/llm/codec';
import type {
  IRCandidate,
  IRPart,
  IRResponse,
  IRStopReason,
  IRUsage,
  WireFormat,
} from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { newId, nowSeconds } from '@app/llm/util/ids';
import { isRecord, stringifyArguments } from '@app/llm/util/json';
import { restoreToolName } from '@app/llm/util/tool-names';
import {
  STATE_LEGACY_FUNCTIONS,
  assistantParts,
  idWithPrefix,
  num,
  str,
} from '@app/llm/formats/openai/wire';

/** Top-level response fields the IR models; the rest (system_fingerprint, service_tier…) is extra. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'object',
  'created',
  'model',
  'choices',
  'usage',
]);

/** OpenAI finish_reason → IR stop reason (unknown values from compatible hosts count as stop). */
export function parseFinishReason(reason: string): IRStopReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * IR stop reason → OpenAI finish_reason. A plain stop after tool calls (Gemini says STOP) is
 * `tool_calls`, since OpenAI clients loop on that value; refusals are the content filter.
 */
export function toFinishReason(reason: IRStopReason | undefined, hasToolCalls: boolean): string {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
      return 'tool_calls';
    case 'content_filter':
    case 'refusal':
      return 'content_filter';
    case 'stop':
    case 'stop_sequence':
    case 'pause':
    case 'error':
    case undefined:
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}

/** Read an OpenAI `usage` object (chat or legacy completions). */
export function parseUsage(raw: unknown): IRUsage | undefined {
  if (!isRecord(raw)) return undefined;
  const input = num(raw.prompt_tokens) ?? 0;
  const output = num(raw.completion_tokens) ?? 0;
  const promptDetails = isRecord(raw.prompt_tokens_details) ? raw.prompt_tokens_details : undefined;
  const completionDetails = isRecord(raw.completion_tokens_details)
    ? raw.completion_tokens_details
    : undefined;
  return {
    inputTokens: input,
    outputTokens: output,
    reasoningTokens: num(completionDetails?.reasoning_tokens) ?? 0,
    // DeepSeek reports cache hits at the top level.
    cachedTokens: num(promptDetails?.cached_tokens) ?? num(raw.prompt_cache_hit_tokens) ?? 0,
    totalTokens: num(raw.total_tokens) ?? input + output,
  };
}

/** Render IR usage as an OpenAI `usage` object (same semantics: input includes cached). */
export function buildUsage(usage: IRUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens || usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Parse a `chat.completion` (or `text_completion`) body into the IR. */
export function parseOpenAIResponse(
  body: unknown,
  ctx: TranslationContext,
  sourceFormat: WireFormat = 'openai',
): IRResponse {
  if (!isRecord(body)) throw new TranslationError('The response body must be a JSON object');
  const choices = body.choices;
  if (!Array.isArray(choices)) {
    const message = isRecord(body.error) ? str(body.error.message) : undefined;
    throw new TranslationError(
      message ? `Upstream returned an error: ${message}` : 'choices must be an array',
      'choices',
    );
  }
  const candidates: IRCandidate[] = [];
  for (let i = 0; i < choices.length; i++) {
    const choice: unknown = choices[i];
    if (!isRecord(choice))
      throw new TranslationError('each choice must be an object', `choices[${i}]`);
    candidates.push(parseChoice(choice, i, ctx));
  }
  const ir: IRResponse = {
    id: str(body.id) ?? newId('chatcmpl-'),
    model: str(body.model) ?? ctx.upstreamModel,
    created: num(body.created) ?? nowSeconds(),
    candidates,
    sourceFormat,
    extra: {},
  };
  const usage = parseUsage(body.usage);
  if (usage) ir.usage = usage;
  for (const key in body) {
    if (!KNOWN_FIELDS.has(key)) ir.extra[key] = body[key];
  }
  return ir;
}

function parseChoice(
  choice: Record<string, unknown>,
  i: number,
  ctx: TranslationContext,
): IRCandidate {
  const content: IRPart[] = [];
  let refused = false;
  const message = choice.message;
  if (isRecord(message)) {
    // Reasoning first, as the model produced it (DeepSeek/Qwen/Kimi; `reasoning` on OpenRouter).
    const reasoning = str(message.reasoning_content) ?? str(message.reasoning);
    if (reasoning) content.push({ type: 'reasoning', text: reasoning });
    const text = message.content;
    if (typeof text === 'string') {
      if (text !== '') content.push({ type: 'text', text });
    } else if (Array.isArray(text)) {
      for (const item of text) {
        if (isRecord(item) && typeof item.text === 'string' && item.text !== '') {
          content.push({ type: 'text', text: item.text });
        }
      }
    }
    const refusal = str(message.refusal);
    if (refusal) {
      content.push({ type: 'text', text: refusal });
      refused = true;
    }
    if (Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls) {
        if (!isRecord(call) || (call.type !== undefined && call.type !== 'function')) continue;
        const fn = isRecord(call.function) ? call.function : {};
        content.push({
          type: 'tool_call',
          id: str(call.id) || newId('call_'),
          name: restoreToolName(str(fn.name) ?? '', ctx),
          arguments: stringifyArguments(fn.arguments),
        });
      }
    }
    const legacy = message.function_call;
    if (isRecord(legacy) && typeof legacy.name === 'string') {
      content.push({
        type: 'tool_call',
        id: newId('call_'),
        name: restoreToolName(legacy.name, ctx),
        arguments: stringifyArguments(legacy.arguments),
      });
    }
  } else if (typeof choice.text === 'string' && choice.text !== '') {
    content.push({ type: 'text', text: choice.text }); // legacy text_completion choice
  }

  const candidate: IRCandidate = { index: num(choice.index) ?? i, content };
  const finish = str(choice.finish_reason);
  if (finish !== undefined) {
    let reason = parseFinishReason(finish);
    // Some compatible hosts say "stop" after tool calls; downstream formats need the truth.
    if (reason === 'stop' && content.some((p) => p.type === 'tool_call')) reason = 'tool_calls';
    else if (reason === 'stop' && refused) reason = 'refusal';
    candidate.stopReason = reason;
  }
  return candidate;
}

/** Build a `chat.completion` body from the IR. */
export function buildOpenAIResponse(
  ir: IRResponse,
  ctx: TranslationContext,
): Record<string, unknown> {
  const legacy = ctx.state[STATE_LEGACY_FUNCTIONS] === true;
  const out: Record<string, unknown> = {
    id: idWithPrefix(ir.id, 'chatcmpl-'),
    object: 'chat.completion',
    created: ir.created || nowSeconds(),
    model: ir.model,
  };
  out.choices = ir.candidates.map((c) => buildChoice(c, legacy));
  if (ir.usage) out.usage = buildUsage(ir.usage);
  out.system_fingerprint = null;
  if (ir.sourceFormat === 'openai') {
    for (const key in ir.extra) out[key] = ir.extra[key];
  }
  return out;
}

function buildChoice(c: IRCandidate, legacy: boolean): Record<string, unknown> {
  const { text, reasoning, calls } = assistantParts(c.content, '');
  const toolCalls: Record<string, unknown>[] = [];
  let functionCall: Record<string, unknown> | undefined;
  if (legacy) {
    // The legacy API returns a single function call.
    if (calls.length > 0)
      functionCall = { name: calls[0].name, arguments: calls[0].arguments || '{}' };
  } else {
    for (const part of calls) {
      toolCalls.push({
        id: part.id,
        type: 'function',
        function: { name: part.name, arguments: part.arguments || '{}' },
      });
    }
  }
  const hasCalls = toolCalls.length > 0 || functionCall !== undefined;
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: text ?? (hasCalls ? null : ''),
    refusal: null,
  };
  // Non-standard but what reasoning-capable OpenAI-compatible hosts return; the SDK keeps it.
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (functionCall) message.function_call = functionCall;
  message.annotations = [];

  let finish = toFinishReason(c.stopReason, hasCalls);
  if (legacy && finish === 'tool_calls') finish = 'function_call';
  return { index: c.index, message, logprobs: null, finish_reason: finish };
}
