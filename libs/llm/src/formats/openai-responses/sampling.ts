// Responses reasoning and text format (structured output), both directions.
import type { IRReasoning, IRResponseFormat } from '@app/llm/ir/types';
import { isRecord } from '@app/llm/util/json';
import { isReasoningLevel } from '@app/llm/util/thinking';
import { readFormat, writeJsonSchemaSpec } from '@app/llm/formats/openai/sampling';

type Json = Record<string, unknown>;

export function parseReasoning(value: unknown): IRReasoning | undefined {
  if (!isRecord(value)) return undefined;
  const out: IRReasoning = {};
  if (isReasoningLevel(value.effort)) out.level = value.effort;
  const summary = typeof value.summary === 'string' ? value.summary : value.generate_summary;
  if (typeof summary === 'string') {
    out.summary = summary;
    out.includeThoughts = summary !== 'none';
  }
  return out.level !== undefined || out.summary !== undefined ? out : undefined;
}

export function parseTextFormat(value: unknown, extra: Json): IRResponseFormat | undefined {
  if (!isRecord(value)) return undefined;
  const { format, ...rest } = value;
  if (Object.keys(rest).length > 0) extra.text = rest; // verbosity …
  if (!isRecord(format)) return undefined;
  return readFormat(format, () => format);
}

export function buildTextFormat(rf: IRResponseFormat): Json {
  if (rf.type !== 'json_schema') return { type: rf.type };
  return { type: 'json_schema', ...writeJsonSchemaSpec(rf) };
}
