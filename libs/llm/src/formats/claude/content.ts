import type {
  IRFilePart,
  IRImagePart,
  IRMediaSource,
  IRPart,
  IRReasoningPart,
  IRTextPart,
  IRToolCallPart,
  IRToolResultPart,
} from '@app/llm/ir/types';
import { isRecord, parseArguments, stringifyArguments } from '@app/llm/util/json';
import type { ClaudeOrigin } from '@app/llm/formats/claude/mapping';

/** A Claude content block on the wire. */
export type ClaudeBlock = Record<string, unknown>;

/** Per-body state while reading Claude content. */
export interface BlockReader {
  origins: WeakMap<object, ClaudeOrigin>;
  /** tool_use id → tool name, so tool_result parts can carry the name (Gemini needs it). */
  toolNames: Map<string, string>;
  /** What the IR carries only for a Claude upstream (see TranslationContext.unmodelled). */
  unmodelled?: string[];
}

/** Per-body options while writing Claude content. */
export interface BlockWriter {
  /** The IR came from a Claude body: restore the fields kept in `origins`. */
  sameFormat: boolean;
  origins: WeakMap<object, ClaudeOrigin> | undefined;
}

// Fields of each block type the IR models; every other field is an extra kept for Claude.
const TEXT_FIELDS = new Set(['type', 'text']);
const IMAGE_FIELDS = new Set(['type', 'source']);
const DOCUMENT_FIELDS = new Set(['type', 'source', 'title']);
const TOOL_USE_FIELDS = new Set(['type', 'id', 'name', 'input']);
const TOOL_RESULT_FIELDS = new Set(['type', 'tool_use_id', 'content', 'is_error']);

function extrasOf(
  block: ClaudeBlock,
  known: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  let extras: Record<string, unknown> | undefined;
  for (const key in block) {
    if (known.has(key) || block[key] === undefined) continue;
    (extras ??= {})[key] = block[key];
  }
  return extras;
}

