import { asArray, asString, isObject, type JsonObject } from '../json.util';
import {
  CharTally,
  base62Id,
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
  TS_MARK,
  jsonBody,
  sseEvent,
  type Outgoing,
  type RenderOptions,
} from './wire.types';

// OpenAI Responses API, also spoken by the Codex backend (`/backend-api/codex/responses`).

/** A parsed Responses request. */
export interface ResponsesRequest {
  readonly prompt: Prompt;
  readonly stream: boolean;
  /** `include` asks for `reasoning.encrypted_content` (Codex always does, with store=false). */
  readonly encryptedReasoning: boolean;
  readonly body: JsonObject;
}

function partsText(content: unknown, tally: CharTally): string {
  if (typeof content === 'string') return tally.add(content);
  const texts: string[] = [];
  for (const part of asArray(content)) {
    if (isObject(part) && typeof part.text === 'string') texts.push(tally.add(part.text));
  }
  return texts.join('\n');
}

const TOOL_OUTPUT_TYPES = new Set(['function_call_output', 'custom_tool_call_output']);

/** Reduce a Responses body to the fake's Prompt. */
export function parseResponses(body: JsonObject): ResponsesRequest {
  const tally = new CharTally();
  tally.add(body.instructions);
  let lastUserText = '';
  let turns = 1;
  let toolResults: string[] | undefined;
  if (typeof body.input === 'string') {
    lastUserText = tally.add(body.input);
  } else {
    const items = asArray(body.input);
    turns = items.length;
    const outputs: (string | undefined)[] = [];
    for (const item of items) {
      if (!isObject(item)) {
        outputs.push(undefined);
        continue;
      }
      if (typeof item.type === 'string' && TOOL_OUTPUT_TYPES.has(item.type)) {
        outputs.push(partsText(item.output, tally));
        continue;
      }
      outputs.push(undefined);
      if (item.type === 'function_call' || item.type === 'custom_tool_call') {
        tally.add(item.arguments);
        tally.add(item.input);
      } else if (item.role !== undefined) {
        const text = partsText(item.content, tally);
        if (item.role === 'user') lastUserText = text;
      }
    }
    for (let i = outputs.length - 1; i >= 0; i--) {
      const out = outputs[i];
      if (out === undefined) break;
      (toolResults ??= []).unshift(out);
    }
  }
  const toolNames: string[] = [];
  for (const t of asArray(body.tools)) {
    const name = isObject(t) && t.type === 'function' ? asString(t.name) : undefined;
    if (name) toolNames.push(name);
  }
  const reasoning = isObject(body.reasoning) && body.reasoning.effort !== 'none';
  return {
    prompt: {
      model: asString(body.model) ?? '',
      lastUserText,
      toolNames,
      toolResults,
      reasoning,
      promptChars: tally.chars,
      turns,
    },
    stream: body.stream === true,
    encryptedReasoning: asArray(body.include).includes('reasoning.encrypted_content'),
    body,
  };
}

/** The 400 the real API gives for a request missing required fields, if any. */
export function validateResponses(body: JsonObject): Outgoing | undefined {
  if (typeof body.model !== 'string' || body.model === '') {
    return invalidRequest('openai', "Missing required parameter: 'model'.");
  }
  return undefined;
}

/** The 400s of the ChatGPT Codex backend, which only takes stateless streamed requests. */
export function validateCodex(body: JsonObject): Outgoing | undefined {
  const detail = (d: string): Outgoing => jsonBody(400, { detail: d }, JSON_HEADERS);
  if (typeof body.instructions !== 'string') return detail('Instructions are required');
  if (body.store === true) return detail('Store must be set to false');
  if (body.stream !== true) return detail('Stream must be set to true');
  return validateResponses(body);
}

/** `usage` of the Responses API. */
export function responsesUsage(u: FakeUsage): JsonObject {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedTokens },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens },
    total_tokens: u.totalTokens,
  };
}

