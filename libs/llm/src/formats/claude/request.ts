import type { TranslationContext } from '@app/llm/codec';
import type {
  IRMessage,
  IRReasoning,
  IRRequest,
  IRResponseFormat,
  IRSampling,
  IRTextPart,
  IRTool,
  IRToolChoice,
} from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { isReasoningLevel, levelToBudget } from '@app/llm/util/thinking';
import {
  type BlockReader,
  type BlockWriter,
  type ClaudeBlock,
  readContent,
  writeBlock,
} from '@app/llm/formats/claude/content';
import {
  CLAUDE_DEFAULT_MAX_TOKENS,
  CLAUDE_MIN_THINKING_BUDGET,
  claudeOrigins,
} from '@app/llm/formats/claude/mapping';

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

const TOOL_FIELDS = new Set(['type', 'name', 'description', 'input_schema', 'strict']);

/** Key in `ir.extra` holding Claude server tools (web search, code execution, …). */
const SERVER_TOOLS = 'tools';

const finite = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/**
 * Claude Code's attribution block (`x-anthropic-billing-header: cc_version=…`) is billing metadata
 * for Anthropic, not an instruction; other upstreams would read it as the start of the system
 * prompt, and its per-release value would break their prompt caching. CLIProxyAPI drops it too.
 */
const ATTRIBUTION = /^\s*x-anthropic-billing-header:/;

function readSystem(system: unknown): IRTextPart[] {
  if (system === undefined || system === null) return [];
  if (typeof system === 'string') {
    return system && !ATTRIBUTION.test(system) ? [{ type: 'text', text: system }] : [];
  }
  if (!Array.isArray(system)) {
    throw new TranslationError('system must be a string or an array of text blocks', 'system');
  }
  const out: IRTextPart[] = [];
  for (const block of system) {
    if (!isRecord(block) || typeof block.text !== 'string' || ATTRIBUTION.test(block.text))
      continue;
    const part: IRTextPart = { type: 'text', text: block.text };
    let extra: Record<string, unknown> | undefined;
    for (const key in block) {
      if (key !== 'type' && key !== 'text') (extra ??= {})[key] = block[key];
    }
    if (extra) part.extra = extra;
    out.push(part);
  }
  return out;
}

/** How a mid-conversation system message is wrapped for upstreams without one (CLIProxyAPI's). */
export const SYSTEM_REMINDER_OPEN = '<system-reminder>\n';
export const SYSTEM_REMINDER_CLOSE = '\n</system-reminder>';

/**
 * A mid-conversation `{"role":"system"}` message (Claude Code sends them between turns, with the
 * `mid-conversation-system-2026-04-07` beta) as the user turn other formats can carry: its text
 * blocks joined by newlines inside `<system-reminder>` tags. Undefined when it holds no text.
 */
export function systemReminderMessage(content: unknown): IRMessage | undefined {
  const texts: string[] = [];
  if (typeof content === 'string') texts.push(content);
  else if (Array.isArray(content)) {
    for (const block of content) {
      if (isRecord(block) && block.type === 'text' && typeof block.text === 'string') {
        texts.push(block.text);
      }
    }
  }
  const text = texts.filter((t) => t !== '').join('\n');
  if (text.trim() === '') return undefined;
  return {
    role: 'user',
    content: [{ type: 'text', text: SYSTEM_REMINDER_OPEN + text + SYSTEM_REMINDER_CLOSE }],
  };
}

function readMessages(messages: unknown, reader: BlockReader): IRMessage[] {
  if (!Array.isArray(messages)) throw new TranslationError('messages must be an array', 'messages');
  const out: IRMessage[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isRecord(m)) throw new TranslationError('message must be an object', `messages[${i}]`);
    const content = m.content;
    if (content !== undefined && typeof content !== 'string' && !Array.isArray(content)) {
      throw new TranslationError(
        'content must be a string or an array of blocks',
        `messages[${i}].content`,
      );
    }
    if (m.role === 'system') {
      const reminder = systemReminderMessage(content);
      if (reminder) out.push(reminder);
      continue;
    }
    if (m.role !== 'user' && m.role !== 'assistant') {
      // The Messages API's own wording: clients with a fallback for unsupported roles match it.
      const role = typeof m.role === 'string' ? m.role : JSON.stringify(m.role ?? null);
      throw new TranslationError(
        `Unexpected role "${role}". The Messages API accepts "user" and "assistant" as input message roles`,
        `messages[${i}].role`,
      );
    }
    out.push({ role: m.role, content: readContent(reader, content) });
  }
  return out;
}

