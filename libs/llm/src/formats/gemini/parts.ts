import type { TranslationContext } from '@app/llm/codec';
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
import type { GeminiPart } from '@app/llm/formats/gemini/gemini.types';
import { idSafe, pick, str } from '@app/llm/formats/gemini/common';
import { newId } from '@app/llm/util/ids';
import { isRecord, parseArguments, stringifyArguments } from '@app/llm/util/json';
import { restoreToolName, shortenToolName } from '@app/llm/util/tool-names';

/**
 * Sentinel signature the Gemini API documents for function calls it did not sign itself (history
 * from another model or format). Gemini 3 rejects an unsigned functionCall in the current turn.
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

/** IR text-part `extra` key for a thoughtSignature Gemini put on a plain text part. */
const TEXT_SIGNATURE_KEY = 'thoughtSignature';
/** IR text-part `extra` key for a built-in tool part (executableCode…) kept verbatim. */
const RAW_PART_KEY = 'geminiPart';

/** Where tool-call ids come from while parsing parts. */
export interface CallIds {
  /** Id for a functionCall (its own id when Gemini sent one). */
  call(name: string, given: string | undefined): string;
  /** Id for a functionResponse answering a call of `name`. */
  result(name: string, given: string | undefined): string;
}

/**
 * Ids for a request history: Gemini usually omits them, so calls get positional ids
 * (`call_<n>_<name>`, stable while the history is resent each turn) and each functionResponse is
 * paired with the earliest unanswered call of the same name.
 */
export class PairingCallIds implements CallIds {
  private seq = 0;
  private readonly pending = new Map<string, string[]>();

  call(name: string, given: string | undefined): string {
    const id = given || `call_${this.seq}_${idSafe(name)}`;
    this.seq++;
    const queue = this.pending.get(name);
    if (queue) queue.push(id);
    else this.pending.set(name, [id]);
    return id;
  }

  result(name: string, given: string | undefined): string {
    const queue = this.pending.get(name);
    if (given) {
      if (queue) {
        const at = queue.indexOf(given);
        if (at !== -1) queue.splice(at, 1);
      }
      return given;
    }
    const paired = queue?.shift();
    if (paired) return paired;
    // A response to a call we never saw: still give it an id of its own.
    return `call_${this.seq++}_${idSafe(name)}`;
  }
}

/** Ids for model output: fresh random ids (unique across turns, unlike positional ones). */
export const randomCallIds: CallIds = {
  call: (_name, given) => given || newId('call_'),
  result: (_name, given) => given || newId('call_'),
};

/** Gemini parts → IR parts. `restoreNames`: undo tool-name shortening (model output). */
export function geminiPartsToIR(
  parts: unknown[],
  ids: CallIds,
  ctx: TranslationContext,
  restoreNames: boolean,
): IRPart[] {
  const out: IRPart[] = [];
  for (const raw of parts) {
    if (!isRecord(raw)) continue;
    const part = geminiPartToIR(raw, ids, ctx, restoreNames);
    if (part) out.push(part);
  }
  return out;
}

function geminiPartToIR(
  part: Record<string, unknown>,
  ids: CallIds,
  ctx: TranslationContext,
  restoreNames: boolean,
): IRPart | undefined {
  const signature = str(pick(part, 'thoughtSignature', 'thought_signature')) || undefined;

  const text = part.text;
  if (typeof text === 'string') {
    if (part.thought === true) {
      const r: IRReasoningPart = { type: 'reasoning', text };
      if (signature) r.signature = signature;
      return r;
    }
    // A signature on an empty text part is how Gemini closes a signed reasoning step.
    if (signature && text === '') return { type: 'reasoning', text: '', signature };
    const t: IRTextPart = { type: 'text', text };
    if (signature) t.extra = { [TEXT_SIGNATURE_KEY]: signature };
    return t;
  }

  const call = pick(part, 'functionCall', 'function_call');
  if (isRecord(call)) {
    const wireName = str(call.name) ?? '';
    const name = restoreNames ? restoreToolName(wireName, ctx) : wireName;
    const tc: IRToolCallPart = {
      type: 'tool_call',
      id: ids.call(name, str(call.id)),
      name,
      arguments: stringifyArguments(call.args ?? {}),
    };
    if (signature) tc.signature = signature;
    return tc;
  }

  const response = pick(part, 'functionResponse', 'function_response');
  if (isRecord(response)) return functionResponseToIR(response, ids, ctx, restoreNames);

  const inline = pick(part, 'inlineData', 'inline_data');
  if (isRecord(inline)) {
    const mediaType = str(pick(inline, 'mimeType', 'mime_type')) ?? 'application/octet-stream';
    return mediaPart(mediaType, { kind: 'base64', mediaType, data: str(inline.data) ?? '' });
  }

  const file = pick(part, 'fileData', 'file_data');
  if (isRecord(file)) {
    const mediaType = str(pick(file, 'mimeType', 'mime_type'));
    const url = str(pick(file, 'fileUri', 'file_uri')) ?? '';
    const source: IRMediaSource = { kind: 'url', url };
    if (mediaType) source.mediaType = mediaType;
    return mediaPart(mediaType ?? '', source);
  }

  const rendered = renderBuiltinPart(part);
  if (rendered !== undefined) {
    return { type: 'text', text: rendered, extra: { [RAW_PART_KEY]: part } };
  }
  // A bare signature part (no data) still carries reasoning state worth keeping.
  return signature ? { type: 'reasoning', text: '', signature } : undefined;
}

