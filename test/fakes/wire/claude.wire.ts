import { asArray, asString, isObject, type JsonObject } from '../json.util';
import {
  CharTally,
  base62Id,
  estimateTokens,
  splitText,
  type FakeAnswer,
  type FakeUsage,
  type Prompt,
} from '../scenario';
import { invalidRequest } from './errors.wire';
import {
  ID_MARK,
  JSON_HEADERS,
  SSE_HEADERS,
  jsonBody,
  sseEvent,
  type Outgoing,
  type RenderOptions,
} from './wire.types';

// Anthropic Messages API.

/** A parsed Messages request. */
export interface ClaudeRequest {
  readonly prompt: Prompt;
  readonly stream: boolean;
}

function blocksText(content: unknown, tally: CharTally): { text: string; results?: string[] } {
  if (typeof content === 'string') return { text: tally.add(content) };
  const texts: string[] = [];
  let results: string[] | undefined;
  for (const block of asArray(content)) {
    if (!isObject(block)) continue;
    switch (block.type) {
      case 'text':
        texts.push(tally.add(block.text));
        break;
      case 'tool_use':
        tally.add(JSON.stringify(block.input ?? {}));
        break;
      case 'tool_result':
        (results ??= []).push(blocksText(block.content, tally).text);
        break;
      default:
        break;
    }
  }
  return { text: texts.join('\n'), results };
}

/** Reduce a Messages body to the fake's Prompt. */
export function parseClaude(body: JsonObject): ClaudeRequest {
  const tally = new CharTally();
  blocksText(body.system, tally);
  const messages = asArray(body.messages);
  let lastUserText = '';
  let toolResults: string[] | undefined;
  for (const m of messages) {
    if (!isObject(m)) continue;
    const { text, results } = blocksText(m.content, tally);
    toolResults = m.role === 'user' ? results : undefined;
    if (m.role === 'user' && (text || !results)) lastUserText = text;
  }
  const toolNames: string[] = [];
  for (const t of asArray(body.tools)) {
    // Server tools (web_search_20250305...) carry a versioned type; client tools have none.
    if (isObject(t) && (t.type === undefined || t.type === 'custom')) {
      const name = asString(t.name);
      if (name) toolNames.push(name);
    }
  }
  const thinking = isObject(body.thinking) ? body.thinking.type : undefined;
  return {
    prompt: {
      model: asString(body.model) ?? '',
      lastUserText,
      toolNames,
      toolResults,
      reasoning: thinking === 'enabled' || thinking === 'adaptive',
      promptChars: tally.chars,
      turns: messages.length,
    },
    stream: body.stream === true,
  };
}

/** The 400 the real API gives for a request missing required fields, if any. */
export function validateClaude(body: JsonObject, countOnly = false): Outgoing | undefined {
  if (typeof body.model !== 'string' || body.model === '') {
    return invalidRequest('claude', 'model: Field required');
  }
  if (!Array.isArray(body.messages)) return invalidRequest('claude', 'messages: Field required');
  if (!countOnly && typeof body.max_tokens !== 'number') {
    return invalidRequest('claude', 'max_tokens: Field required');
  }
  return undefined;
}

/** `usage` of Messages: input_tokens excludes what was read from cache. */
export function claudeUsage(u: FakeUsage): JsonObject {
  const usage: JsonObject = {
    input_tokens: u.inputTokens - u.cachedTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: u.cachedTokens,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: u.outputTokens,
    service_tier: 'standard',
  };
  if (u.reasoningTokens > 0) usage.output_tokens_details = { thinking_tokens: u.reasoningTokens };
  return usage;
}

const STOP: Readonly<Record<FakeAnswer['finish'], string>> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  length: 'max_tokens',
};

function signature(a: FakeAnswer): string {
  return `Eq${base62Id(`sig:${a.reasoning ?? ''}`, 94)}`;
}

function toolId(id: string): string {
  return `toolu_01${id.slice(0, 22)}`;
}

function toolInput(args: string): unknown {
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return {};
  }
}

