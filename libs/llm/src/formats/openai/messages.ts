import type { TranslationContext } from '@app/llm/codec';
import type {
  IRMessage,
  IRRequest,
  IRTextPart,
  IRToolCallPart,
  IRToolResultPart,
  IRPart,
} from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { newId } from '@app/llm/util/ids';
import { isRecord, stringifyArguments } from '@app/llm/util/json';
import { shortenToolName } from '@app/llm/util/tool-names';
import { buildUserPart, readTextContent, readUserContent } from '@app/llm/formats/openai/content';
import { assistantParts, str } from '@app/llm/formats/openai/wire';

// ---------------------------------------------------------------------------------------------
// Reading: `messages` → IR system and messages
// ---------------------------------------------------------------------------------------------

/** Mutable state while walking `messages`. */
interface MessageReader {
  ctx: TranslationContext;
  system: IRTextPart[];
  messages: IRMessage[];
  /** Tool call id → tool name, to name tool results (Gemini needs names). */
  callNames: Map<string, string>;
  /** Legacy function calls still waiting for their `role: "function"` answer. */
  openLegacyCalls: { id: string; name: string }[];
  /** The previous wire message was a tool / function result (merge target for the next ones). */
  afterToolResult: boolean;
}

/**
 * Walk a Chat Completions `messages` array: system and developer turns become the IR system,
 * tool and function results join the user turn around them, legacy function calls pair up with
 * their answers.
 */
export function readMessages(
  rawMessages: unknown[],
  ctx: TranslationContext,
): { system: IRTextPart[]; messages: IRMessage[] } {
  const reader: MessageReader = {
    ctx,
    system: [],
    messages: [],
    callNames: new Map(),
    openLegacyCalls: [],
    afterToolResult: false,
  };
  for (let i = 0; i < rawMessages.length; i++) readMessage(reader, rawMessages[i], i);
  return { system: reader.system, messages: reader.messages };
}

