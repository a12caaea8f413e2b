// Claude request messages and system prompt: reading them into the IR and writing them back.
import type { IRMessage, IRRequest, IRTextPart } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import {
  type BlockReader,
  type BlockWriter,
  type ClaudeBlock,
  readContent,
  writeBlock,
} from '@app/llm/formats/claude/content';

/**
 * Claude Code's attribution block (`x-anthropic-billing-header: cc_version=…`) is billing metadata
 * for Anthropic, not an instruction; other upstreams would read it as the start of the system
 * prompt, and its per-release value would break their prompt caching. CLIProxyAPI drops it too.
 */
const ATTRIBUTION = /^\s*x-anthropic-billing-header:/;

export function readSystem(system: unknown): IRTextPart[] {
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

export function readMessages(messages: unknown, reader: BlockReader): IRMessage[] {
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

export interface ClaudeMessage {
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
export function writeMessages(ir: IRRequest, w: BlockWriter): ClaudeMessage[] {
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

export function writeSystem(ir: IRRequest, sameFormat: boolean): ClaudeBlock[] {
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
