// Responses input items ↔ IR messages: content parts, function calls and outputs, reasoning.
import type { TranslationContext } from '@app/llm/codec';
import type {
  IRFilePart,
  IRImagePart,
  IRMessage,
  IRReasoningPart,
  IRTextPart,
  IRToolResultPart,
} from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord, stringifyArguments } from '@app/llm/util/json';
import { shortenToolName } from '@app/llm/util/tool-names';
import { mediaFromUrl, toDataUri } from '@app/llm/formats/openai-responses/shared';

type Json = Record<string, unknown>;

/** Options that differ between the public Responses API and the Codex backend. */
export interface ResponsesBuildOptions {
  /** Always send `instructions` (empty string when there is no system text). */
  alwaysInstructions?: boolean;
  /** Leave reasoning item ids out (stateless upstreams cannot resolve them). */
  omitReasoningIds?: boolean;
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Parse one content part of an input message (input_text, input_image, input_file, output_text). */
function parseContentPart(
  part: unknown,
  path: string,
): IRTextPart | IRImagePart | IRFilePart | null {
  if (typeof part === 'string') return { type: 'text', text: part };
  if (!isRecord(part)) throw new TranslationError('content parts must be objects', path);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
    case 'text':
      return { type: 'text', text: textOf(part.text) };
    case 'refusal':
      return { type: 'text', text: textOf(part.refusal) };
    case 'input_image': {
      const detail = typeof part.detail === 'string' ? part.detail : undefined;
      let image: IRImagePart;
      if (typeof part.image_url === 'string') {
        image = { type: 'image', source: mediaFromUrl(part.image_url, 'image/png') };
      } else if (typeof part.file_id === 'string') {
        image = { type: 'image', source: { kind: 'file-id', fileId: part.file_id } };
      } else {
        throw new TranslationError('input_image needs image_url or file_id', path);
      }
      if (detail) image.detail = detail;
      return image;
    }
    case 'input_file': {
      const filename = typeof part.filename === 'string' ? part.filename : undefined;
      let file: IRFilePart;
      if (typeof part.file_data === 'string') {
        const source = mediaFromUrl(part.file_data, 'application/pdf');
        // Bare base64 (no data: prefix) is accepted by the API too.
        file = {
          type: 'file',
          source:
            source.kind === 'url'
              ? { kind: 'base64', mediaType: 'application/pdf', data: part.file_data }
              : source,
        };
      } else if (typeof part.file_url === 'string') {
        file = { type: 'file', source: { kind: 'url', url: part.file_url } };
      } else if (typeof part.file_id === 'string') {
        file = { type: 'file', source: { kind: 'file-id', fileId: part.file_id } };
      } else {
        throw new TranslationError('input_file needs file_data, file_url or file_id', path);
      }
      if (filename) file.filename = filename;
      return file;
    }
    default:
      return null; // audio and future part types have no IR slot
  }
}

function parseContent(content: unknown, path: string): (IRTextPart | IRImagePart | IRFilePart)[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) {
    throw new TranslationError('content must be a string or an array of parts', path);
  }
  const out: (IRTextPart | IRImagePart | IRFilePart)[] = [];
  for (let i = 0; i < content.length; i++) {
    const part = parseContentPart(content[i], `${path}[${i}]`);
    if (part) out.push(part);
  }
  return out;
}

/** Last message if it has the given role, else a new one appended to the list. */
function tail(messages: IRMessage[], role: IRMessage['role']): IRMessage {
  const last = messages[messages.length - 1];
  if (last && last.role === role) return last;
  const msg: IRMessage = { role, content: [] };
  messages.push(msg);
  return msg;
}

interface ParsedInput {
  system: IRTextPart[];
  messages: IRMessage[];
  /** An item the IR cannot carry was seen; the raw input travels in `extra.input`. */
  opaque: boolean;
}

