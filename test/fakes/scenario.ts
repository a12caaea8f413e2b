import { createHash } from 'node:crypto';

// The fake "model": every wire format reduces its request to a Prompt, the Prompt decides one
// FakeAnswer, and each format renders that answer in its own shape. Because the decision is
// format-free, a gateway that translates correctly gets the same answer whatever pair of
// formats it bridges.

/** Reasoning text emitted first when the request asks for reasoning/thinking. */
export const REASONING_TEXT = 'The user wants their words echoed back. I will do that.';

/** Why the fake model stopped. */
export type FinishReason = 'stop' | 'tool_calls' | 'length';

/** One function call decided by the fake model. */
export interface FakeToolCall {
  /** 24 base62 characters, stable for a given conversation; each format adds its own prefix. */
  readonly id: string;
  readonly name: string;
  /** The arguments as JSON text, e.g. `{"query":"call tool please"}`. */
  readonly arguments: string;
}

/** Token usage in one canonical form; each format maps it to its own fields. */
export interface FakeUsage {
  /** All prompt tokens, cached ones included. */
  readonly inputTokens: number;
  /** The part of inputTokens served from cache. */
  readonly cachedTokens: number;
  /** All generated tokens, reasoning included. */
  readonly outputTokens: number;
  /** The part of outputTokens spent on reasoning. */
  readonly reasoningTokens: number;
  readonly totalTokens: number;
}

/** What the fake model answers, before any wire format is applied. */
export interface FakeAnswer {
  readonly model: string;
  readonly text: string;
  readonly reasoning?: string;
  readonly toolCalls: readonly FakeToolCall[];
  readonly finish: FinishReason;
  readonly usage: FakeUsage;
}

/** What a request of any wire format boils down to. */
export interface Prompt {
  readonly model: string;
  /** Text of the last user message that carries text ('' when none). */
  readonly lastUserText: string;
  /** Names of the declared function tools, in declaration order. */
  readonly toolNames: readonly string[];
  /** Texts of the tool results when the conversation ends with tool results. */
  readonly toolResults?: readonly string[];
  /** The request asks for visible reasoning (reasoning_effort, thinking, includeThoughts...). */
  readonly reasoning: boolean;
  /** Characters of text in the whole request (system, messages, tool traffic). */
  readonly promptChars: number;
  /** Number of messages/contents/items, so tool-call ids differ between turns. */
  readonly turns: number;
}

/** A custom answer from an `onRequest` hook; missing fields are filled like the default model. */
export interface AnswerOverride {
  readonly text?: string;
  readonly reasoning?: string;
  readonly toolCalls?: readonly { name: string; arguments: unknown; id?: string }[];
  readonly finish?: FinishReason;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Deterministic base62 string of `len` characters derived from `seed`. */
export function base62Id(seed: string, len = 24): string {
  const digest = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < len; i++) out += BASE62[digest[i % digest.length] % 62];
  return out;
}

/** Token estimate used by every fake endpoint: a quarter of the characters, at least 1. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

const SURROGATE = /[\ud800-\udfff]/;

/** Split text into `n` non-empty pieces of near-equal length (fewer if it is shorter), never inside a code point. */
export function splitText(text: string, n: number): string[] {
  if (text.length === 0) return [];
  const units: readonly string[] | string = SURROGATE.test(text) ? Array.from(text) : text;
  const parts = Math.max(1, Math.min(n, units.length));
  const base = Math.floor(units.length / parts);
  const longer = units.length % parts;
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < parts; i++) {
    const end = at + base + (i < longer ? 1 : 0);
    out.push(typeof units === 'string' ? units.slice(at, end) : units.slice(at, end).join(''));
    at = end;
  }
  return out;
}

function usageFor(
  prompt: Prompt,
  text: string,
  reasoning: string | undefined,
  calls: readonly FakeToolCall[],
  cachedTokens: number,
): FakeUsage {
  const inputTokens = estimateTokens(prompt.promptChars);
  const cached = Math.min(cachedTokens, inputTokens);
  const reasoningTokens = reasoning ? estimateTokens(reasoning.length) : 0;
  let answerChars = text.length;
  for (const c of calls) answerChars += c.name.length + c.arguments.length;
  const outputTokens = estimateTokens(answerChars) + reasoningTokens;
  return {
    inputTokens,
    cachedTokens: cached,
    outputTokens,
    reasoningTokens,
    totalTokens: inputTokens + outputTokens,
  };
}

function toolCallId(prompt: Prompt, index: number): string {
  return base62Id(`${prompt.turns}\u0000${prompt.lastUserText}\u0000${index}`);
}

/** The default behaviour: echo, call tools on request, report tool results. */
export function planAnswer(prompt: Prompt, cachedTokens = 0): FakeAnswer {
  const reasoning = prompt.reasoning ? REASONING_TEXT : undefined;
  if (prompt.toolResults) {
    const text = `tool said: ${prompt.toolResults.join(' | ')}`;
    return finishPlan(prompt, text, reasoning, [], 'stop', cachedTokens);
  }
  const lower = prompt.lastUserText.toLowerCase();
  if (prompt.toolNames.length > 0 && lower.includes('call tool')) {
    const args = JSON.stringify({ query: prompt.lastUserText });
    const names = lower.includes('call tools')
      ? [prompt.toolNames[0], prompt.toolNames[1] ?? prompt.toolNames[0]]
      : [prompt.toolNames[0]];
    const calls = names.map((name, i) => ({ id: toolCallId(prompt, i), name, arguments: args }));
    return finishPlan(prompt, '', reasoning, calls, 'tool_calls', cachedTokens);
  }
  return finishPlan(prompt, `echo: ${prompt.lastUserText}`, reasoning, [], 'stop', cachedTokens);
}

/**
 * Apply an `onRequest` override. When it names text or tool calls the answer is exactly those;
 * otherwise the default answer is kept (with the override's reasoning/finish, if any).
 */
export function overrideAnswer(prompt: Prompt, o: AnswerOverride, cachedTokens = 0): FakeAnswer {
  const base = planAnswer(prompt, cachedTokens);
  const custom = o.text !== undefined || o.toolCalls !== undefined;
  const calls: FakeToolCall[] = (custom ? (o.toolCalls ?? []) : base.toolCalls).map((c, i) => ({
    id: c.id ?? toolCallId(prompt, i),
    name: c.name,
    arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
  }));
  const text = custom ? (o.text ?? '') : base.text;
  const reasoning = o.reasoning ?? base.reasoning;
  const finish = o.finish ?? (calls.length > 0 ? 'tool_calls' : 'stop');
  return finishPlan(prompt, text, reasoning, calls, finish, cachedTokens);
}

function finishPlan(
  prompt: Prompt,
  text: string,
  reasoning: string | undefined,
  toolCalls: readonly FakeToolCall[],
  finish: FinishReason,
  cachedTokens: number,
): FakeAnswer {
  return {
    model: prompt.model,
    text,
    reasoning,
    toolCalls,
    finish,
    usage: usageFor(prompt, text, reasoning, toolCalls, cachedTokens),
  };
}

/** Counts characters of request text while a parser walks the request. */
export class CharTally {
  /** Characters seen so far. */
  chars = 0;

  /** Add a string (non-strings are ignored) and return it. */
  add(v: unknown): string {
    if (typeof v !== 'string') return '';
    this.chars += v.length;
    return v;
  }
}
