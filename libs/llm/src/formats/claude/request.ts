// The Claude Messages request codec; its parts live in messages, tools, sampling and content.
import type { TranslationContext } from '@app/llm/codec';
import type { IRRequest } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import type { BlockReader, BlockWriter } from '@app/llm/formats/claude/content';
import { CLAUDE_DEFAULT_MAX_TOKENS, claudeOrigins } from '@app/llm/formats/claude/mapping';
import {
  readMessages,
  readSystem,
  writeMessages,
  writeSystem,
} from '@app/llm/formats/claude/messages';
import {
  readReasoning,
  readResponseFormat,
  readSampling,
  deriveThinking,
  toolTurnLacksThinking,
} from '@app/llm/formats/claude/sampling';
import {
  SERVER_TOOLS,
  readToolChoice,
  readTools,
  writeToolChoice,
  writeTools,
} from '@app/llm/formats/claude/tools';

/** Top-level Messages fields the IR models; everything else is passed through via `extra`. */
const KNOWN_FIELDS = new Set([
  'model',
  'messages',
  'system',
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'stream',
  'metadata',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
]);

/** Parse a Claude Messages (or count_tokens) request body into the IR. */
export function parseClaudeRequest(body: unknown, ctx: TranslationContext): IRRequest {
  if (!isRecord(body)) throw new TranslationError('request body must be a JSON object');
  const reader: BlockReader = {
    origins: claudeOrigins(ctx),
    toolNames: new Map(),
    unmodelled: [],
  };
  const ir: IRRequest = {
    model: typeof body.model === 'string' ? body.model : '',
    system: readSystem(body.system),
    messages: readMessages(body.messages, reader),
    sampling: readSampling(body),
    stream: body.stream === true,
    sourceFormat: 'claude',
    extra: {},
  };
  const { tools, serverTools } = readTools(body.tools, reader);
  if (tools) ir.tools = tools;
  if (serverTools) ir.extra[SERVER_TOOLS] = serverTools;
  const { toolChoice, parallelToolCalls } = readToolChoice(body.tool_choice);
  if (toolChoice) ir.toolChoice = toolChoice;
  if (parallelToolCalls !== undefined) ir.parallelToolCalls = parallelToolCalls;
  const reasoning = readReasoning(body.thinking, body.output_config, reader);
  if (reasoning) ir.reasoning = reasoning;
  const responseFormat = readResponseFormat(body.output_config);
  if (responseFormat) ir.responseFormat = responseFormat;
  if (isRecord(body.metadata)) {
    ir.metadata = body.metadata;
    if (typeof body.metadata.user_id === 'string') ir.user = body.metadata.user_id;
  }
  const unmodelled = reader.unmodelled ?? [];
  if (serverTools) unmodelled.push('server tools');
  for (const key in body) {
    if (KNOWN_FIELDS.has(key)) continue;
    ir.extra[key] = body[key];
    unmodelled.push(`field "${key}"`);
  }
  if (unmodelled.length > 0) ctx.unmodelled = unmodelled;
  return ir;
}

/** Build a Claude Messages request body from the IR. */
export function buildClaudeRequest(
  ir: IRRequest,
  ctx: TranslationContext,
): Record<string, unknown> {
  const sameFormat = ir.sourceFormat === 'claude';
  const origins = claudeOrigins(ctx);
  const w: BlockWriter = { sameFormat, origins };
  const messages = writeMessages(ir, w);
  const s = ir.sampling;
  const out: Record<string, unknown> = { model: ir.model, messages };

  const system = writeSystem(ir, sameFormat);
  if (system.length > 0) out.system = system;

  let maxTokens = s.maxTokens ?? CLAUDE_DEFAULT_MAX_TOKENS;
  let temperature = s.temperature;
  let topP = s.topP;
  let topK = s.topK;

  const tools = writeTools(ir, w);
  const toolChoice = tools ? writeToolChoice(ir) : undefined;
  if (tools) out.tools = tools;

  // Reasoning: restored verbatim for a Claude client unless something (a model suffix) replaced
  // it; otherwise derived, and then the request is adjusted to what Claude accepts with thinking.
  const reasoning = ir.reasoning;
  const origin = reasoning && sameFormat ? origins.get(reasoning) : undefined;
  let effort: unknown;
  if (origin) {
    if (origin.thinking !== undefined) out.thinking = origin.thinking;
    effort = origin.effort;
  } else if (reasoning) {
    let derived = deriveThinking(reasoning);
    const forced = toolChoice?.type === 'any' || toolChoice?.type === 'tool';
    // Claude rejects thinking with a forced tool choice; the forced call is what the client
    // relies on, so thinking gives way.
    if (derived && (forced || toolTurnLacksThinking(messages))) derived = undefined;
    if (derived) {
      out.thinking = derived.thinking;
      // Thinking counts against max_tokens and needs room left for the answer.
      if (derived.budget > 0 && maxTokens <= derived.budget) {
        maxTokens = derived.budget + (s.maxTokens ?? CLAUDE_DEFAULT_MAX_TOKENS);
      }
      // With thinking Claude only takes temperature 1, top_p in [0.95, 1] and no top_k.
      if (temperature !== undefined && temperature !== 1) temperature = undefined;
      if (topP !== undefined && topP < 0.95) topP = undefined;
      topK = undefined;
    }
  }

  out.max_tokens = maxTokens;
  // Claude (Sonnet 4.5 and later) refuses temperature and top_p together; other formats' clients
  // often send both, so temperature wins. A Claude client's own choice is passed as sent.
  if (!sameFormat && temperature !== undefined && topP !== undefined) topP = undefined;
  if (temperature !== undefined) out.temperature = temperature;
  if (topP !== undefined) out.top_p = topP;
  if (topK !== undefined) out.top_k = topK;
  if (s.stop && s.stop.length > 0) out.stop_sequences = s.stop;
  if (toolChoice) out.tool_choice = toolChoice;

  const outputConfig: Record<string, unknown> = {};
  if (effort !== undefined) outputConfig.effort = effort;
  if (ir.responseFormat?.type === 'json_schema') {
    outputConfig.format = { type: 'json_schema', schema: ir.responseFormat.schema };
  }
  if (effort !== undefined || outputConfig.format !== undefined) out.output_config = outputConfig;

  if (ir.user) out.metadata = { user_id: ir.user };
  if (ir.stream) out.stream = true;

  if (sameFormat) {
    for (const key in ir.extra) {
      if (key !== SERVER_TOOLS && !(key in out)) out[key] = ir.extra[key];
    }
  }
  return out;
}
