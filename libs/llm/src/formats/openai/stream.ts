import type { StreamDecoder, StreamEncoder, TranslationContext } from '@app/llm/codec';
import type { IRStreamEvent, IRUsage, SSEEvent } from '@app/llm/ir/types';
import { formatSSE } from '@app/llm/sse/sse-parser';
import { newId, nowSeconds } from '@app/llm/util/ids';
import { isRecord } from '@app/llm/util/json';
import { restoreToolName } from '@app/llm/util/tool-names';
import { buildOpenAIError, streamErrorEvent } from '@app/llm/formats/openai/error';
import {
  buildUsage,
  parseFinishReason,
  parseUsage,
  toFinishReason,
} from '@app/llm/formats/openai/response';
import { STATE_LEGACY_FUNCTIONS, idWithPrefix, num, str } from '@app/llm/formats/openai/wire';

/** The terminator every OpenAI stream ends with. */
export const DONE_FRAME = formatSSE('[DONE]');

// ---------------------------------------------------------------------------------------------
// Decoder: chat.completion.chunk (and legacy text_completion chunks) → IR events
// ---------------------------------------------------------------------------------------------

interface OpenCall {
  callIndex: number;
  id: string;
  open: boolean;
}

/** Tool-call bookkeeping for one choice. */
interface ChoiceCalls {
  /** Wire key (OpenAI tool_calls[].index, or a synthetic one) → call. */
  byKey: Map<number, OpenCall>;
  next: number;
  lastKey: number;
  finished: boolean;
}

/** Frames that end an OpenAI-family stream with an error: the error chunk, then `[DONE]`. */
export function openAIErrorFrames(event: Extract<IRStreamEvent, { type: 'error' }>): string[] {
  const body = buildOpenAIError({
    status: event.status,
    type: event.errorType,
    message: event.message,
  });
  return [formatSSE(JSON.stringify(body)), DONE_FRAME];
}

/**
 * Frames that end an OpenAI-family stream: a usage chunk (`choices: []`, built on the encoder's
 * chunk prefix) when usage is given, then `[DONE]`.
 */
export function openAIEndFrames(prefix: string, usage: IRUsage | undefined): string[] {
  return usage
    ? [`${prefix}],"usage":${JSON.stringify(buildUsage(usage))}}\n\n`, DONE_FRAME]
    : [DONE_FRAME];
}

/** Decodes an OpenAI-compatible chat stream into IR events. */
export class OpenAIStreamDecoder implements StreamDecoder {
  private started = false;
  private ended = false;
  private readonly choices = new Map<number, ChoiceCalls>();

  constructor(private readonly ctx: TranslationContext) {}

  push(event: SSEEvent): IRStreamEvent[] {
    if (this.ended) return [];
    const data = event.data;
    if (data.startsWith('[DONE]')) return this.finishStream();
    if (data === '') return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return []; // keep-alive noise from some hosts; a real failure arrives as an error payload
    }
    if (!isRecord(chunk)) return [];
    if (event.event === 'error' || (chunk.error !== undefined && chunk.error !== null)) {
      return [streamErrorEvent(chunk)];
    }

