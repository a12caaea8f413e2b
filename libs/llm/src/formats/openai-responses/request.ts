import type { TranslationContext } from '@app/llm/codec';
import type {
  IRFilePart,
  IRImagePart,
  IRMessage,
  IRReasoning,
  IRReasoningPart,
  IRRequest,
  IRResponseFormat,
  IRTextPart,
  IRTool,
  IRToolChoice,
  IRToolResultPart,
  WireFormat,
} from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord, stringifyArguments } from '@app/llm/util/json';
import { isReasoningLevel, reasoningLevel } from '@app/llm/util/thinking';
import { shortenToolName } from '@app/llm/util/tool-names';
import {
  RESPONSES_REQUEST_STATE,
  isResponsesFamily,
  mediaFromUrl,
  toDataUri,
} from '@app/llm/formats/openai-responses/shared';

type Json = Record<string, unknown>;

/** Top-level fields with an IR slot; everything else goes to `ir.extra`. */
const KNOWN_FIELDS = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning',
  'max_output_tokens',
  'temperature',
  'top_p',
  'text',
  'stream',
  'user',
  'metadata',
]);

// ---------------------------------------------------------------------------------------------
// parse: Responses body → IR
// ---------------------------------------------------------------------------------------------

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

function parseTools(tools: unknown, extra: Json): IRTool[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw new TranslationError('tools must be an array', 'tools');
  const out: IRTool[] = [];
  const builtins: unknown[] = [];
  for (let i = 0; i < tools.length; i++) {
    const t: unknown = tools[i];
    if (!isRecord(t)) throw new TranslationError('tools must be objects', `tools[${i}]`);
    if (t.type !== 'function') {
      builtins.push(t); // web_search, file_search, local_shell, custom, mcp …
      continue;
    }
    // Be lenient with Chat-style {type:"function", function:{…}} declarations.
    const fn = isRecord(t.function) ? t.function : t;
    if (typeof fn.name !== 'string' || fn.name === '') {
      throw new TranslationError('function tools need a name', `tools[${i}].name`);
    }
    const tool: IRTool = {
      name: fn.name,
      parameters: isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
    };
    if (typeof fn.description === 'string') tool.description = fn.description;
    if (typeof fn.strict === 'boolean') tool.strict = fn.strict;
    out.push(tool);
  }
  if (builtins.length > 0) extra.tools = builtins;
  return out;
}

function parseToolChoice(value: unknown, extra: Json): IRToolChoice | undefined {
  if (value === 'auto' || value === 'none' || value === 'required') return { type: value };
  if (isRecord(value) && value.type === 'function' && typeof value.name === 'string') {
    return { type: 'tool', name: value.name };
  }
  if (value !== undefined && value !== null) extra.tool_choice = value; // built-in / allowed_tools
  return undefined;
}

function parseReasoning(value: unknown): IRReasoning | undefined {
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

function parseTextFormat(value: unknown, extra: Json): IRResponseFormat | undefined {
  if (!isRecord(value)) return undefined;
  const { format, ...rest } = value;
  if (Object.keys(rest).length > 0) extra.text = rest; // verbosity …
  if (!isRecord(format)) return undefined;
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const rf: IRResponseFormat = {
        type: 'json_schema',
        schema: isRecord(format.schema) ? format.schema : {},
      };
      if (typeof format.name === 'string') rf.name = format.name;
      if (typeof format.strict === 'boolean') rf.strict = format.strict;
      return rf;
    }
    default:
      return undefined;
  }
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

