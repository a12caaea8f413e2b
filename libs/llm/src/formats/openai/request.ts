import type { TranslationContext } from '@app/llm/codec';
import type {
  IRFilePart,
  IRImagePart,
  IRMediaSource,
  IRMessage,
  IRPart,
  IRReasoning,
  IRRequest,
  IRResponseFormat,
  IRSampling,
  IRTextPart,
  IRTool,
  IRToolCallPart,
  IRToolChoice,
  IRToolResultPart,
  WireFormat,
} from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { newId } from '@app/llm/util/ids';
import { isRecord, stringifyArguments } from '@app/llm/util/json';
import { isReasoningLevel, reasoningLevel } from '@app/llm/util/thinking';
import { shortenToolName } from '@app/llm/util/tool-names';
import {
  OPENAI_FAMILY,
  STATE_LEGACY_FUNCTIONS,
  STATE_MAX_TOKENS_FIELD,
  num,
  parseDataUri,
  str,
  toDataUri,
} from '@app/llm/formats/openai/wire';

/** Top-level Chat Completions fields the IR models; every other field goes to `ir.extra`. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'tools',
  'tool_choice',
  'functions',
  'function_call',
  'parallel_tool_calls',
  'reasoning_effort',
  'temperature',
  'top_p',
  'top_k',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'n',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'response_format',
  'stream',
  'user',
  'metadata',
]);

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
// Parsing: Chat Completions body → IR
// ---------------------------------------------------------------------------------------------

/** Mutable state while walking `messages`. */
interface MessageReader {
  ctx: TranslationContext;
  system: IRTextPart[];
  messages: IRMessage[];
  /** Tool call id → tool name, to name tool results (Gemini needs names). */
  callNames: Map<string, string>;
  /** Legacy function calls still waiting for their `role: "function"` answer. */
  openLegacyCalls: { id: string; name: string }[];
  /** The previous wire message was a tool / function result (merge target for the next ones). */
  afterToolResult: boolean;
}

/** Parse a Chat Completions request body into the IR. */
export function parseOpenAIRequest(
  body: unknown,
  ctx: TranslationContext,
  sourceFormat: WireFormat = 'openai',
): IRRequest {
  if (!isRecord(body)) throw new TranslationError('The request body must be a JSON object');
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    throw new TranslationError('model must be a non-empty string', 'model');
  }
  const rawMessages = body.messages;
  if (!Array.isArray(rawMessages)) {
    throw new TranslationError('messages must be an array of chat messages', 'messages');
  }

  const reader: MessageReader = {
    ctx,
    system: [],
    messages: [],
    callNames: new Map(),
    openLegacyCalls: [],
    afterToolResult: false,
  };
  for (let i = 0; i < rawMessages.length; i++) readMessage(reader, rawMessages[i], i);

  const ir: IRRequest = {
    model,
    system: reader.system,
    messages: reader.messages,
    sampling: parseSampling(body, ctx),
    stream: body.stream === true,
    sourceFormat,
    extra: {},
  };

  const tools = parseTools(body, ctx);
  if (tools) ir.tools = tools;
  const toolChoice = parseToolChoice(body.tool_choice ?? body.function_call);
  if (toolChoice) ir.toolChoice = toolChoice;
  if (typeof body.parallel_tool_calls === 'boolean')
    ir.parallelToolCalls = body.parallel_tool_calls;
  const reasoning = parseReasoning(body.reasoning_effort);
  if (reasoning) ir.reasoning = reasoning;
  const responseFormat = parseResponseFormat(body.response_format);
  if (responseFormat) ir.responseFormat = responseFormat;
  const user = str(body.user);
  if (user !== undefined) ir.user = user;
  if (isRecord(body.metadata)) ir.metadata = body.metadata;

  // stream_options stays in extra (include_obfuscation etc. pass through); include_usage is read.
  const streamOptions = body.stream_options;
  if (isRecord(streamOptions) && streamOptions.include_usage === true) ctx.includeUsage = true;

  for (const key in body) {
    if (!KNOWN_FIELDS.has(key)) ir.extra[key] = body[key];
  }
  return ir;
}