function remember(r: BlockReader, part: object, block: ClaudeBlock, known: ReadonlySet<string>) {
  const extras = extrasOf(block, known);
  if (extras) r.origins.set(part, { extras });
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function mediaSource(source: unknown): IRMediaSource | undefined {
  if (!isRecord(source)) return undefined;
  switch (source.type) {
    case 'base64':
      return { kind: 'base64', mediaType: str(source.media_type), data: str(source.data) };
    case 'url':
      return { kind: 'url', url: str(source.url) };
    case 'file':
      return { kind: 'file-id', fileId: str(source.file_id) };
    case 'text':
      // Plain-text documents travel as base64 text/plain so every format can carry them.
      return {
        kind: 'base64',
        mediaType: str(source.media_type) || 'text/plain',
        data: Buffer.from(str(source.data), 'utf8').toString('base64'),
      };
    default:
      return undefined;
  }
}

/** A block the IR cannot express: an empty text part that restores the block for Claude. */
function rawPart(r: BlockReader, block: ClaudeBlock): IRTextPart {
  const note = `content block "${typeof block.type === 'string' ? block.type : '?'}"`;
  if (r.unmodelled && !r.unmodelled.includes(note)) r.unmodelled.push(note);
  const part: IRTextPart = { type: 'text', text: '' };
  r.origins.set(part, { raw: block });
  return part;
}

function readToolResultContent(
  r: BlockReader,
  content: unknown,
): (IRTextPart | IRImagePart | IRFilePart)[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  const out: (IRTextPart | IRImagePart | IRFilePart)[] = [];
  for (const item of content) {
    if (!isRecord(item)) continue;
    const part = readBlock(r, item);
    if (part && (part.type === 'text' || part.type === 'image' || part.type === 'file')) {
      out.push(part);
    }
  }
  return out;
}

/** One Claude content block → one IR part (undefined for non-objects). */
export function readBlock(r: BlockReader, block: ClaudeBlock): IRPart | undefined {
  switch (block.type) {
    case 'text': {
      const part: IRTextPart = { type: 'text', text: str(block.text) };
      const extras = extrasOf(block, TEXT_FIELDS);
      if (extras) part.extra = extras;
      return part;
    }
    case 'image': {
      const source = mediaSource(block.source);
      if (!source) return rawPart(r, block);
      const part: IRImagePart = { type: 'image', source };
      remember(r, part, block, IMAGE_FIELDS);
      return part;
    }
    case 'document': {
      const source = mediaSource(block.source);
      if (!source) return rawPart(r, block);
      if (source.kind === 'url') source.mediaType = 'application/pdf';
      const part: IRFilePart = { type: 'file', source };
      if (typeof block.title === 'string') part.filename = block.title;
      remember(r, part, block, DOCUMENT_FIELDS);
      return part;
    }
    case 'tool_use': {
      const id = str(block.id);
      const name = str(block.name);
      r.toolNames.set(id, name);
      const part: IRToolCallPart = {
        type: 'tool_call',
        id,
        name,
        arguments: stringifyArguments(block.input),
      };
      remember(r, part, block, TOOL_USE_FIELDS);
      return part;
    }
    case 'tool_result': {
      const callId = str(block.tool_use_id);
      const part: IRToolResultPart = {
        type: 'tool_result',
        callId,
        content: readToolResultContent(r, block.content),
      };
      const name = r.toolNames.get(callId);
      if (name !== undefined) part.name = name;
      if (block.is_error === true) part.isError = true;
      remember(r, part, block, TOOL_RESULT_FIELDS);
      return part;
    }
    case 'thinking': {
      const part: IRReasoningPart = { type: 'reasoning', text: str(block.thinking) };
      if (typeof block.signature === 'string' && block.signature) part.signature = block.signature;
      return part;
    }
    case 'redacted_thinking':
      return { type: 'reasoning', text: '', encrypted: str(block.data) };
    default:
      return rawPart(r, block);
  }
}

/** Claude `content` (a string or blocks) → IR parts. */
export function readContent(r: BlockReader, content: unknown): IRPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const out: IRPart[] = [];
  if (!Array.isArray(content)) return out;
  for (const block of content) {
    if (!isRecord(block)) continue;
    const part = readBlock(r, block);
    if (part) out.push(part);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

const NON_BLANK = /\S/;
const TOOL_ID_OK = /^[A-Za-z0-9_-]+$/;
const TOOL_ID_BAD_CHARS = /[^A-Za-z0-9_-]/g;

/** Claude tool ids must match ^[a-zA-Z0-9_-]+$; other formats' ids are mapped deterministically. */
export function claudeToolId(id: string): string {
  return TOOL_ID_OK.test(id) ? id : id.replace(TOOL_ID_BAD_CHARS, '_');
}

function withOrigin(w: BlockWriter, part: object, block: ClaudeBlock): ClaudeBlock {
  if (!w.sameFormat || !w.origins) return block;
  const extras = w.origins.get(part)?.extras;
  return extras ? { ...block, ...extras } : block;
}

function textBlock(w: BlockWriter, part: IRTextPart): ClaudeBlock {
  const block: ClaudeBlock = { type: 'text', text: part.text };
  const extra = part.extra;
  if (!extra) return block;
  if (w.sameFormat) return { ...block, ...extra };
  // cache_control is the one text hint other formats' clients send meaning it for Claude.
  if (extra.cache_control !== undefined) block.cache_control = extra.cache_control;
  return block;
}

interface DataUri {
  mediaType: string;
  data: string;
}

/** Split a base64 `data:` URI; undefined when it is not one. */
export function parseDataUri(url: string): DataUri | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const header = url.slice(5, comma);
  if (!header.endsWith(';base64')) return undefined;
  return { mediaType: header.slice(0, -7), data: url.slice(comma + 1) };
}

function imageSource(source: IRMediaSource): Record<string, unknown> {
  switch (source.kind) {
    case 'base64':
      return { type: 'base64', media_type: source.mediaType, data: source.data };
    case 'url': {
      const inline = parseDataUri(source.url);
      if (inline) return { type: 'base64', media_type: inline.mediaType, data: inline.data };
      return { type: 'url', url: source.url };
    }
    case 'file-id':
      return { type: 'file', file_id: source.fileId };
  }
}

function isTextMedia(mediaType: string): boolean {
  return mediaType.startsWith('text/') || mediaType === 'application/json';
}

/**
 * An IR file as a Claude block: PDFs as base64/url/file documents, text files as plain-text
 * documents, images as image blocks. Claude has no block for other binary files (docx, audio…),
 * so the model gets a short note instead of a request Claude would reject.
 */
function fileBlock(part: IRFilePart): ClaudeBlock {
  let source = part.source;
  if (source.kind === 'url') {
    const inline = parseDataUri(source.url);
    if (inline) source = { kind: 'base64', mediaType: inline.mediaType, data: inline.data };
  }
  let block: ClaudeBlock;
  switch (source.kind) {
    case 'url':
      block = { type: 'document', source: { type: 'url', url: source.url } };
      break;
    case 'file-id':
      block = { type: 'document', source: { type: 'file', file_id: source.fileId } };
      break;
    case 'base64': {
      const mediaType = source.mediaType.toLowerCase();
      if (mediaType.startsWith('image/')) {
        return { type: 'image', source: imageSource(source) };
      }
      if (mediaType === 'application/pdf') {
        block = {
          type: 'document',
          source: { type: 'base64', media_type: 'application/pdf', data: source.data },
        };
      } else if (isTextMedia(mediaType)) {
        block = {
          type: 'document',
          source: {
            type: 'text',
            media_type: 'text/plain',
            data: Buffer.from(source.data, 'base64').toString('utf8'),
          },
        };
      } else {
        const name = part.filename ? `${part.filename} ` : '';
        return {
          type: 'text',
          text: `[file ${name}(${source.mediaType}) not supported by Claude]`,
        };
      }
      break;
    }
  }
  if (part.filename) block.title = part.filename;
  return block;
}

function toolResultBlock(w: BlockWriter, part: IRToolResultPart): ClaudeBlock {
  const block: ClaudeBlock = { type: 'tool_result', tool_use_id: claudeToolId(part.callId) };
  const content: ClaudeBlock[] = [];
  for (const c of part.content) {
    const b = writeBlock(w, c, 'user');
    if (b) content.push(b);
  }
  if (content.length === 1 && content[0].type === 'text' && Object.keys(content[0]).length === 2) {
    block.content = content[0].text;
  } else if (content.length > 0) {
    block.content = content;
  }
  if (part.isError) block.is_error = true;
  return withOrigin(w, part, block);
}

/**
 * One IR part → one Claude block, or undefined when Claude cannot take it: empty text (Claude
 * rejects blank text blocks), and reasoning that Claude would not accept back (see below).
 */
export function writeBlock(
  w: BlockWriter,
  part: IRPart,
  role: 'user' | 'assistant',
): ClaudeBlock | undefined {
  switch (part.type) {
    case 'text': {
      const raw = w.sameFormat ? w.origins?.get(part)?.raw : undefined;
      if (raw) return raw;
      if (!NON_BLANK.test(part.text)) return undefined;
      return textBlock(w, part);
    }
    case 'image':
      return withOrigin(w, part, { type: 'image', source: imageSource(part.source) });
    case 'file':
      return withOrigin(w, part, fileBlock(part));
    case 'tool_call':
      return withOrigin(w, part, {
        type: 'tool_use',
        id: claudeToolId(part.id),
        name: part.name,
        input: parseArguments(part.arguments),
      });
    case 'tool_result':
      return toolResultBlock(w, part);
    case 'reasoning':
      // Claude verifies thinking signatures; only blocks that came from Claude carry valid ones,
      // and an unsigned thinking block is rejected. Foreign or unsigned reasoning is dropped:
      // turning it into text would put the model's private reasoning into its visible answer.
      if (role !== 'assistant' || !w.sameFormat) return undefined;
      if (part.encrypted) return { type: 'redacted_thinking', data: part.encrypted };
      if (!part.signature) return undefined;
      return { type: 'thinking', thinking: part.text, signature: part.signature };
  }
}