export function parseInput(input: unknown): ParsedInput {
  const out: ParsedInput = { system: [], messages: [], opaque: false };
  if (input === undefined || input === null) return out;
  if (typeof input === 'string') {
    out.messages.push({ role: 'user', content: [{ type: 'text', text: input }] });
    return out;
  }
  if (!Array.isArray(input)) {
    throw new TranslationError('input must be a string or an array of items', 'input');
  }
  const { system, messages } = out;
  const callNames = new Map<string, string>();
  for (let i = 0; i < input.length; i++) {
    const item: unknown = input[i];
    const path = `input[${i}]`;
    if (!isRecord(item)) throw new TranslationError('input items must be objects', path);
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = item.role;
        const parts = parseContent(item.content, `${path}.content`);
        if (role === 'system' || role === 'developer') {
          let text = '';
          for (const p of parts) if (p.type === 'text') text += text ? `\n${p.text}` : p.text;
          system.push({ type: 'text', text });
        } else if (role === 'user') {
          // Every user message item starts a new IR message, tool results stay separate.
          messages.push({ role: 'user', content: parts });
        } else if (role === 'assistant') {
          const msg = tail(messages, 'assistant');
          for (const p of parts) msg.content.push(p);
        } else {
          // The Responses API's own wording for an unknown role.
          throw new TranslationError(
            `Invalid value: '${typeof role === 'string' ? role : JSON.stringify(role ?? null)}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`,
            `${path}.role`,
          );
        }
        break;
      }
      case 'function_call': {
        const id = typeof item.call_id === 'string' ? item.call_id : textOf(item.id);
        const name = textOf(item.name);
        if (!name) throw new TranslationError('function_call needs a name', `${path}.name`);
        callNames.set(id, name);
        tail(messages, 'assistant').content.push({
          type: 'tool_call',
          id,
          name,
          arguments: stringifyArguments(item.arguments),
        });
        break;
      }
      case 'function_call_output': {
        if (typeof item.call_id !== 'string') {
          throw new TranslationError('function_call_output needs a call_id', `${path}.call_id`);
        }
        const result: IRToolResultPart = {
          type: 'tool_result',
          callId: item.call_id,
          content: parseContent(item.output ?? '', `${path}.output`),
        };
        const name = callNames.get(item.call_id);
        if (name) result.name = name;
        const last = messages[messages.length - 1];
        const lastPart = last?.content[last.content.length - 1];
        // Parallel results answer one assistant turn: keep them in one user message.
        if (last?.role === 'user' && lastPart?.type === 'tool_result') last.content.push(result);
        else messages.push({ role: 'user', content: [result] });
        break;
      }
      case 'reasoning': {
        let text = '';
        const summary = Array.isArray(item.summary) ? item.summary : [];
        for (const s of summary) {
          if (isRecord(s) && typeof s.text === 'string' && s.text) {
            text += text ? `\n\n${s.text}` : s.text;
          }
        }
        if (!text && Array.isArray(item.content)) {
          for (const c of item.content) if (isRecord(c)) text += textOf(c.text);
        }
        const part: IRReasoningPart = { type: 'reasoning', text };
        if (typeof item.encrypted_content === 'string') part.encrypted = item.encrypted_content;
        if (typeof item.id === 'string') part.id = item.id;
        tail(messages, 'assistant').content.push(part);
        break;
      }
      case undefined:
        throw new TranslationError('input items need a type or a role', path);
      default:
        // Compaction, item references, built-in tool calls: no IR meaning.
        out.opaque = true;
        break;
    }
  }
  return out;
}

function contentPart(part: IRTextPart | IRImagePart | IRFilePart): Json {
  switch (part.type) {
    case 'text':
      return { type: 'input_text', text: part.text };
    case 'image': {
      const src = part.source;
      const out: Json = { type: 'input_image', detail: part.detail ?? 'auto' };
      if (src.kind === 'base64') out.image_url = toDataUri(src.mediaType, src.data);
      else if (src.kind === 'url') out.image_url = src.url;
      else out.file_id = src.fileId;
      return out;
    }
    case 'file': {
      const src = part.source;
      const out: Json = { type: 'input_file' };
      if (src.kind === 'base64') {
        out.filename = part.filename ?? 'file';
        out.file_data = toDataUri(src.mediaType, src.data);
      } else {
        if (part.filename) out.filename = part.filename;
        if (src.kind === 'url') out.file_url = src.url;
        else out.file_id = src.fileId;
      }
      return out;
    }
  }
}

function toolOutput(part: IRToolResultPart): string | Json[] {
  let onlyText = true;
  let text = '';
  for (const c of part.content) {
    if (c.type === 'text') text += c.text;
    else onlyText = false;
  }
  if (onlyText) return text;
  // Images and files in tool output need the content-array form.
  return part.content.map(contentPart);
}

export function pushMessageItems(
  msg: IRMessage,
  input: Json[],
  ctx: TranslationContext,
  opts: ResponsesBuildOptions,
): void {
  let pending: Json[] | null = null;
  const role = msg.role;
  const flush = () => {
    if (pending) input.push({ type: 'message', role, content: pending });
    pending = null;
  };
  for (const part of msg.content) {
    switch (part.type) {
      case 'text':
        if (role === 'assistant') {
          (pending ??= []).push({ type: 'output_text', text: part.text, annotations: [] });
        } else {
          (pending ??= []).push(contentPart(part));
        }
        break;
      case 'image':
      case 'file':
        // The assistant side of Responses has no image input parts.
        if (role === 'user') (pending ??= []).push(contentPart(part));
        break;
      case 'tool_call':
        flush();
        input.push({
          type: 'function_call',
          call_id: part.id,
          name: shortenToolName(part.name, ctx),
          arguments: part.arguments || '{}',
        });
        break;
      case 'tool_result':
        flush();
        input.push({
          type: 'function_call_output',
          call_id: part.callId,
          output: toolOutput(part),
        });
        break;
      case 'reasoning': {
        // Only Responses reasoning (encrypted or a stored rs_ id) can be replayed upstream.
        const canReplay = part.encrypted !== undefined || (!opts.omitReasoningIds && part.id);
        if (!canReplay) break;
        flush();
        const item: Json = { type: 'reasoning' };
        if (part.id && !opts.omitReasoningIds) item.id = part.id;
        item.summary = part.text ? [{ type: 'summary_text', text: part.text }] : [];
        if (part.encrypted !== undefined) item.encrypted_content = part.encrypted;
        input.push(item);
        break;
      }
    }
  }
  flush();
}