function mediaPart(mediaType: string, source: IRMediaSource): IRImagePart | IRFilePart {
  return mediaType.startsWith('image/') ? { type: 'image', source } : { type: 'file', source };
}

/** Text for built-in tool parts, so non-Gemini clients still see what happened. */
export function renderBuiltinPart(part: Record<string, unknown>): string | undefined {
  const code = pick(part, 'executableCode', 'executable_code');
  if (isRecord(code)) {
    const lang = (str(code.language) ?? '').toLowerCase().replace('language_unspecified', '');
    return `\`\`\`${lang}\n${str(code.code) ?? ''}\n\`\`\``;
  }
  const result = pick(part, 'codeExecutionResult', 'code_execution_result');
  if (isRecord(result)) return `\`\`\`\n${str(result.output) ?? ''}\n\`\`\``;
  return undefined;
}

/** Keys under which a plain (non-object) tool result travels in functionResponse.response. */
const RESULT_KEYS = ['output', 'result', 'content'] as const;

function functionResponseToIR(
  response: Record<string, unknown>,
  ids: CallIds,
  ctx: TranslationContext,
  restoreNames: boolean,
): IRToolResultPart {
  const wireName = str(response.name) ?? '';
  const name = restoreNames ? restoreToolName(wireName, ctx) : wireName;
  const payload = response.response;
  let text: string;
  let isError = false;
  if (isRecord(payload)) {
    const keys = Object.keys(payload);
    const only = keys.length === 1 ? keys[0] : undefined;
    if (only === 'error') {
      isError = true;
      text = asText(payload.error);
    } else if (only !== undefined && (RESULT_KEYS as readonly string[]).includes(only)) {
      text = asText(payload[only]);
    } else {
      text = JSON.stringify(payload);
    }
  } else {
    text = payload === undefined ? '' : asText(payload);
  }
  const content: IRToolResultPart['content'] = [{ type: 'text', text }];
  // Gemini 3 multimodal function responses carry media in functionResponse.parts.
  const extraParts = response.parts;
  if (Array.isArray(extraParts)) {
    for (const p of extraParts) {
      if (!isRecord(p)) continue;
      const inline = pick(p, 'inlineData', 'inline_data');
      if (!isRecord(inline)) continue;
      const mediaType = str(pick(inline, 'mimeType', 'mime_type')) ?? 'application/octet-stream';
      content.push(
        mediaPart(mediaType, { kind: 'base64', mediaType, data: str(inline.data) ?? '' }),
      );
    }
  }
  const part: IRToolResultPart = {
    type: 'tool_result',
    callId: ids.result(name, str(response.id)),
    name,
    content,
  };
  if (isError) part.isError = true;
  return part;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

/** Options for IR → Gemini part conversion. */
export interface BuildPartOptions {
  ctx: TranslationContext;
  /** callId → tool name, filled from tool_calls as the history is walked. */
  names: Map<string, string>;
  /**
   * Request history for a Gemini upstream: tool names are shortened and unsigned calls get the
   * skip signature. False when rendering model output for a Gemini client.
   */
  history: boolean;
  /** Keep Gemini-only part data (raw built-in parts) — source and target are both Gemini. */
  family: boolean;
}

/** IR parts → Gemini parts (a tool result with media may expand into several parts). */
export function irPartsToGemini(parts: IRPart[], opts: BuildPartOptions): GeminiPart[] {
  const out: GeminiPart[] = [];
  for (const part of parts) {
    switch (part.type) {
      case 'text': {
        const raw = part.extra?.[RAW_PART_KEY];
        if (opts.family && isRecord(raw)) {
          out.push(raw);
          break;
        }
        const sig = part.extra?.[TEXT_SIGNATURE_KEY];
        // Gemini rejects an empty text part in a request ("empty text parameter").
        if (opts.history && part.text === '' && typeof sig !== 'string') break;
        const p: GeminiPart = { text: part.text };
        if (typeof sig === 'string') p.thoughtSignature = sig;
        out.push(p);
        break;
      }
      case 'reasoning':
        // Unsigned reasoning from another model means nothing to Gemini; a signature is what
        // carries its reasoning state between turns.
        if (part.signature) {
          out.push({ text: part.text, thought: true, thoughtSignature: part.signature });
        } else if (!opts.history && part.text) {
          out.push({ text: part.text, thought: true });
        } else if (opts.family && part.text) {
          out.push({ text: part.text, thought: true });
        }
        break;
      case 'image':
      case 'file':
        out.push(mediaToGemini(part.source, part.type));
        break;
      case 'tool_call': {
        const name = opts.history ? shortenToolName(part.name, opts.ctx) : part.name;
        opts.names.set(part.id, part.name);
        const p: GeminiPart = {
          functionCall: { id: part.id, name, args: parseArguments(part.arguments) },
        };
        const sig = part.signature || (opts.history ? SKIP_THOUGHT_SIGNATURE : undefined);
        if (sig) p.thoughtSignature = sig;
        out.push(p);
        break;
      }
      case 'tool_result':
        toolResultToGemini(part, opts, out);
        break;
    }
  }
  return out;
}

function toolResultToGemini(part: IRToolResultPart, opts: BuildPartOptions, out: GeminiPart[]) {
  const known = part.name || opts.names.get(part.callId) || 'unknown';
  const name = opts.history ? shortenToolName(known, opts.ctx) : known;
  let text = '';
  const media: GeminiPart[] = [];
  for (const c of part.content) {
    if (c.type === 'text') text = text ? `${text}\n${c.text}` : c.text;
    else media.push(mediaToGemini(c.source, c.type));
  }
  out.push({ functionResponse: { id: part.callId, name, response: resultObject(text, part) } });
  for (const m of media) out.push(m);
}

/**
 * functionResponse.response must be a JSON object. Gemini documents `output` for a function's
 * result and `error` for its failure; a result that already is a JSON object is sent as is.
 */
function resultObject(text: string, part: IRToolResultPart): Record<string, unknown> {
  if (part.isError) return { error: text };
  if (text.charCodeAt(0) === 123 /* '{' */) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isRecord(parsed)) return parsed;
    } catch {
      // not JSON: wrap it below
    }
  }
  return { output: text };
}

