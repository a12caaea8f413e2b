import type { IRPart, IRToolCallPart, WireFormat } from '@app/llm/ir/types';
import { newId } from '@app/llm/util/ids';

/**
 * ctx.state key: the client used the legacy `functions` / `function_call` API, so responses
 * answer with `message.function_call` and `finish_reason: "function_call"`.
 */
export const STATE_LEGACY_FUNCTIONS = 'openai.legacyFunctions';

/**
 * ctx.state key: the client sent `max_completion_tokens` rather than `max_tokens`; an OpenAI
 * upstream gets the same field back (reasoning models reject `max_tokens`).
 */
export const STATE_MAX_TOKENS_FIELD = 'openai.maxTokensField';

/** Formats whose `metadata` has OpenAI semantics (a flat map of strings). */
export const OPENAI_FAMILY: ReadonlySet<WireFormat> = new Set<WireFormat>([
  'openai',
  'openai-completions',
  'openai-responses',
  'codex',
]);

/** The value when it is a string, else undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value when it is a finite number, else undefined. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Reuse an id that already carries the prefix, else mint one (`chatcmpl-…`, `cmpl-…`). */
export function idWithPrefix(id: string | undefined, prefix: string): string {
  return id !== undefined && id.startsWith(prefix) ? id : newId(prefix);
}

const BASE64_MARKER = ';base64';

/**
 * Split a `data:<media type>[;params];base64,<data>` URI. Returns undefined for anything else
 * (plain URLs, non-base64 data URIs). Uses indexOf, not a regex, because the payload can be
 * megabytes long.
 */
export function parseDataUri(uri: string): { mediaType: string; data: string } | undefined {
  if (!uri.startsWith('data:')) return undefined;
  const comma = uri.indexOf(',');
  if (comma < 0) return undefined;
  const meta = uri.slice(5, comma);
  if (!meta.endsWith(BASE64_MARKER)) return undefined;
  const semi = meta.indexOf(';');
  const mediaType = meta.slice(0, semi) || 'application/octet-stream';
  return { mediaType, data: uri.slice(comma + 1) };
}

/** Render a base64 source as a data URI. */
export function toDataUri(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

/** What a Chat Completions assistant message carries of an IR turn. */
export interface AssistantParts {
  text?: string;
  reasoning?: string;
  calls: IRToolCallPart[];
}

/**
 * The text, reasoning and tool calls of an assistant turn (request history or response choice),
 * in order; images, files and tool results have no slot there. Text parts are joined with
 * `textSeparator`, reasoning parts run on.
 */
export function assistantParts(parts: IRPart[], textSeparator: string): AssistantParts {
  const out: AssistantParts = { calls: [] };
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        out.text = out.text === undefined ? part.text : out.text + textSeparator + part.text;
        break;
      case 'reasoning':
        if (part.text !== '')
          out.reasoning = out.reasoning === undefined ? part.text : out.reasoning + part.text;
        break;
      case 'tool_call':
        out.calls.push(part);
        break;
      case 'image':
      case 'file':
      case 'tool_result':
        break;
    }
  }
  return out;
}