function parseInput(input: unknown): ParsedInput {
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

/** Parse a `POST /v1/responses` body into the IR. */
export function parseResponsesRequest(
  body: unknown,
  ctx: TranslationContext,
  format: WireFormat = 'openai-responses',
): IRRequest {
  if (!isRecord(body)) throw new TranslationError('The request body must be a JSON object');
  if (body.model !== undefined && typeof body.model !== 'string') {
    throw new TranslationError('model must be a string', 'model');
  }
  const extra: Json = {};
  for (const key in body) if (!KNOWN_FIELDS.has(key)) extra[key] = body[key];

  const parsed = parseInput(body.input);
  if (parsed.opaque) extra.input = body.input;
  const system: IRTextPart[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') {
    system.push({ type: 'text', text: body.instructions });
  }
  for (const s of parsed.system) system.push(s);

  const ir: IRRequest = {
    model: typeof body.model === 'string' ? body.model : '',
    system,
    messages: parsed.messages,
    sampling: {},
    stream: body.stream === true,
    sourceFormat: format,
    extra,
  };
  const tools = parseTools(body.tools, extra);
  if (tools) ir.tools = tools;
  const toolChoice = parseToolChoice(body.tool_choice, extra);
  if (toolChoice) ir.toolChoice = toolChoice;
  if (typeof body.parallel_tool_calls === 'boolean')
    ir.parallelToolCalls = body.parallel_tool_calls;
  const reasoning = parseReasoning(body.reasoning);
  if (reasoning) ir.reasoning = reasoning;
  if (typeof body.max_output_tokens === 'number') ir.sampling.maxTokens = body.max_output_tokens;
  if (typeof body.temperature === 'number') ir.sampling.temperature = body.temperature;
  if (typeof body.top_p === 'number') ir.sampling.topP = body.top_p;
  const responseFormat = parseTextFormat(body.text, extra);
  if (responseFormat) ir.responseFormat = responseFormat;
  if (typeof body.user === 'string') ir.user = body.user;
  if (isRecord(body.metadata)) ir.metadata = body.metadata;

  // Responses echo request settings in the response object; keep the body for the response side.
  ctx.state[RESPONSES_REQUEST_STATE] = body;
  return ir;
}

// ---------------------------------------------------------------------------------------------
// build: IR → Responses body
// ---------------------------------------------------------------------------------------------

/** Options that differ between the public Responses API and the Codex backend. */
export interface ResponsesBuildOptions {
  /** Always send `instructions` (empty string when there is no system text). */
  alwaysInstructions?: boolean;
  /** Leave reasoning item ids out (stateless upstreams cannot resolve them). */
  omitReasoningIds?: boolean;
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

function pushMessageItems(
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

function buildToolChoice(choice: IRToolChoice, ctx: TranslationContext): unknown {
  return choice.type === 'tool'
    ? { type: 'function', name: shortenToolName(choice.name, ctx) }
    : choice.type;
}

function buildTextFormat(rf: IRResponseFormat): Json {
  if (rf.type !== 'json_schema') return { type: rf.type };
  const out: Json = { type: 'json_schema', name: rf.name ?? 'response', schema: rf.schema };
  if (rf.strict !== undefined) out.strict = rf.strict;
  return out;
}

function allStrings(value: Record<string, unknown>): boolean {
  for (const k in value) if (typeof value[k] !== 'string') return false;
  return true;
}

/** Build a `POST /v1/responses` body from the IR. */
export function buildResponsesRequest(
  ir: IRRequest,
  ctx: TranslationContext,
  opts: ResponsesBuildOptions = {},
): Json {
  const sameFamily = isResponsesFamily(ir.sourceFormat);
  const out: Json = { model: ir.model };

  // System text: the first part is `instructions`, the rest travel as developer messages.
  const input: Json[] = [];
  if (ir.system.length > 0) out.instructions = ir.system[0].text;
  else if (opts.alwaysInstructions) out.instructions = '';
  for (let i = 1; i < ir.system.length; i++) {
    input.push({
      type: 'message',
      role: 'developer',
      content: [{ type: 'input_text', text: ir.system[i].text }],
    });
  }
  for (const msg of ir.messages) pushMessageItems(msg, input, ctx, opts);
  // Items the IR cannot carry (compaction, item references …) only survive within the family.
  out.input = sameFamily && Array.isArray(ir.extra.input) ? ir.extra.input : input;

  const tools: unknown[] = [];
  if (ir.tools) {
    for (const t of ir.tools) {
      const tool: Json = { type: 'function', name: shortenToolName(t.name, ctx) };
      if (t.description !== undefined) tool.description = t.description;
      tool.parameters = t.parameters;
      // Responses defaults `strict` to true, which rejects most non-OpenAI schemas.
      tool.strict = t.strict ?? false;
      tools.push(tool);
    }
  }
  if (sameFamily && Array.isArray(ir.extra.tools)) for (const t of ir.extra.tools) tools.push(t);
  if (tools.length > 0) out.tools = tools;
  if (ir.toolChoice) out.tool_choice = buildToolChoice(ir.toolChoice, ctx);
  if (ir.parallelToolCalls !== undefined) out.parallel_tool_calls = ir.parallelToolCalls;

  if (ir.reasoning) {
    const reasoning: Json = {};
    const level = reasoningLevel(ir.reasoning);
    if (level !== undefined && level !== 'auto') reasoning.effort = level;
    const summary = ir.reasoning.summary ?? (ir.reasoning.includeThoughts ? 'auto' : undefined);
    if (summary !== undefined && level !== 'none') reasoning.summary = summary;
    if (Object.keys(reasoning).length > 0) out.reasoning = reasoning;
  }

  const s = ir.sampling;
  if (s.maxTokens !== undefined) out.max_output_tokens = s.maxTokens;
  if (s.temperature !== undefined) out.temperature = s.temperature;
  if (s.topP !== undefined) out.top_p = s.topP;

  const extraText = sameFamily && isRecord(ir.extra.text) ? ir.extra.text : undefined;
  if (ir.responseFormat || extraText) {
    const text: Json = extraText ? { ...extraText } : {};
    if (ir.responseFormat) text.format = buildTextFormat(ir.responseFormat);
    out.text = text;
  }
  out.stream = ir.stream;
  if (ir.user !== undefined) out.user = ir.user;
  // OpenAI metadata values must be strings; other formats' metadata (Claude user_id …) may not be.
  if (ir.metadata && (sameFamily || allStrings(ir.metadata))) out.metadata = ir.metadata;

  if (sameFamily) {
    for (const key in ir.extra) if (!(key in out) && key !== 'text') out[key] = ir.extra[key];
  }
  return out;
}