const DATA_URI = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

/** IR media source → inlineData (bytes) or fileData (URI). */
export function mediaToGemini(source: IRMediaSource, kind: 'image' | 'file'): GeminiPart {
  switch (source.kind) {
    case 'base64':
      return { inlineData: { mimeType: source.mediaType, data: source.data } };
    case 'url': {
      if (source.url.startsWith('data:')) {
        const m = DATA_URI.exec(source.url);
        if (m) {
          return { inlineData: { mimeType: m[1] ?? source.mediaType ?? '', data: m[2] } };
        }
      }
      return {
        fileData: {
          mimeType: source.mediaType ?? guessMimeType(source.url, kind),
          fileUri: source.url,
        },
      };
    }
    case 'file-id':
      return {
        fileData: {
          mimeType: source.mediaType ?? guessMimeType(source.fileId, kind),
          fileUri: source.fileId,
        },
      };
  }
}

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  html: 'text/html',
  json: 'application/json',
  mp3: 'audio/mp3',
  wav: 'audio/wav',
  mp4: 'video/mp4',
};

const URL_QUERY = /[?#]/;

/** fileData needs a mimeType; guess it from the URL's extension. */
function guessMimeType(url: string, kind: 'image' | 'file'): string {
  const path = url.split(URL_QUERY, 1)[0];
  const dot = path.lastIndexOf('.');
  const ext = dot === -1 ? '' : path.slice(dot + 1).toLowerCase();
  return MIME_BY_EXTENSION[ext] ?? (kind === 'image' ? 'image/jpeg' : 'application/octet-stream');
}