/** The API pads every delta event to a similar size so lengths do not leak tokens. */
function pad(delta: string): string {
  return 'x'.repeat(Math.max(1, 16 - delta.length));
}

function encryptedContent(a: FakeAnswer): string {
  return `gAAAAAB${base62Id(`enc:${a.reasoning ?? ''}`, 64)}`;
}

function reasoningItem(a: FakeAnswer, req: ResponsesRequest, done: boolean): JsonObject {
  const item: JsonObject = {
    id: `rs_${ID_MARK}`,
    type: 'reasoning',
    summary: done ? [{ type: 'summary_text', text: a.reasoning }] : [],
  };
  if (req.encryptedReasoning) item.encrypted_content = encryptedContent(a);
  return item;
}

function messageItem(text: string, done: boolean): JsonObject {
  return {
    id: `msg_${ID_MARK}`,
    type: 'message',
    status: done ? 'completed' : 'in_progress',
    content: done ? [{ type: 'output_text', annotations: [], logprobs: [], text }] : [],
    role: 'assistant',
  };
}

function callItem(a: FakeAnswer, i: number, done: boolean): JsonObject {
  const c = a.toolCalls[i];
  return {
    id: `fc_${ID_MARK}${i}`,
    type: 'function_call',
    status: done ? 'completed' : 'in_progress',
    arguments: done ? c.arguments : '',
    call_id: `call_${c.id}`,
    name: c.name,
  };
}

function outputItems(a: FakeAnswer, req: ResponsesRequest): JsonObject[] {
  const out: JsonObject[] = [];
  if (a.reasoning) out.push(reasoningItem(a, req, true));
  if (a.text || a.toolCalls.length === 0) out.push(messageItem(a.text, true));
  for (let i = 0; i < a.toolCalls.length; i++) out.push(callItem(a, i, true));
  return out;
}

function responseObject(a: FakeAnswer, req: ResponsesRequest, final: boolean): JsonObject {
  const b = req.body;
  const r = isObject(b.reasoning) ? b.reasoning : undefined;
  return {
    id: `resp_${ID_MARK}`,
    object: 'response',
    created_at: TS_MARK,
    status: final ? (a.finish === 'length' ? 'incomplete' : 'completed') : 'in_progress',
    background: false,
    error: null,
    incomplete_details: final && a.finish === 'length' ? { reason: 'max_output_tokens' } : null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    max_tool_calls: null,
    model: a.model,
    output: final ? outputItems(a, req) : [],
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    prompt_cache_key: b.prompt_cache_key ?? null,
    reasoning: { effort: r?.effort ?? null, summary: r?.summary ?? null },
    safety_identifier: null,
    service_tier: 'default',
    store: b.store ?? true,
    temperature: b.temperature ?? 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: b.tool_choice ?? 'auto',
    tools: b.tools ?? [],
    top_logprobs: 0,
    top_p: b.top_p ?? 1,
    truncation: 'disabled',
    usage: final ? responsesUsage(a.usage) : null,
    user: null,
    metadata: b.metadata ?? {},
  };
}

/** A non-stream `response` object. */
export function renderResponses(a: FakeAnswer, req: ResponsesRequest): Outgoing {
  return jsonBody(200, responseObject(a, req, true), JSON_HEADERS);
}