function readMessage(r: MessageReader, raw: unknown, i: number): void {
  if (!isRecord(raw))
    throw new TranslationError('each message must be an object', `messages[${i}]`);
  const role = raw.role;
  switch (role) {
    case 'system':
    case 'developer':
      for (const part of readTextContent(raw.content, `messages[${i}].content`)) {
        if (part.text !== '') r.system.push(part);
      }
      r.afterToolResult = false;
      return;
    case 'user':
      readUserMessage(r, raw, i);
      return;
    case 'assistant':
      readAssistantMessage(r, raw, i);
      return;
    case 'tool':
      readToolMessage(r, raw, i);
      return;
    case 'function':
      readFunctionMessage(r, raw, i);
      return;
    default:
      // OpenAI's own wording for an unknown role.
      throw new TranslationError(
        `Invalid value: '${typeof role === 'string' ? role : JSON.stringify(role ?? null)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `messages[${i}].role`,
      );
  }
}

function readUserMessage(r: MessageReader, raw: Record<string, unknown>, i: number): void {
  const content = readUserContent(raw.content, `messages[${i}].content`);
  const name = str(raw.name);
  // A user turn right after tool results joins them (Claude's shape: results first, then text).
  const last = r.messages[r.messages.length - 1];
  if (r.afterToolResult && name === undefined && last?.role === 'user') {
    for (const part of content) last.content.push(part);
  } else {
    const msg: IRMessage = { role: 'user', content };
    if (name !== undefined) msg.name = name;
    r.messages.push(msg);
  }
  r.afterToolResult = false;
}

function readAssistantMessage(r: MessageReader, raw: Record<string, unknown>, i: number): void {
  const content: IRPart[] = [];
  // Non-standard, sent back by clients of reasoning hosts (DeepSeek, Qwen, Kimi; `reasoning` on
  // OpenRouter-style hosts).
  const reasoning = str(raw.reasoning_content) ?? str(raw.reasoning);
  if (reasoning) content.push({ type: 'reasoning', text: reasoning });

  for (const part of readTextContent(raw.content, `messages[${i}].content`, true)) {
    if (part.text !== '') content.push(part);
  }
  const refusal = str(raw.refusal);
  if (refusal) content.push({ type: 'text', text: refusal });

  const toolCalls = raw.tool_calls;
  if (toolCalls !== undefined && toolCalls !== null) {
    if (!Array.isArray(toolCalls)) {
      throw new TranslationError('tool_calls must be an array', `messages[${i}].tool_calls`);
    }
    for (let j = 0; j < toolCalls.length; j++) {
      const call = readToolCall(toolCalls[j], `messages[${i}].tool_calls[${j}]`);
      if (!call) continue;
      r.callNames.set(call.id, call.name);
      content.push(call);
    }
  }

  const legacy = raw.function_call;
  if (isRecord(legacy) && typeof legacy.name === 'string') {
    // Legacy calls carry no id; mint one so the answering `role: "function"` message can pair up.
    const id = newId('call_');
    r.openLegacyCalls.push({ id, name: legacy.name });
    r.callNames.set(id, legacy.name);
    content.push({
      type: 'tool_call',
      id,
      name: legacy.name,
      arguments: stringifyArguments(legacy.arguments),
    });
  }

  r.afterToolResult = false;
  if (content.length === 0) return; // an empty assistant turn carries nothing upstream can use
  const msg: IRMessage = { role: 'assistant', content };
  const name = str(raw.name);
  if (name !== undefined) msg.name = name;
  r.messages.push(msg);
}

function readToolCall(raw: unknown, path: string): IRToolCallPart | undefined {
  if (!isRecord(raw)) throw new TranslationError('each tool call must be an object', path);
  // Custom (free-form grammar) tools have no IR equivalent.
  if (raw.type !== undefined && raw.type !== 'function') return undefined;
  const fn = raw.function;
  if (!isRecord(fn) || typeof fn.name !== 'string') {
    throw new TranslationError('tool call function.name must be a string', `${path}.function.name`);
  }
  return {
    type: 'tool_call',
    id: str(raw.id) || newId('call_'),
    name: fn.name,
    arguments: stringifyArguments(fn.arguments),
  };
}

function readToolMessage(r: MessageReader, raw: Record<string, unknown>, i: number): void {
  const callId = raw.tool_call_id;
  if (typeof callId !== 'string' || callId === '') {
    throw new TranslationError(
      'tool messages need the tool_call_id of the call they answer',
      `messages[${i}].tool_call_id`,
    );
  }
  const result: IRToolResultPart = {
    type: 'tool_result',
    callId,
    content: readTextContent(raw.content, `messages[${i}].content`),
  };
  const name = r.callNames.get(callId);
  if (name !== undefined) result.name = name;
  pushToolResult(r, result);
}

function readFunctionMessage(r: MessageReader, raw: Record<string, unknown>, i: number): void {
  const name = raw.name;
  if (typeof name !== 'string') {
    throw new TranslationError('function messages need a name', `messages[${i}].name`);
  }
  const open = r.openLegacyCalls.findIndex((c) => c.name === name);
  const callId = open >= 0 ? r.openLegacyCalls.splice(open, 1)[0].id : newId('call_');
  pushToolResult(r, {
    type: 'tool_result',
    callId,
    name,
    content: readTextContent(raw.content, `messages[${i}].content`),
  });
}

function pushToolResult(r: MessageReader, result: IRToolResultPart): void {
  const last = r.messages[r.messages.length - 1];
  if (r.afterToolResult && last?.role === 'user') last.content.push(result);
  else r.messages.push({ role: 'user', content: [result] });
  r.afterToolResult = true;
}

/** System, developer, assistant and tool content: a string or an array of text parts. */
function readTextContent(content: unknown, path: string, allowRefusal = false): IRTextPart[] {
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

function readUserContent(content: unknown, path: string): IRPart[] {
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

function parseTools(body: Record<string, unknown>, ctx: TranslationContext): IRTool[] | undefined {
  const tools: IRTool[] = [];
  const raw = body.tools;
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw)) throw new TranslationError('tools must be an array', 'tools');
    for (let i = 0; i < raw.length; i++) {
      const t: unknown = raw[i];
      if (!isRecord(t)) throw new TranslationError('each tool must be an object', `tools[${i}]`);
      if (t.type !== undefined && t.type !== 'function') continue; // custom tools: no IR slot
      tools.push(readFunction(t.function, `tools[${i}].function`));
    }
  }
  const functions = body.functions;
  if (functions !== undefined && functions !== null) {
    if (!Array.isArray(functions))
      throw new TranslationError('functions must be an array', 'functions');
    for (let i = 0; i < functions.length; i++) {
      tools.push(readFunction(functions[i], `functions[${i}]`));
    }
    if (raw === undefined || raw === null) ctx.state[STATE_LEGACY_FUNCTIONS] = true;
  }
  return tools.length > 0 ? tools : undefined;
}

function readFunction(fn: unknown, path: string): IRTool {
  if (!isRecord(fn) || typeof fn.name !== 'string') {
    throw new TranslationError('each function needs a name', `${path}.name`);
  }
  const tool: IRTool = {
    name: fn.name,
    parameters: isRecord(fn.parameters) ? fn.parameters : {},
  };
  const description = str(fn.description);
  if (description !== undefined) tool.description = description;
  if (typeof fn.strict === 'boolean') tool.strict = fn.strict;
  return tool;
}

function parseToolChoice(choice: unknown): IRToolChoice | undefined {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  if (!isRecord(choice)) return undefined;
  if (choice.type === 'function' && isRecord(choice.function)) {
    const name = str(choice.function.name);
    return name === undefined ? undefined : { type: 'tool', name };
  }
  if (choice.type === 'allowed_tools' && isRecord(choice.allowed_tools)) {
    // The IR has no allow-list; keep the mode.
    return choice.allowed_tools.mode === 'required' ? { type: 'required' } : { type: 'auto' };
  }
  // Legacy function_call: {"name": "..."}
  const name = str(choice.name);
  return name === undefined ? undefined : { type: 'tool', name };
}

function parseReasoning(effort: unknown): IRReasoning | undefined {
  if (!isReasoningLevel(effort)) return undefined;
  // An OpenAI client that asks for reasoning wants it back (reasoning_content) when the upstream
  // can return it.
  return { level: effort, includeThoughts: effort !== 'none' };
}

/**
 * `stream` and `stream_options` for both OpenAI request formats: a stream always asks for the
 * usage chunk (the gateway accounts usage from it); a non-stream request drops stream_options,
 * which the API rejects there.
 */
export function writeStreamFlags(out: Record<string, unknown>, stream: boolean): void {
  if (stream) {
    out.stream = true;
    const passed = out.stream_options;
    out.stream_options = isRecord(passed)
      ? { ...passed, include_usage: true }
      : { include_usage: true };
  } else {
    delete out.stream_options;
  }
}

/**
 * The sampling fields Chat Completions and legacy Completions share: temperature, top_p,
 * max_tokens, stop (string or array), n, seed and the two penalties.
 */
export function readCommonSampling(body: Record<string, unknown>): IRSampling {
  const s: IRSampling = {};
  const temperature = num(body.temperature);
  if (temperature !== undefined) s.temperature = temperature;
  const topP = num(body.top_p);
  if (topP !== undefined) s.topP = topP;
  const maxTokens = num(body.max_tokens);
  if (maxTokens !== undefined) s.maxTokens = maxTokens;
  const stop = body.stop;
  if (typeof stop === 'string') s.stop = [stop];
  else if (Array.isArray(stop)) {
    const list = stop.filter((v): v is string => typeof v === 'string');
    if (list.length > 0) s.stop = list;
  }
  const n = num(body.n);
  if (n !== undefined) s.n = n;
  const seed = num(body.seed);
  if (seed !== undefined) s.seed = seed;
  const presence = num(body.presence_penalty);
  if (presence !== undefined) s.presencePenalty = presence;
  const frequency = num(body.frequency_penalty);
  if (frequency !== undefined) s.frequencyPenalty = frequency;
  return s;
}

/** Write the sampling fields both OpenAI request formats share after the token limit. */
export function writeCommonSampling(out: Record<string, unknown>, s: IRSampling): void {
  if (s.stop && s.stop.length > 0) out.stop = s.stop;
  if (s.n !== undefined) out.n = s.n;
  if (s.seed !== undefined) out.seed = s.seed;
  if (s.presencePenalty !== undefined) out.presence_penalty = s.presencePenalty;
  if (s.frequencyPenalty !== undefined) out.frequency_penalty = s.frequencyPenalty;
}

function parseSampling(body: Record<string, unknown>, ctx: TranslationContext): IRSampling {
  const s = readCommonSampling(body);
  const topK = num(body.top_k);
  if (topK !== undefined) s.topK = topK;
  const maxCompletion = num(body.max_completion_tokens);
  if (maxCompletion !== undefined) {
    s.maxTokens = maxCompletion;
    ctx.state[STATE_MAX_TOKENS_FIELD] = 'max_completion_tokens';
  }
  return s;
}

function parseResponseFormat(format: unknown): IRResponseFormat | undefined {
  if (!isRecord(format)) return undefined;
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const spec = format.json_schema;
      if (!isRecord(spec)) {
        throw new TranslationError('json_schema is required', 'response_format.json_schema');
      }
      const out: IRResponseFormat = {
        type: 'json_schema',
        schema: isRecord(spec.schema) ? spec.schema : {},
      };
      const name = str(spec.name);
      if (name !== undefined) out.name = name;
      if (typeof spec.strict === 'boolean') out.strict = spec.strict;
      return out;
    }
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Building: IR → Chat Completions body
// ---------------------------------------------------------------------------------------------

/** A Chat Completions message as we emit it. */
type WireMessage = Record<string, unknown> & { role: string };

/** Build a Chat Completions request body from the IR (for OpenAI-compatible upstreams). */
export function buildOpenAIRequest(
  ir: IRRequest,
  ctx: TranslationContext,
): Record<string, unknown> {
  const sameFormat = ir.sourceFormat === 'openai';
  const out: Record<string, unknown> = { model: ir.model };
  if (sameFormat) {
    for (const key in ir.extra) out[key] = ir.extra[key];
  }
  out.messages = buildMessages(ir, ctx, sameFormat);

  if (ir.tools && ir.tools.length > 0) {
    out.tools = ir.tools.map((tool) => {
      const fn: Record<string, unknown> = { name: shortenToolName(tool.name, ctx) };
      if (tool.description !== undefined) fn.description = tool.description;
      // A parameterless tool still needs an object schema on stricter OpenAI-compatible hosts.
      fn.parameters =
        Object.keys(tool.parameters).length > 0
          ? tool.parameters
          : { type: 'object', properties: {} };
      if (tool.strict !== undefined) fn.strict = tool.strict;
      return { type: 'function', function: fn };
    });
    // The API rejects parallel_tool_calls and tool_choice without tools.
    if (ir.parallelToolCalls !== undefined) out.parallel_tool_calls = ir.parallelToolCalls;
    if (ir.toolChoice) {
      const choice = ir.toolChoice;
      out.tool_choice =
        choice.type === 'tool'
          ? { type: 'function', function: { name: shortenToolName(choice.name, ctx) } }
          : choice.type;
    }
  }

  const effort = reasoningEffort(ir);
  if (effort !== undefined) out.reasoning_effort = effort;

  const s = ir.sampling;
  if (s.temperature !== undefined) out.temperature = s.temperature;
  if (s.topP !== undefined) out.top_p = s.topP;
  // top_k is not part of the OpenAI API (api.openai.com rejects it); only echo a client's own.
  if (s.topK !== undefined && sameFormat) out.top_k = s.topK;
  if (s.maxTokens !== undefined) {
    // max_tokens is what every OpenAI-compatible host understands; max_completion_tokens only
    // when the client itself used it (OpenAI reasoning models require it).
    const field =
      sameFormat && ctx.state[STATE_MAX_TOKENS_FIELD] === 'max_completion_tokens'
        ? 'max_completion_tokens'
        : 'max_tokens';
    out[field] = s.maxTokens;
  }
  writeCommonSampling(out, s);

  if (ir.responseFormat) out.response_format = buildResponseFormat(ir.responseFormat);

  writeStreamFlags(out, ir.stream);

  if (ir.user !== undefined) out.user = ir.user;
  if (ir.metadata && OPENAI_FAMILY.has(ir.sourceFormat)) out.metadata = ir.metadata;
  return out;
}

/**
 * reasoning_effort for a level: 'auto' has no OpenAI spelling (the model decides when the field is
 * absent); 'max' is only sent when an OpenAI client asked for it, other sources get 'xhigh', the
 * top level OpenAI-compatible hosts commonly accept.
 */
function reasoningEffort(ir: IRRequest): string | undefined {
  const level = reasoningLevel(ir.reasoning);
  if (level === undefined || level === 'auto') return undefined;
  if (level === 'max' && ir.sourceFormat !== 'openai') return 'xhigh';
  return level;
}

function buildResponseFormat(format: IRResponseFormat): Record<string, unknown> {
  if (format.type !== 'json_schema') return { type: format.type };
  const spec: Record<string, unknown> = { name: format.name ?? 'response', schema: format.schema };
  if (format.strict !== undefined) spec.strict = format.strict;
  return { type: 'json_schema', json_schema: spec };
}

function buildMessages(ir: IRRequest, ctx: TranslationContext, sameFormat: boolean): WireMessage[] {
  const out: WireMessage[] = [];
  for (const part of ir.system) {
    out.push({ role: 'system', content: part.text });
  }
  for (const msg of ir.messages) {
    if (msg.role === 'assistant') buildAssistantMessage(msg, ctx, out);
    else buildUserMessages(msg, sameFormat, out);
  }
  return out;
}

function buildAssistantMessage(msg: IRMessage, ctx: TranslationContext, out: WireMessage[]): void {
  let text: string | undefined;
  let reasoning: string | undefined;
  let toolCalls: Record<string, unknown>[] | undefined;
  for (const part of msg.content) {
    switch (part.type) {
      case 'text':
        // Some OpenAI-compatible hosts only take string content for assistant turns.
        text = text === undefined ? part.text : `${text}\n\n${part.text}`;
        break;
      case 'reasoning':
        if (part.text !== '')
          reasoning = reasoning === undefined ? part.text : reasoning + part.text;
        break;
      case 'tool_call':
        (toolCalls ??= []).push({
          id: part.id,
          type: 'function',
          function: { name: shortenToolName(part.name, ctx), arguments: part.arguments || '{}' },
        });
        break;
      case 'image':
      case 'file':
      case 'tool_result':
        break; // not expressible in an assistant turn
    }
  }
  if (text === undefined && toolCalls === undefined && reasoning === undefined) return;
  const wire: WireMessage = { role: 'assistant', content: text ?? null };
  // Reasoning hosts (DeepSeek, Kimi, Qwen) want their reasoning back with tool-call turns.
  if (reasoning !== undefined) wire.reasoning_content = reasoning;
  if (toolCalls) wire.tool_calls = toolCalls;
  if (msg.name !== undefined) wire.name = msg.name;
  out.push(wire);
}

function buildUserMessages(msg: IRMessage, sameFormat: boolean, out: WireMessage[]): void {
  const content: Record<string, unknown>[] = [];
  let plainText = true;
  for (const part of msg.content) {
    if (part.type === 'tool_result') {
      // Tool messages carry text only; images and files travel in the following user message.
      const texts: IRTextPart[] = [];
      for (const item of part.content) {
        if (item.type === 'text') texts.push(item);
        else {
          content.push(buildUserPart(item, sameFormat));
          plainText = false;
        }
      }
      out.push({ role: 'tool', tool_call_id: part.callId, content: toolResultContent(texts) });
      continue;
    }
    if (part.type === 'tool_call' || part.type === 'reasoning') continue; // not valid in a user turn
    content.push(buildUserPart(part, sameFormat));
    if (part.type !== 'text' || (sameFormat && part.extra)) plainText = false;
  }
  if (content.length === 0) return;
  const wire: WireMessage = {
    role: 'user',
    content: plainText && content.length === 1 ? content[0].text : content,
  };
  if (msg.name !== undefined) wire.name = msg.name;
  out.push(wire);
}

function toolResultContent(texts: IRTextPart[]): string | Record<string, unknown>[] {
  if (texts.length === 0) return '';
  if (texts.length === 1) return texts[0].text;
  return texts.map((t) => ({ type: 'text', text: t.text }));
}

function buildUserPart(
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