    const out: IRStreamEvent[] = [];
    if (!this.started) {
      this.started = true;
      out.push({
        type: 'start',
        id: str(chunk.id) ?? newId('chatcmpl-'),
        model: str(chunk.model) ?? this.ctx.upstreamModel,
        created: num(chunk.created) ?? nowSeconds(),
      });
    }
    const choices = chunk.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        if (isRecord(choice)) this.readChoice(choice, out);
      }
    }
    const usage = parseUsage(chunk.usage);
    if (usage) out.push({ type: 'usage', usage });
    return out;
  }

  end(): IRStreamEvent[] {
    if (this.ended) return [];
    return this.finishStream();
  }

  private finishStream(): IRStreamEvent[] {
    this.ended = true;
    const out: IRStreamEvent[] = [];
    for (const [index, calls] of this.choices) this.closeCalls(index, calls, out);
    out.push({ type: 'end' });
    return out;
  }

  private readChoice(choice: Record<string, unknown>, out: IRStreamEvent[]): void {
    const index = num(choice.index) ?? 0;
    const candidate = index === 0 ? undefined : index;
    const delta = choice.delta;
    if (isRecord(delta)) {
      const reasoning = str(delta.reasoning_content) ?? str(delta.reasoning);
      if (reasoning) {
        out.push(withCandidate({ type: 'reasoning_delta', text: reasoning }, candidate));
      }
      const content = str(delta.content);
      if (content) out.push(withCandidate({ type: 'text_delta', text: content }, candidate));
      const refusal = str(delta.refusal);
      if (refusal) out.push(withCandidate({ type: 'text_delta', text: refusal }, candidate));
      if (Array.isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls) {
          if (isRecord(call)) this.readToolCall(index, call, out);
        }
      }
      if (isRecord(delta.function_call)) {
        // Legacy streams carry one call without an id, its arguments spread over chunks.
        this.readToolCall(index, { index: 0, function: delta.function_call }, out);
      }
    } else {
      const text = str(choice.text); // legacy text_completion chunk
      if (text) out.push(withCandidate({ type: 'text_delta', text }, candidate));
    }

    const finish = str(choice.finish_reason);
    if (finish) {
      let calls = this.choices.get(index);
      // Some hosts repeat finish_reason on the usage chunk; one finish per choice.
      if (calls?.finished) return;
      let reason = parseFinishReason(finish);
      // Some compatible hosts say "stop" after tool calls; downstream formats need the truth.
      if (reason === 'stop' && calls !== undefined && calls.next > 0) reason = 'tool_calls';
      if (calls) this.closeCalls(index, calls, out);
      else {
        calls = { byKey: new Map(), next: 0, lastKey: 0, finished: false };
        this.choices.set(index, calls);
      }
      calls.finished = true;
      out.push(withCandidate({ type: 'finish', stopReason: reason }, candidate));
    }
  }

  private readToolCall(index: number, call: Record<string, unknown>, out: IRStreamEvent[]): void {
    let calls = this.choices.get(index);
    if (!calls) {
      calls = { byKey: new Map(), next: 0, lastKey: 0, finished: false };
      this.choices.set(index, calls);
    }
    const candidate = index === 0 ? undefined : index;
    const id = str(call.id) || undefined;
    const fn = isRecord(call.function) ? call.function : undefined;
    // Hosts that omit the index: a new id starts a new call, otherwise it continues the last one.
    const wireIndex = num(call.index);
    const key = wireIndex ?? (id !== undefined ? -1 - calls.next : calls.lastKey);
    calls.lastKey = key;

    let state = calls.byKey.get(key);
    // A different id at a known index is a new call (hosts that number every call 0).
    if (!state || (id !== undefined && id !== state.id)) {
      if (state?.open) {
        state.open = false;
        out.push(withCandidate({ type: 'tool_call_end', callIndex: state.callIndex }, candidate));
      }
      state = { callIndex: calls.next++, id: id ?? newId('call_'), open: true };
      calls.byKey.set(key, state);
      out.push(
        withCandidate(
          {
            type: 'tool_call_start',
            callIndex: state.callIndex,
            id: state.id,
            name: restoreToolName(str(fn?.name) ?? '', this.ctx),
          },
          candidate,
        ),
      );
    }
    const args = str(fn?.arguments);
    if (args) {
      out.push(
        withCandidate(
          { type: 'tool_call_delta', callIndex: state.callIndex, argumentsDelta: args },
          candidate,
        ),
      );
    }
  }

  private closeCalls(index: number, calls: ChoiceCalls, out: IRStreamEvent[]): void {
    const candidate = index === 0 ? undefined : index;
    for (const state of calls.byKey.values()) {
      if (!state.open) continue;
      state.open = false;
      out.push(withCandidate({ type: 'tool_call_end', callIndex: state.callIndex }, candidate));
    }
  }
}

function withCandidate<T extends IRStreamEvent & { candidate?: number }>(
  event: T,
  candidate: number | undefined,
): T {
  if (candidate !== undefined) event.candidate = candidate;
  return event;
}

// ---------------------------------------------------------------------------------------------
// Encoder: IR events → chat.completion.chunk frames
// ---------------------------------------------------------------------------------------------

/** Per-choice encoder state. */
interface ChoiceState {
  roleSent: boolean;
  /** IR callIndex → OpenAI tool_calls[].index (dense, in order of appearance). */
  toolIndexes: Map<number, number>;
  finished: boolean;
  /** Legacy mode: the callIndex rendered as function_call (the legacy API has one call). */
  legacyCall?: number;
}

/** Encodes IR events as an OpenAI chat stream (`data: {chunk}` … `data: [DONE]`). */
export class OpenAIStreamEncoder implements StreamEncoder {
  readonly contentType = 'text/event-stream';
  /** `data: {"id":…,"choices":[` — constant for the whole stream once started. */
  private prefix = '';
  private done = false;
  private usage: IRUsage | undefined;
  private readonly choices = new Map<number, ChoiceState>();
  private readonly legacy: boolean;

  constructor(private readonly ctx: TranslationContext) {
    this.legacy = ctx.state[STATE_LEGACY_FUNCTIONS] === true;
  }