/** The Responses event stream: every event named, typed and numbered by `sequence_number`. */
export function renderResponsesStream(
  a: FakeAnswer,
  req: ResponsesRequest,
  o: RenderOptions,
): Outgoing {
  const frames: string[] = [];
  let seq = 0;
  const emit = (type: string, payload: JsonObject): void => {
    frames.push(sseEvent(type, { type, sequence_number: seq++, ...payload }));
  };
  emit('response.created', { response: responseObject(a, req, false) });
  emit('response.in_progress', { response: responseObject(a, req, false) });
  let index = 0;
  if (a.reasoning) {
    const item_id = `rs_${ID_MARK}`;
    const output_index = index++;
    const pos = { item_id, output_index, summary_index: 0 };
    emit('response.output_item.added', { output_index, item: reasoningItem(a, req, false) });
    emit('response.reasoning_summary_part.added', {
      ...pos,
      part: { type: 'summary_text', text: '' },
    });
    for (const delta of splitText(a.reasoning, 2)) {
      emit('response.reasoning_summary_text.delta', { ...pos, delta, obfuscation: pad(delta) });
    }
    emit('response.reasoning_summary_text.done', { ...pos, text: a.reasoning });
    emit('response.reasoning_summary_part.done', {
      ...pos,
      part: { type: 'summary_text', text: a.reasoning },
    });
    emit('response.output_item.done', { output_index, item: reasoningItem(a, req, true) });
  }
  if (a.text || a.toolCalls.length === 0) {
    const item_id = `msg_${ID_MARK}`;
    const output_index = index++;
    const pos = { item_id, output_index, content_index: 0 };
    emit('response.output_item.added', { output_index, item: messageItem('', false) });
    emit('response.content_part.added', {
      ...pos,
      part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
    });
    for (const delta of splitText(a.text, o.chunks)) {
      emit('response.output_text.delta', { ...pos, delta, logprobs: [], obfuscation: pad(delta) });
    }
    emit('response.output_text.done', { ...pos, text: a.text, logprobs: [] });
    emit('response.content_part.done', {
      ...pos,
      part: { type: 'output_text', annotations: [], logprobs: [], text: a.text },
    });
    emit('response.output_item.done', { output_index, item: messageItem(a.text, true) });
  }
  for (let i = 0; i < a.toolCalls.length; i++) {
    const c = a.toolCalls[i];
    const item_id = `fc_${ID_MARK}${i}`;
    const output_index = index++;
    emit('response.output_item.added', { output_index, item: callItem(a, i, false) });
    for (const delta of splitText(c.arguments, Math.max(2, o.chunks))) {
      emit('response.function_call_arguments.delta', {
        item_id,
        output_index,
        delta,
        obfuscation: pad(delta),
      });
    }
    emit('response.function_call_arguments.done', {
      item_id,
      output_index,
      name: c.name,
      arguments: c.arguments,
    });
    emit('response.output_item.done', { output_index, item: callItem(a, i, true) });
  }
  const final = responseObject(a, req, true);
  emit(a.finish === 'length' ? 'response.incomplete' : 'response.completed', { response: final });
  return { type: 'stream', status: 200, headers: SSE_HEADERS, frames, framing: 'sse' };
}

/** `POST /responses/compact`: the history comes back as kept user messages plus one opaque item. */
export function renderCompact(req: ResponsesRequest): Outgoing {
  const kept: JsonObject[] = [];
  for (const item of asArray(req.body.input)) {
    if (isObject(item) && item.role === 'user') {
      kept.push({
        id: `msg_${ID_MARK}${kept.length}`,
        type: 'message',
        status: 'completed',
        content: [{ type: 'input_text', text: partsText(item.content, new CharTally()) }],
        role: 'user',
      });
    }
  }
  if (typeof req.body.input === 'string') {
    kept.push({
      id: `msg_${ID_MARK}0`,
      type: 'message',
      status: 'completed',
      content: [{ type: 'input_text', text: req.body.input }],
      role: 'user',
    });
  }
  const input = Math.max(1, Math.ceil(req.prompt.promptChars / 4));
  const output = 16;
  return jsonBody(
    200,
    {
      id: `resp_${ID_MARK}`,
      object: 'response.compaction',
      created_at: TS_MARK,
      output: [
        ...kept,
        {
          id: `cmp_${ID_MARK}`,
          type: 'compaction',
          encrypted_content: `gAAAAAB${base62Id(`cmp:${req.prompt.lastUserText}`, 48)}`,
        },
      ],
      usage: responsesUsage({
        inputTokens: input,
        cachedTokens: 0,
        outputTokens: output,
        reasoningTokens: 0,
        totalTokens: input + output,
      }),
    },
    JSON_HEADERS,
  );
}