function readMessage(r: MessageReader, raw: unknown, i: number): void {
  if (!isRecord(raw))
    throw new TranslationError('each message must be an object', `messages[${i}]`);
  const role = raw.role;
  switch (role) {
    case 'system':
    case 'developer':
      for (const part of readTextContent(raw.content, `messages[${i}].content`)) {
        if (part.text !== '') r.system.push(part);
      }
      r.afterToolResult = false;
      return;
    case 'user':
      readUserMessage(r, raw, i);
      return;
    case 'assistant':
      readAssistantMessage(r, raw, i);
      return;
    case 'tool':
      readToolMessage(r, raw, i);
      return;
    case 'function':
      readFunctionMessage(r, raw, i);
      return;
    default:
      // OpenAI's own wording for an unknown role.
      throw new TranslationError(
        `Invalid value: '${typeof role === 'string' ? role : JSON.stringify(role ?? null)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `messages[${i}].role`,
      );
  }
}

function readUserMessage(r: MessageReader, raw: Record<string, unknown>, i: number): void {
  const content = readUserContent(raw.content, `messages[${i}].content`);
  const name = str(raw.name);
  // A user turn right after tool results joins them (Claude's shape: results first, then text).
  const last = r.messages[r.messages.length - 1];
  if (r.afterToolResult && name === undefined && last?.role === 'user') {
    for (const part of content) last.content.push(part);
  } else {
    const msg: IRMessage = { role: 'user', content };
    if (name !== undefined) msg.name = name;
    r.messages.push(msg);
  }
  r.afterToolResult = false;
}

function readAssistantMessage(r: MessageReader, raw: Record<string, unknown>, i: number): void {
  const content: IRPart[] = [];
  // Non-standard, sent back by clients of reasoning hosts (DeepSeek, Qwen, Kimi; `reasoning` on
  // OpenRouter-style hosts).
  const reasoning = str(raw.reasoning_content) ?? str(raw.reasoning);
  if (reasoning) content.push({ type: 'reasoning', text: reasoning });

  for (const part of readTextContent(raw.content, `messages[${i}].content`, true)) {
    if (part.text !== '') content.push(part);
  }
  const refusal = str(raw.refusal);
  if (refusal) content.push({ type: 'text', text: refusal });

  const toolCalls = raw.tool_calls;
  if (toolCalls !== undefined && toolCalls !== null) {
    if (!Array.isArray(toolCalls)) {
      throw new TranslationError('tool_calls must be an array', `messages[${i}].tool_calls`);
    }
    for (let j = 0; j < toolCalls.length; j++) {
      const call = readToolCall(toolCalls[j], `messages[${i}].tool_calls[${j}]`);
      if (!call) continue;
      r.callNames.set(call.id, call.name);
      content.push(call);
    }
  }

  const legacy = raw.function_call;
  if (isRecord(legacy) && typeof legacy.name === 'string') {
    // Legacy calls carry no id; mint one so the answering `role: "function"` message can pair up.
    const id = newId('call_');
    r.openLegacyCalls.push({ id, name: legacy.name });
    r.callNames.set(id, legacy.name);
    content.push({
      type: 'tool_call',
      id,
      name: legacy.name,
      arguments: stringifyArguments(legacy.arguments),
    });
  }

  r.afterToolResult = false;
  if (content.length === 0) return; // an empty assistant turn carries nothing upstream can use
  const msg: IRMessage = { role: 'assistant', content };
  const name = str(raw.name);
  if (name !== undefined) msg.name = name;
  r.messages.push(msg);
}

function readToolCall(raw: unknown, path: string): IRToolCallPart | undefined {
  if (!isRecord(raw)) throw new TranslationError('each tool call must be an object', path);
  // Custom (free-form grammar) tools have no IR equivalent.
  if (raw.type !== undefined && raw.type !== 'function') return undefined;
  const fn = raw.function;
  if (!isRecord(fn) || typeof fn.name !== 'string') {
    throw new TranslationError('tool call function.name must be a string', `${path}.function.name`);
  }
  return {
    type: 'tool_call',
    id: str(raw.id) || newId('call_'),
    name: fn.name,
    arguments: stringifyArguments(fn.arguments),
  };
}

function readToolMessage(r: MessageReader, raw: Record<string, unknown>, i: number): void {
  const callId = raw.tool_call_id;
  if (typeof callId !== 'string' || callId === '') {
    throw new TranslationError(
      'tool messages need the tool_call_id of the call they answer',
      `messages[${i}].tool_call_id`,
    );
  }
  const result: IRToolResultPart = {
    type: 'tool_result',
    callId,
    content: readTextContent(raw.content, `messages[${i}].content`),
  };
  const name = r.callNames.get(callId);
  if (name !== undefined) result.name = name;
  pushToolResult(r, result);
}

function readFunctionMessage(r: MessageReader, raw: Record<string, unknown>, i: number): void {
  const name = raw.name;
  if (typeof name !== 'string') {
    throw new TranslationError('function messages need a name', `messages[${i}].name`);
  }
  const open = r.openLegacyCalls.findIndex((c) => c.name === name);
  const callId = open >= 0 ? r.openLegacyCalls.splice(open, 1)[0].id : newId('call_');
  pushToolResult(r, {
    type: 'tool_result',
    callId,
    name,
    content: readTextContent(raw.content, `messages[${i}].content`),
  });
}

function pushToolResult(r: MessageReader, result: IRToolResultPart): void {
  const last = r.messages[r.messages.length - 1];
  if (r.afterToolResult && last?.role === 'user') last.content.push(result);
  else r.messages.push({ role: 'user', content: [result] });
  r.afterToolResult = true;
}

// ---------------------------------------------------------------------------------------------
// Writing: IR system and messages → `messages`
// ---------------------------------------------------------------------------------------------

/** A Chat Completions message as we emit it. */
type WireMessage = Record<string, unknown> & { role: string };

/** The IR system and messages → `messages` (tool results become `role: "tool"` messages). */
export function buildMessages(
  ir: IRRequest,
  ctx: TranslationContext,
  sameFormat: boolean,
): WireMessage[] {
  const out: WireMessage[] = [];
  for (const part of ir.system) {
    out.push({ role: 'system', content: part.text });
  }
  for (const msg of ir.messages) {
    if (msg.role === 'assistant') buildAssistantMessage(msg, ctx, out);
    else buildUserMessages(msg, sameFormat, out);
  }
  return out;
}

function buildAssistantMessage(msg: IRMessage, ctx: TranslationContext, out: WireMessage[]): void {
  // Some OpenAI-compatible hosts only take string content for assistant turns.
  const { text, reasoning, calls } = assistantParts(msg.content, '\n\n');
  const toolCalls =
    calls.length > 0
      ? calls.map((part) => ({
          id: part.id,
          type: 'function',
          function: { name: shortenToolName(part.name, ctx), arguments: part.arguments || '{}' },
        }))
      : undefined;
  if (text === undefined && toolCalls === undefined && reasoning === undefined) return;
  const wire: WireMessage = { role: 'assistant', content: text ?? null };
  // Reasoning hosts (DeepSeek, Kimi, Qwen) want their reasoning back with tool-call turns.
  if (reasoning !== undefined) wire.reasoning_content = reasoning;
  if (toolCalls) wire.tool_calls = toolCalls;
  if (msg.name !== undefined) wire.name = msg.name;
  out.push(wire);
}

function buildUserMessages(msg: IRMessage, sameFormat: boolean, out: WireMessage[]): void {
  const content: Record<string, unknown>[] = [];
  let plainText = true;
  for (const part of msg.content) {
    if (part.type === 'tool_result') {
      // Tool messages carry text only; images and files travel in the following user message.
      const texts: IRTextPart[] = [];
      for (const item of part.content) {
        if (item.type === 'text') texts.push(item);
        else {
          content.push(buildUserPart(item, sameFormat));
          plainText = false;
        }
      }
      out.push({ role: 'tool', tool_call_id: part.callId, content: toolResultContent(texts) });
      continue;
    }
    if (part.type === 'tool_call' || part.type === 'reasoning') continue; // not valid in a user turn
    content.push(buildUserPart(part, sameFormat));
    if (part.type !== 'text' || (sameFormat && part.extra)) plainText = false;
  }
  if (content.length === 0) return;
  const wire: WireMessage = {
    role: 'user',
    content: plainText && content.length === 1 ? content[0].text : content,
  };
  if (msg.name !== undefined) wire.name = msg.name;
  out.push(wire);
}

function toolResultContent(texts: IRTextPart[]): string | Record<string, unknown>[] {
  if (texts.length === 0) return '';
  if (texts.length === 1) return texts[0].text;
  return texts.map((t) => ({ type: 'text', text: t.text }));
}
