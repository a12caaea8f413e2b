import { asArray, asString, isObject, type JsonObject } from '../json.util';
import { CharTally, splitText, type FakeAnswer, type FakeUsage, type Prompt } from '../scenario';
import { invalidRequest } from './errors.wire';
import {
  ID_MARK,
  JSON_HEADERS,
  SSE_HEADERS,
  TS_MARK,
  jsonBody,
  sseData,
  type Outgoing,
  type RenderOptions,
} from './wire.types';

// OpenAI Chat Completions (and every OpenAI-compatible host: Qwen, iFlow, Kimi...).

/** A parsed chat-completions request. */
export interface ChatRequest {
  readonly prompt: Prompt;
  readonly stream: boolean;
  /** `stream_options.include_usage`: a last chunk with `choices: []` and the usage. */
  readonly includeUsage: boolean;
}

/** Text of a chat `content`: a string, or the text parts of an array. */
function contentText(content: unknown, tally: CharTally): string {
  if (typeof content === 'string') return tally.add(content);
  const texts: string[] = [];
  for (const part of asArray(content)) {
    if (isObject(part) && (part.type === 'text' || part.type === undefined)) {
      texts.push(tally.add(part.text));
    }
  }
  return texts.join('\n');
}

/** Reduce a chat-completions body to the fake's Prompt. */
export function parseChat(body: JsonObject): ChatRequest {
  const tally = new CharTally();
  const messages = asArray(body.messages);
  let lastUserText = '';
  const texts: string[] = [];
  for (const m of messages) {
    if (!isObject(m)) {
      texts.push('');
      continue;
    }
    const text = contentText(m.content, tally);
    texts.push(text);
    if (m.role === 'user') lastUserText = text;
    for (const call of asArray(m.tool_calls)) {
      if (isObject(call) && isObject(call.function)) tally.add(call.function.arguments);
    }
  }
  let toolResults: string[] | undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!isObject(m) || (m.role !== 'tool' && m.role !== 'function')) break;
    (toolResults ??= []).unshift(texts[i]);
  }
  const toolNames: string[] = [];
  for (const t of asArray(body.tools)) {
    if (isObject(t) && t.type === 'function' && isObject(t.function)) {
      const name = asString(t.function.name);
      if (name) toolNames.push(name);
    }
  }
  for (const f of asArray(body.functions)) {
    const name = isObject(f) ? asString(f.name) : undefined;
    if (name) toolNames.push(name);
  }
  const effort =
    asString(body.reasoning_effort) ??
    (isObject(body.reasoning) ? asString(body.reasoning.effort) : undefined);
  const reasoning = (effort !== undefined && effort !== 'none') || body.enable_thinking === true;
  const streamOptions = isObject(body.stream_options) ? body.stream_options : undefined;
  return {
    prompt: {
      model: asString(body.model) ?? '',
      lastUserText,
      toolNames,
      toolResults,
      reasoning,
      promptChars: tally.chars,
      turns: messages.length,
    },
    stream: body.stream === true,
    includeUsage: streamOptions?.include_usage === true,
  };
}

/** The 400 the real API gives for a request missing required fields, if any. */
export function validateChat(body: JsonObject): Outgoing | undefined {
  if (typeof body.model !== 'string' || body.model === '') {
    return invalidRequest('openai', 'you must provide a model parameter');
  }
  if (!Array.isArray(body.messages)) {
    return invalidRequest('openai', "Missing required parameter: 'messages'.");
  }
  if (body.messages.length === 0) {
    return invalidRequest(
      'openai',
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    );
  }
  return undefined;
}

/** `usage` of chat completions. */
export function chatUsage(u: FakeUsage): JsonObject {
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.totalTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const FINISH: Readonly<Record<FakeAnswer['finish'], string>> = {
  stop: 'stop',
  tool_calls: 'tool_calls',
  length: 'length',
};

const FINGERPRINT = 'fp_f4ke0000c1';

/** A non-stream `chat.completion`. */
export function renderChat(a: FakeAnswer): Outgoing {
  const message: JsonObject = {
    role: 'assistant',
    content: a.toolCalls.length > 0 && !a.text ? null : a.text,
  };
  if (a.reasoning) message.reasoning_content = a.reasoning;
  if (a.toolCalls.length > 0) {
    message.tool_calls = a.toolCalls.map((c) => ({
      id: `call_${c.id}`,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  message.refusal = null;
  message.annotations = [];
  return jsonBody(
    200,
    {
      id: `chatcmpl-${ID_MARK}`,
      object: 'chat.completion',
      created: TS_MARK,
      model: a.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH[a.finish] }],
      usage: chatUsage(a.usage),
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
    },
    JSON_HEADERS,
  );
}

/** A `chat.completion.chunk` stream, framed as the real one: `data:` lines and `data: [DONE]`. */
export function renderChatStream(a: FakeAnswer, req: ChatRequest, o: RenderOptions): Outgoing {
  const frames: string[] = [];
  const chunk = (delta: JsonObject, finish: string | null = null): void => {
    const c: JsonObject = {
      id: `chatcmpl-${ID_MARK}`,
      object: 'chat.completion.chunk',
      created: TS_MARK,
      model: a.model,
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    if (req.includeUsage) c.usage = null;
    frames.push(sseData(c));
  };
  if (a.reasoning) {
    // Reasoning hosts (DeepSeek, Qwen) null out whichever of the two fields is not streaming.
    chunk({ role: 'assistant', content: null, reasoning_content: '' });
    for (const piece of splitText(a.reasoning, 2)) {
      chunk({ content: null, reasoning_content: piece });
    }
    for (const piece of splitText(a.text, o.chunks)) {
      chunk({ content: piece, reasoning_content: null });
    }
  } else if (a.text || a.toolCalls.length === 0) {
    chunk({ role: 'assistant', content: '', refusal: null });
    for (const piece of splitText(a.text, o.chunks)) chunk({ content: piece });
  }
  a.toolCalls.forEach((c, index) => {
    // The first delta of a call names it with empty arguments; the JSON follows in fragments.
    // A tool-only answer carries the role in that same first delta, with content null.
    const head: JsonObject = {
      tool_calls: [
        { index, id: `call_${c.id}`, type: 'function', function: { name: c.name, arguments: '' } },
      ],
    };
    chunk(
      index === 0 && !a.reasoning && !a.text
        ? { role: 'assistant', content: null, ...head, refusal: null }
        : head,
    );
    for (const piece of splitText(c.arguments, Math.max(2, o.chunks))) {
      chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  });
  chunk({}, FINISH[a.finish]);
  if (req.includeUsage) {
    frames.push(
      sseData({
        id: `chatcmpl-${ID_MARK}`,
        object: 'chat.completion.chunk',
        created: TS_MARK,
        model: a.model,
        service_tier: 'default',
        system_fingerprint: FINGERPRINT,
        choices: [],
        usage: chatUsage(a.usage),
      }),
    );
  }
  frames.push('data: [DONE]\n\n');
  return { type: 'stream', status: 200, headers: SSE_HEADERS, frames, framing: 'sse' };
}

/** `GET /v1/models` in the OpenAI shape. */
export function renderOpenAIModels(models: readonly string[]): Outgoing {
  return jsonBody(
    200,
    {
      object: 'list',
      data: models.map((id) => ({ id, object: 'model', created: 1715367049, owned_by: 'system' })),
    },
    JSON_HEADERS,
  );
}