interface ToolsRead {
  tools?: IRTool[];
  serverTools?: unknown[];
}

function readTools(tools: unknown, reader: BlockReader): ToolsRead {
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

function readToolChoice(choice: unknown): ToolChoiceRead {
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

/**
 * thinking / output_config.effort → IR reasoning. Enabled keeps its budget, adaptive is budget -1
 * ("the model decides"), disabled is budget 0; an effort level rides along as `level`, so adaptive
 * + effort high reads as {budget: -1, level: 'high'} (OpenAI targets see "high").
 */
function readReasoning(
  thinking: unknown,
  outputConfig: unknown,
  reader: BlockReader,
): IRReasoning | undefined {
  const effort = isRecord(outputConfig) ? outputConfig.effort : undefined;
  const hasThinking = isRecord(thinking);
  if (!hasThinking && effort === undefined) return undefined;
  const r: IRReasoning = {};
  if (hasThinking) {
    switch (thinking.type) {
      case 'enabled':
        r.budget = finite(thinking.budget_tokens) ?? CLAUDE_MIN_THINKING_BUDGET;
        r.includeThoughts = thinking.display !== 'omitted';
        break;
      case 'adaptive':
        r.budget = -1;
        r.includeThoughts = thinking.display !== 'omitted';
        break;
      case 'disabled':
        r.budget = 0;
        r.includeThoughts = false;
        break;
      default:
        break;
    }
  }
  if (isReasoningLevel(effort)) r.level = effort;
  reader.origins.set(r, { thinking: hasThinking ? thinking : undefined, effort });
  return r;
}

function readResponseFormat(outputConfig: unknown): IRResponseFormat | undefined {
  if (!isRecord(outputConfig)) return undefined;
  const format = outputConfig.format;
  if (!isRecord(format) || format.type !== 'json_schema' || !isRecord(format.schema)) {
    return undefined;
  }
  return { type: 'json_schema', schema: format.schema };
}

function readSampling(body: Record<string, unknown>): IRSampling {
  const s: IRSampling = {};
  const maxTokens = finite(body.max_tokens);
  if (maxTokens !== undefined) s.maxTokens = maxTokens;
  const temperature = finite(body.temperature);
  if (temperature !== undefined) s.temperature = temperature;
  const topP = finite(body.top_p);
  if (topP !== undefined) s.topP = topP;
  const topK = finite(body.top_k);
  if (topK !== undefined) s.topK = topK;
  if (Array.isArray(body.stop_sequences)) {
    const stop = body.stop_sequences.filter((x): x is string => typeof x === 'string');
    if (stop.length > 0) s.stop = stop;
  }
  return s;
}

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

// ---------------------------------------------------------------------------------------------
// Building

interface ClaudeMessage {
  role: 'user' | 'assistant';
  content: ClaudeBlock[];
}

/** Claude wants every tool_result of a user turn before anything else in it. */
function toolResultsFirst(blocks: ClaudeBlock[]): ClaudeBlock[] {
  let seenOther = false;
  let needed = false;
  for (const b of blocks) {
    if (b.type === 'tool_result') {
      if (seenOther) {
        needed = true;
        break;
      }
    } else seenOther = true;
  }
  if (!needed) return blocks;
  const results = blocks.filter((b) => b.type === 'tool_result');
  const rest = blocks.filter((b) => b.type !== 'tool_result');
  return results.concat(rest);
}

/**
 * IR messages → Claude messages: blocks Claude cannot take are dropped, messages left empty are
 * dropped, consecutive same-role messages are merged (Claude wants strict alternation), and a
 * conversation that does not start with the user gets a minimal "." user turn in front.
 */
function writeMessages(ir: IRRequest, w: BlockWriter): ClaudeMessage[] {
  const out: ClaudeMessage[] = [];
  for (const m of ir.messages) {
    const blocks: ClaudeBlock[] = [];
    for (const part of m.content) {
      const b = writeBlock(w, part, m.role);
      if (b) blocks.push(b);
    }
    if (blocks.length === 0) continue;
    const last = out.length > 0 ? out[out.length - 1] : undefined;
    if (last && last.role === m.role) {
      for (const b of blocks) last.content.push(b);
    } else {
      out.push({ role: m.role, content: blocks });
    }
  }
  for (const m of out) if (m.role === 'user') m.content = toolResultsFirst(m.content);
  if (out.length === 0 || out[0].role !== 'user') {
    out.unshift({ role: 'user', content: [{ type: 'text', text: '.' }] });
  }
  return out;
}

function writeSystem(ir: IRRequest, sameFormat: boolean): ClaudeBlock[] {
  const out: ClaudeBlock[] = [];
  for (const part of ir.system) {
    if (!part.text) continue;
    const block: ClaudeBlock = { type: 'text', text: part.text };
    if (part.extra) {
      if (sameFormat) Object.assign(block, part.extra);
      else if (part.extra.cache_control !== undefined)
        block.cache_control = part.extra.cache_control;
    }
    out.push(block);
  }
  // Claude has no JSON mode; ask for it in words so json_object clients still get JSON.
  if (ir.responseFormat?.type === 'json_object') {
    out.push({ type: 'text', text: 'Respond with a single valid JSON object and nothing else.' });
  }
  return out;
}

function writeTools(ir: IRRequest, w: BlockWriter): unknown[] | undefined {
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

function writeToolChoice(ir: IRRequest): Record<string, unknown> | undefined {
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

/** Thinking for a Claude upstream, derived from the IR (not restored from a Claude body). */
interface DerivedThinking {
  thinking: Record<string, unknown>;
  /** Enabled budget; 0 for adaptive. */
  budget: number;
}

/**
 * IR reasoning → Claude thinking. A positive budget (or a level's budget) is `enabled` with at
 * least Claude's minimum of 1024; budget -1 / level auto is `adaptive` (the model sizes its own
 * reasoning, the closest match for "dynamic"); budget 0 / level none omits thinking, which every
 * model treats as off.
 */
function deriveThinking(r: IRReasoning): DerivedThinking | undefined {
  const budget = r.budget ?? (r.level !== undefined ? levelToBudget(r.level) : undefined);
  if (budget === undefined || budget === 0) return undefined;
  if (budget < 0) return { thinking: { type: 'adaptive' }, budget: 0 };
  const clamped = Math.max(CLAUDE_MIN_THINKING_BUDGET, Math.floor(budget));
  return { thinking: { type: 'enabled', budget_tokens: clamped }, budget: clamped };
}

/**
 * When thinking is on, Claude insists that the assistant turn which made the pending tool calls
 * starts with its (signed) thinking block. Histories from other formats never have one, so
 * thinking is turned off for such a request rather than failing it.
 */
function toolTurnLacksThinking(messages: ClaudeMessage[]): boolean {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'assistant') continue;
    if (!m.content.some((b) => b.type === 'tool_use')) return false;
    const first = m.content[0]?.type;
    return first !== 'thinking' && first !== 'redacted_thinking';
  }
  return false;
}

/**
 * A thinking suffix on the model name (`claude-x(high)`, `claude-x(8192)`) applied to a Claude
 * body forwarded as the client sent it: `thinking` replaced as buildClaudeRequest derives it,
 * max_tokens raised to leave room for the answer, and the sampling fields Claude refuses with
 * thinking removed. A forced tool choice keeps thinking off (Claude rejects the pair). Mutates
 * `body`, which must be the caller's own copy (nested objects are replaced, never edited).
 */
export function applyClaudeThinkingSuffix(
  body: Record<string, unknown>,
  reasoning: IRReasoning,
): void {
  const choice = isRecord(body.tool_choice) ? body.tool_choice.type : undefined;
  const derived = choice === 'any' || choice === 'tool' ? undefined : deriveThinking(reasoning);
  if (!derived) {
    delete body.thinking;
    return;
  }
  body.thinking = derived.thinking;
  const maxTokens = finite(body.max_tokens) ?? CLAUDE_DEFAULT_MAX_TOKENS;
  if (derived.budget > 0 && maxTokens <= derived.budget)
    body.max_tokens = derived.budget + maxTokens;
  if (typeof body.temperature === 'number' && body.temperature !== 1) delete body.temperature;
  if (typeof body.top_p === 'number' && body.top_p < 0.95) delete body.top_p;
  delete body.top_k;
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
