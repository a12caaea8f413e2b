import { createHash } from 'node:crypto';
import type { TranslationContext } from '@app/llm/codec';

/** OpenAI caps function names at 64 characters (and to [a-zA-Z0-9_-]). */
export const OPENAI_TOOL_NAME_MAX = 64;

/**
 * Shorten a tool name for an OpenAI-family upstream and remember the original in the context so
 * responses can restore it. Deterministic: the same long name always maps to the same short one,
 * so multi-turn histories stay consistent.
 */
export function shortenToolName(name: string, ctx: TranslationContext): string {
  if (name.length <= OPENAI_TOOL_NAME_MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const short = `${name.slice(0, OPENAI_TOOL_NAME_MAX - 9)}_${hash}`;
  ctx.toolNameMap.set(short, name);
  return short;
}

/** Restore a tool name shortened by shortenToolName (other names are returned unchanged). */
export function restoreToolName(name: string, ctx: TranslationContext): string {
  return ctx.toolNameMap.get(name) ?? name;
}
