import type { IRReasoning, WireFormat } from '@app/llm/ir/types';
import { applyClaudeThinkingSuffix } from '@app/llm/formats/claude/sampling';
import { applyCodexRules } from '@app/llm/formats/codex/request';
import { buildThinkingConfig } from '@app/llm/formats/gemini/config';
import { isRecord } from '@app/llm/util/json';
import { reasoningLevel } from '@app/llm/util/thinking';

type Json = Record<string, unknown>;

/**
 * Client and upstream formats that speak the same wire: the client's body is forwarded instead
 * of being translated through the IR. Responses clients reach the Codex backend (a Responses
 * variant), Gemini clients reach Gemini, Vertex and the Code Assist envelope alike.
 */
const SAME_WIRE: Readonly<Partial<Record<WireFormat, readonly WireFormat[]>>> = {
  claude: ['claude'],
  openai: ['openai'],
  'openai-responses': ['openai-responses', 'codex'],
  gemini: ['gemini', 'gemini-cli'],
  'gemini-cli': ['gemini-cli', 'gemini'],
};

/** True when a call from `client` to an upstream speaking `upstream` is forwarded as it came. */
export function isSameWire(client: WireFormat, upstream: WireFormat): boolean {
  return SAME_WIRE[client]?.includes(upstream) ?? false;
}

/** Formats whose request and response sit inside the Code Assist envelope. */
function enveloped(format: WireFormat): boolean {
  return format === 'gemini-cli' || format === 'antigravity';
}

/** What a forwarded body needs to know about the attempt. */
export interface PassthroughRequestOptions {
  client: WireFormat;
  upstream: WireFormat;
  /** The model sent upstream (alias resolved, prefix and thinking suffix removed). */
  model: string;
  /** Reasoning asked for by a thinking suffix on the client's model name (`model(high)`). */
  reasoning?: IRReasoning;
  /** The upstream call streams (the client asked, or the upstream only streams). */
  stream: boolean;
  /** Code Assist project of the credential (Code Assist upstreams). */
  project?: string;
}

/** The body to send, and what the gateway added that the client must not see. */
export interface PassthroughRequest {
  body: Json;
  /**
   * The gateway asked an OpenAI chat stream for a usage chunk (`stream_options.include_usage`)
   * the client did not ask for: the relay leaves that chunk out.
   */
  usageInjected: boolean;
}

/**
 * The upstream body for a same-wire call: the client's own JSON with only what the gateway must
 * change — the model name, a thinking suffix's reasoning, the stream flag, and what an upstream
 * variant requires (Codex `instructions`/`store`/`stream`, the Code Assist envelope). Unknown
 * fields, roles and block types go through untouched. The client's body is never mutated: the
 * top level is copied and nested objects that change are replaced (payload rules copy the rest).
 */
export function buildPassthroughRequest(
  client: Json,
  o: PassthroughRequestOptions,
): PassthroughRequest {
  const inner: Json = {
    ...(enveloped(o.client) && isRecord(client.request) ? client.request : client),
  };
  let usageInjected = false;

  switch (o.upstream) {
    case 'claude':
      inner.model = o.model;
      setStream(inner, o.stream);
      if (o.reasoning) applyClaudeThinkingSuffix(inner, o.reasoning);
      break;
    case 'openai':
      inner.model = o.model;
      setStream(inner, o.stream);
      if (o.stream) usageInjected = askForUsage(inner);
      if (o.reasoning) setReasoningEffort(inner, o.reasoning);
      break;
    case 'openai-responses':
    case 'codex':
      inner.model = o.model;
      setStream(inner, o.stream);
      if (o.reasoning) setResponsesReasoning(inner, o.reasoning);
      if (o.upstream === 'codex') applyCodexRules(inner);
      break;
    case 'gemini':
    case 'gemini-cli':
    case 'antigravity':
      // Gemini names the model and the stream in the URL (or the envelope).
      if (o.reasoning) setGeminiThinking(inner, o.reasoning, o.model);
      break;
    case 'openai-completions':
      break;
  }

  if (!enveloped(o.upstream)) return { body: inner, usageInjected };
  // Code Assist: the credential's project and the upstream model go on the envelope; a Code
  // Assist client's other envelope fields (user_prompt_id, session ids…) are kept.
  const envelope: Json = enveloped(o.client) ? { ...client } : {};
  envelope.model = o.model;
  if (o.project) envelope.project = o.project;
  envelope.request = inner;
  return { body: envelope, usageInjected };
}

/** The body's stream flag as the upstream call needs it (absent stays absent when false). */
function setStream(body: Json, stream: boolean): void {
  if (stream) body.stream = true;
  else if (body.stream !== undefined) body.stream = false;
}

/**
 * An OpenAI stream reports usage only when asked; the gateway always asks (usage is accounted
 * for every request). True when the client had not asked itself.
 */
function askForUsage(body: Json): boolean {
  const passed = body.stream_options;
  if (isRecord(passed) && passed.include_usage === true) return false;
  body.stream_options = isRecord(passed)
    ? { ...passed, include_usage: true }
    : { include_usage: true };
  return true;
}

/** reasoning_effort for a suffix level ('auto' has no OpenAI spelling: the model decides). */
function setReasoningEffort(body: Json, r: IRReasoning): void {
  const level = reasoningLevel(r);
  if (level === undefined || level === 'auto') delete body.reasoning_effort;
  else body.reasoning_effort = level;
}

/** Responses `reasoning.effort` for a suffix level; the client's other reasoning fields stay. */
function setResponsesReasoning(body: Json, r: IRReasoning): void {
  const level = reasoningLevel(r);
  const reasoning: Json = isRecord(body.reasoning) ? { ...body.reasoning } : {};
  if (level === undefined || level === 'auto') delete reasoning.effort;
  else reasoning.effort = level;
  if (level === 'none') delete reasoning.summary;
  if (Object.keys(reasoning).length > 0) body.reasoning = reasoning;
  else delete body.reasoning;
}

/**
 * Gemini `generationConfig.thinkingConfig` for a suffix, as the Gemini codec builds it. The
 * client's spelling (camelCase or snake_case, both valid protobuf JSON) is kept.
 */
function setGeminiThinking(body: Json, r: IRReasoning, model: string): void {
  const snake = body.generationConfig === undefined && body.generation_config !== undefined;
  const key = snake ? 'generation_config' : 'generationConfig';
  const config: Json = isRecord(body[key]) ? { ...(body[key] as Json) } : {};
  delete config.thinkingConfig;
  delete config.thinking_config;
  const thinking = buildThinkingConfig(r, model);
  if (thinking) config[snake ? 'thinking_config' : 'thinkingConfig'] = thinking;
  body[key] = config;
}
