import type { IRFilePart, IRImagePart, IRMediaSource, IRPart, IRTextPart } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { parseDataUri, str, toDataUri } from '@app/llm/formats/openai/wire';

// input_audio formats ↔ media types (the API accepts wav and mp3).
const AUDIO_MEDIA_TYPES: Readonly<Record<string, string>> = { wav: 'audio/wav', mp3: 'audio/mpeg' };
const AUDIO_FORMATS: Readonly<Record<string, string>> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
};

// file_data may be bare base64; the filename extension is the only hint of its type.
const EXTENSION_MEDIA_TYPES: Readonly<Record<string, string>> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  html: 'text/html',
};

// ---------------------------------------------------------------------------------------------
// Reading: message content → IR parts
// ---------------------------------------------------------------------------------------------

/** System, developer, assistant and tool content: a string or an array of text parts. */
export function readTextContent(
  content: unknown,
  path: string,
  allowRefusal = false,
): IRTextPart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) {
    throw new TranslationError('content must be a string or an array of content parts', path);
  }
  const parts: IRTextPart[] = [];
  for (const item of content) {
    if (typeof item === 'string') parts.push({ type: 'text', text: item });
    else if (isRecord(item) && item.type === 'text' && typeof item.text === 'string') {
      parts.push(textPart(item));
    } else if (allowRefusal && isRecord(item) && typeof item.refusal === 'string') {
      parts.push({ type: 'text', text: item.refusal });
    }
  }
  return parts;
}

/** User content: a string or an array of text, image, audio and file parts. */
export function readUserContent(content: unknown, path: string): IRPart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) {
    throw new TranslationError('content must be a string or an array of content parts', path);
  }
  const parts: IRPart[] = [];
  for (let j = 0; j < content.length; j++) {
    const part = readUserPart(content[j], `${path}[${j}]`);
    if (part) parts.push(part);
  }
  return parts;
}

function readUserPart(item: unknown, path: string): IRPart | undefined {
  if (typeof item === 'string') return item === '' ? undefined : { type: 'text', text: item };
  if (!isRecord(item)) throw new TranslationError('each content part must be an object', path);
  switch (item.type) {
    case 'text':
      if (typeof item.text !== 'string') {
        throw new TranslationError('text parts need a text string', `${path}.text`);
      }
      return item.text === '' ? undefined : textPart(item);
    case 'image_url':
      return readImagePart(item.image_url, `${path}.image_url`);
    case 'input_audio':
      return readAudioPart(item.input_audio);
    case 'file':
      return readFilePart(item.file);
    default:
      return undefined; // unknown part types are skipped rather than rejected
  }
}

function textPart(item: Record<string, unknown>): IRTextPart {
  const part: IRTextPart = { type: 'text', text: item.text as string };
  // Keep per-part hints (cache_control on OpenAI-compatible hosts) for same-format round trips.
  let extra: Record<string, unknown> | undefined;
  for (const key in item) {
    if (key !== 'type' && key !== 'text') (extra ??= {})[key] = item[key];
  }
  if (extra) part.extra = extra;
  return part;
}

function readImagePart(image: unknown, path: string): IRImagePart {
  const url = typeof image === 'string' ? image : isRecord(image) ? str(image.url) : undefined;
  if (url === undefined) throw new TranslationError('image_url needs a url', path);
  const data = parseDataUri(url);
  const source: IRMediaSource = data
    ? { kind: 'base64', mediaType: data.mediaType, data: data.data }
    : { kind: 'url', url };
  const part: IRImagePart = { type: 'image', source };
  const detail = isRecord(image) ? str(image.detail) : undefined;
  if (detail !== undefined) part.detail = detail;
  return part;
}

function readAudioPart(audio: unknown): IRFilePart | undefined {
  if (!isRecord(audio) || typeof audio.data !== 'string') return undefined;
  const format = str(audio.format) ?? 'wav';
  return {
    type: 'file',
    source: {
      kind: 'base64',
      mediaType: AUDIO_MEDIA_TYPES[format] ?? `audio/${format}`,
      data: audio.data,
    },
  };
}

function readFilePart(file: unknown): IRFilePart | undefined {
  if (!isRecord(file)) return undefined;
  const filename = str(file.filename);
  const fileData = str(file.file_data);
  const fileId = str(file.file_id);
  let source: IRMediaSource;
  if (fileData) {
    const data = parseDataUri(fileData);
    if (data) source = { kind: 'base64', mediaType: data.mediaType, data: data.data };
    else if (fileData.startsWith('https://') || fileData.startsWith('http://')) {
      source = { kind: 'url', url: fileData };
    } else source = { kind: 'base64', mediaType: mediaTypeOf(filename), data: fileData };
  } else if (fileId) {
    source = { kind: 'file-id', fileId };
  } else {
    return undefined;
  }
  const part: IRFilePart = { type: 'file', source };
  if (filename !== undefined) part.filename = filename;
  return part;
}

function mediaTypeOf(filename: string | undefined): string {
  const dot = filename?.lastIndexOf('.') ?? -1;
  if (filename === undefined || dot < 0) return 'application/pdf';
  return EXTENSION_MEDIA_TYPES[filename.slice(dot + 1).toLowerCase()] ?? 'application/pdf';
}

// ---------------------------------------------------------------------------------------------
// Writing: IR parts → message content
// ---------------------------------------------------------------------------------------------

/** One IR part of a user turn → a Chat Completions content part. */
export function buildUserPart(
  part: IRTextPart | IRImagePart | IRFilePart,
  sameFormat: boolean,
): Record<string, unknown> {
  switch (part.type) {
    case 'text':
      return sameFormat && part.extra
        ? { type: 'text', text: part.text, ...part.extra }
        : { type: 'text', text: part.text };
    case 'image': {
      const source = part.source;
      if (source.kind === 'file-id') return fileReference(source.fileId);
      const image: Record<string, unknown> = {
        url: source.kind === 'url' ? source.url : toDataUri(source.mediaType, source.data),
      };
      if (part.detail !== undefined) image.detail = part.detail;
      return { type: 'image_url', image_url: image };
    }
    case 'file':
      return buildFilePart(part);
  }
}

function buildFilePart(part: IRFilePart): Record<string, unknown> {
  const source = part.source;
  switch (source.kind) {
    case 'base64': {
      const audioFormat = AUDIO_FORMATS[source.mediaType];
      if (audioFormat !== undefined) {
        return { type: 'input_audio', input_audio: { data: source.data, format: audioFormat } };
      }
      // The API needs a filename alongside file_data.
      return {
        type: 'file',
        file: {
          filename: part.filename ?? defaultFilename(source.mediaType),
          file_data: toDataUri(source.mediaType, source.data),
        },
      };
    }
    case 'file-id':
      return fileReference(source.fileId, part.filename);
    case 'url':
      // Chat Completions file parts cannot point at a URL; tell the model where the file is.
      return {
        type: 'text',
        text: `[file${part.filename ? ` ${part.filename}` : ''}: ${source.url}]`,
      };
  }
}

function fileReference(fileId: string, filename?: string): Record<string, unknown> {
  const file: Record<string, unknown> = { file_id: fileId };
  if (filename !== undefined) file.filename = filename;
  return { type: 'file', file };
}

function defaultFilename(mediaType: string): string {
  if (mediaType === 'application/pdf') return 'document.pdf';
  const slash = mediaType.indexOf('/');
  return slash >= 0 ? `file.${mediaType.slice(slash + 1)}` : 'file';
}