  push(event: IRStreamEvent): string[] {
    if (this.done) return [];
    const out: string[] = [];
    if (this.prefix === '') this.begin(event.type === 'start' ? event : undefined, out);
    switch (event.type) {
      case 'start':
        break; // handled by begin()
      case 'text_delta':
        this.delta(event.candidate ?? 0, { content: event.text }, out);
        break;
      case 'reasoning_delta':
        this.delta(event.candidate ?? 0, { reasoning_content: event.text }, out);
        break;
      case 'reasoning_signature':
        break; // no OpenAI equivalent
      case 'tool_call_start':
        this.toolCallStart(event.candidate ?? 0, event.callIndex, event.id, event.name, out);
        break;
      case 'tool_call_delta':
        this.toolCallDelta(event.candidate ?? 0, event.callIndex, event.argumentsDelta, out);
        break;
      case 'tool_call_end':
        break;
      case 'finish':
        this.finish(event.candidate ?? 0, event.stopReason, out);
        break;
      case 'usage':
        this.usage = event.usage;
        break;
      case 'error':
        out.push(...openAIErrorFrames(event));
        this.done = true;
        break;
      case 'end':
        out.push(...openAIEndFrames(this.prefix, this.ctx.includeUsage ? this.usage : undefined));
        this.done = true;
        break;
    }
    return out;
  }

  private begin(start: Extract<IRStreamEvent, { type: 'start' }> | undefined, out: string[]): void {
    const id = idWithPrefix(start?.id, 'chatcmpl-');
    const model = this.ctx.requestedModel || start?.model || this.ctx.upstreamModel;
    const created = start?.created || nowSeconds();
    this.prefix =
      `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},` +
      `"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":[`;
    // The first chunk announces the assistant role, as the API does.
    if (start) this.ensureRole(0, out);
  }

  private choice(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (!state) {
      state = { roleSent: false, toolIndexes: new Map(), finished: false };
      this.choices.set(index, state);
    }
    return state;
  }

  private ensureRole(index: number, out: string[]): ChoiceState {
    const state = this.choice(index);
    if (!state.roleSent) {
      state.roleSent = true;
      out.push(this.frame(index, '{"role":"assistant","content":"","refusal":null}', 'null'));
    }
    return state;
  }

  private frame(index: number, delta: string, finishReason: string): string {
    return `${this.prefix}{"index":${index},"delta":${delta},"logprobs":null,"finish_reason":${finishReason}}]}\n\n`;
  }

  private delta(index: number, delta: Record<string, unknown>, out: string[]): void {
    const state = this.ensureRole(index, out);
    if (state.finished) return; // nothing may follow a choice's finish_reason
    out.push(this.frame(index, JSON.stringify(delta), 'null'));
  }

  private toolCallStart(
    index: number,
    callIndex: number,
    id: string,
    name: string,
    out: string[],
  ): void {
    const state = this.ensureRole(index, out);
    if (state.finished || state.toolIndexes.has(callIndex)) return;
    const wireIndex = state.toolIndexes.size;
    state.toolIndexes.set(callIndex, wireIndex);
    if (this.legacy) {
      if (state.legacyCall !== undefined) return;
      state.legacyCall = callIndex;
      out.push(
        this.frame(index, JSON.stringify({ function_call: { name, arguments: '' } }), 'null'),
      );
      return;
    }
    const call = {
      index: wireIndex,
      id: id || newId('call_'),
      type: 'function',
      function: { name, arguments: '' },
    };
    out.push(this.frame(index, JSON.stringify({ tool_calls: [call] }), 'null'));
  }

  private toolCallDelta(index: number, callIndex: number, args: string, out: string[]): void {
    let state = this.choice(index);
    if (!state.toolIndexes.has(callIndex)) {
      // A delta without its start: open the call so the client can still assemble it.
      this.toolCallStart(index, callIndex, '', '', out);
      state = this.choice(index);
    }
    if (state.finished || args === '') return;
    if (this.legacy) {
      if (state.legacyCall !== callIndex) return;
      out.push(this.frame(index, JSON.stringify({ function_call: { arguments: args } }), 'null'));
      return;
    }
    const wireIndex = state.toolIndexes.get(callIndex);
    const delta = `{"tool_calls":[{"index":${wireIndex},"function":{"arguments":${JSON.stringify(args)}}}]}`;
    out.push(this.frame(index, delta, 'null'));
  }

  private finish(index: number, reason: Parameters<typeof toFinishReason>[0], out: string[]): void {
    const state = this.ensureRole(index, out);
    if (state.finished) return;
    state.finished = true;
    let finish = toFinishReason(reason, state.toolIndexes.size > 0);
    if (this.legacy && finish === 'tool_calls') finish = 'function_call';
    out.push(this.frame(index, '{}', JSON.stringify(finish)));
  }
}