/** A non-stream `message`. */
export function renderClaude(a: FakeAnswer): Outgoing {
  const content: JsonObject[] = [];
  if (a.reasoning) {
    content.push({ type: 'thinking', thinking: a.reasoning, signature: signature(a) });
  }
  if (a.text || a.toolCalls.length === 0) content.push({ type: 'text', text: a.text });
  for (const c of a.toolCalls) {
    content.push({
      type: 'tool_use',
      id: toolId(c.id),
      name: c.name,
      input: toolInput(c.arguments),
    });
  }
  return jsonBody(
    200,
    {
      id: `msg_01${ID_MARK}`,
      type: 'message',
      role: 'assistant',
      model: a.model,
      content,
      stop_reason: STOP[a.finish],
      stop_sequence: null,
      usage: claudeUsage(a.usage),
    },
    { ...JSON_HEADERS, 'request-id': `req_011C${ID_MARK}` },
  );
}

/** The Messages event stream: message_start, blocks (with a ping), message_delta, message_stop. */
export function renderClaudeStream(a: FakeAnswer, o: RenderOptions): Outgoing {
  const frames: string[] = [];
  const emit = (event: string, payload: JsonObject): void => {
    frames.push(sseEvent(event, { type: event, ...payload }));
  };
  // message_start reports input and a token or two of output; the details come at the end.
  const startUsage: JsonObject = { ...claudeUsage(a.usage), output_tokens: 1 };
  delete startUsage.output_tokens_details;
  emit('message_start', {
    message: {
      id: `msg_01${ID_MARK}`,
      type: 'message',
      role: 'assistant',
      model: a.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: startUsage,
    },
  });
  let index = 0;
  const block = (start: JsonObject, deltas: readonly JsonObject[]): void => {
    emit('content_block_start', { index, content_block: start });
    if (index === 0) emit('ping', {});
    for (const delta of deltas) emit('content_block_delta', { index, delta });
    emit('content_block_stop', { index });
    index++;
  };
  if (a.reasoning) {
    block({ type: 'thinking', thinking: '', signature: '' }, [
      ...splitText(a.reasoning, 2).map((thinking) => ({ type: 'thinking_delta', thinking })),
      { type: 'signature_delta', signature: signature(a) },
    ]);
  }
  if (a.text || a.toolCalls.length === 0) {
    block(
      { type: 'text', text: '' },
      splitText(a.text, o.chunks).map((text) => ({ type: 'text_delta', text })),
    );
  }
  for (const c of a.toolCalls) {
    // Claude opens a tool_use block with empty input and streams the JSON text, starting with "".
    block({ type: 'tool_use', id: toolId(c.id), name: c.name, input: {} }, [
      { type: 'input_json_delta', partial_json: '' },
      ...splitText(c.arguments, Math.max(2, o.chunks)).map((partial_json) => ({
        type: 'input_json_delta',
        partial_json,
      })),
    ]);
  }
  const u = claudeUsage(a.usage);
  emit('message_delta', {
    delta: { stop_reason: STOP[a.finish], stop_sequence: null },
    usage: {
      input_tokens: u.input_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: u.cache_read_input_tokens,
      output_tokens: a.usage.outputTokens,
      ...(u.output_tokens_details ? { output_tokens_details: u.output_tokens_details } : {}),
    },
  });
  emit('message_stop', {});
  return {
    type: 'stream',
    status: 200,
    headers: { ...SSE_HEADERS, 'request-id': `req_011C${ID_MARK}` },
    frames,
    framing: 'sse',
  };
}

/** `POST /v1/messages/count_tokens`. */
export function renderClaudeCount(prompt: Prompt): Outgoing {
  return jsonBody(200, { input_tokens: estimateTokens(prompt.promptChars) }, JSON_HEADERS);
}

/** `GET /v1/models` in the Anthropic shape (chosen when the caller sends `anthropic-version`). */
export function renderClaudeModels(models: readonly string[]): Outgoing {
  return jsonBody(
    200,
    {
      data: models.map((id) => ({
        type: 'model',
        id,
        display_name: id.replace(/-/g, ' '),
        created_at: '2025-05-22T00:00:00Z',
      })),
      has_more: false,
      first_id: models[0] ?? null,
      last_id: models[models.length - 1] ?? null,
    },
    JSON_HEADERS,
  );
}
