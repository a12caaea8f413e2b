// Responses stream decoder: a Responses (or Codex) SSE event stream → IR stream events.
import type { StreamDecoder, TranslationContext } from '@app/llm/codec';
import type { IRStreamEvent, SSEEvent } from '@app/llm/ir/types';
import { newId, nowSeconds } from '@app/llm/util/ids';
import { isRecord, stringifyArguments } from '@app/llm/util/json';
import { restoreToolName } from '@app/llm/util/tool-names';
import { errorTypeForStatus } from '@app/llm/formats/openai-responses/error';
import { reasoningText } from '@app/llm/formats/openai-responses/response';
import { parseUsage, stopReasonOf } from '@app/llm/formats/openai-responses/shared';

type Json = Record<string, unknown>;

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** HTTP-like status for a Responses error code (response.failed / error events). */
function statusForCode(code: string): number {
  switch (code) {
    case 'rate_limit_exceeded':
    case 'usage_limit_reached':
    case 'insufficient_quota':
      return 429;
    case 'server_error':
    case '':
      return 500;
    case 'server_is_overloaded':
    case 'slow_down':
      return 503;
    default:
      return code.startsWith('invalid') || code.includes('image') || code.endsWith('_exceeded')
        ? 400
        : 500;
  }
}

function errorEvent(code: string, message: string): IRStreamEvent {
  const status = statusForCode(code);
  return {
    type: 'error',
    status,
    errorType: errorTypeForStatus(status),
    message: message || code || 'The upstream stream failed',
  };
}

interface CallState {
  callIndex: number;
  argsSeen: boolean;
  ended: boolean;
}

/** Turns a Responses (or Codex) event stream into IR events. */
export class ResponsesStreamDecoder implements StreamDecoder {
  private started = false;
  private ended = false;
  private nextCall = 0;
  private hasToolCalls = false;
  /** Function-call items by output_index, and by item id for events that only carry that. */
  private readonly callsByIndex = new Map<number, CallState>();
  private readonly callsById = new Map<string, CallState>();
  /** Message / reasoning item ids that produced deltas (their `.done` must not repeat them). */
  private readonly streamedItems = new Set<string>();
  /** Any output item or delta was seen (a terminal snapshot then adds nothing new). */
  private sawOutput = false;

  constructor(private readonly ctx: TranslationContext) {}

  push(event: SSEEvent): IRStreamEvent[] {
    if (this.ended) return [];
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return []; // keep-alive noise or a stray [DONE]
    }
    if (!isRecord(data)) return [];
    const type = typeof data.type === 'string' ? data.type : (event.event ?? '');
    const out: IRStreamEvent[] = [];
    if (type.startsWith('response.output_')) this.sawOutput = true;
    switch (type) {
      case 'response.created':
      case 'response.queued':
      case 'response.in_progress':
        this.start(data.response, out);
        break;
      case 'response.output_item.added':
        this.itemAdded(data, out);
        break;
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        if (typeof data.delta === 'string' && data.delta) {
          this.start(undefined, out);
          this.streamedItems.add(str(data.item_id));
          out.push({ type: 'text_delta', text: data.delta });
        }
        break;
      case 'response.reasoning_summary_part.added':
        // Summary parts are paragraphs of one reasoning text.
        if (typeof data.summary_index === 'number' && data.summary_index > 0) {
          this.start(undefined, out);
          out.push({ type: 'reasoning_delta', text: '\n\n' });
        }
        break;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        if (typeof data.delta === 'string' && data.delta) {
          this.start(undefined, out);
          this.streamedItems.add(str(data.item_id));
          out.push({ type: 'reasoning_delta', text: data.delta });
        }
        break;
      case 'response.function_call_arguments.delta': {
        const call = this.callFor(data);
        if (call && typeof data.delta === 'string' && data.delta) {
          call.argsSeen = true;
          out.push({
            type: 'tool_call_delta',
            callIndex: call.callIndex,
            argumentsDelta: data.delta,
          });
        }
        break;
      }
      case 'response.function_call_arguments.done': {
        const call = this.callFor(data);
        if (call && !call.argsSeen && typeof data.arguments === 'string' && data.arguments) {
          call.argsSeen = true;
          out.push({
            type: 'tool_call_delta',
            callIndex: call.callIndex,
            argumentsDelta: data.arguments,
          });
        }
        break;
      }
      case 'response.output_item.done':
        this.itemDone(data, out);
        break;
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
        this.terminal(data.response, out);
        break;
      case 'error': {
        const err = isRecord(data.error) ? data.error : data;
        this.start(undefined, out);
        this.closeCalls(out);
        out.push(errorEvent(str(err.code) || str(err.type), str(err.message)));
        out.push({ type: 'end' });
        this.ended = true;
        break;
      }
      default:
        break; // content_part.*, output_text.done, annotations, keepalive …
    }
    return out;
  }

  end(): IRStreamEvent[] {
    if (this.ended) return [];
    this.ended = true;
    const out: IRStreamEvent[] = [];
    this.closeCalls(out);
    out.push({ type: 'end' });
    return out;
  }

  private start(rsp: unknown, out: IRStreamEvent[]): void {
    if (this.started) return;
    this.started = true;
    const r = isRecord(rsp) ? rsp : {};
    out.push({
      type: 'start',
      id: str(r.id) || newId('resp_'),
      model: str(r.model) || this.ctx.upstreamModel,
      created: typeof r.created_at === 'number' ? r.created_at : nowSeconds(),
    });
  }

  private callFor(data: Json): CallState | undefined {
    const byId = typeof data.item_id === 'string' ? this.callsById.get(data.item_id) : undefined;
    if (byId) return byId;
    return typeof data.output_index === 'number'
      ? this.callsByIndex.get(data.output_index)
      : undefined;
  }

  private openCall(data: Json, item: Json, out: IRStreamEvent[]): CallState {
    this.start(undefined, out);
    const call: CallState = { callIndex: this.nextCall++, argsSeen: false, ended: false };
    if (typeof data.output_index === 'number') this.callsByIndex.set(data.output_index, call);
    if (typeof item.id === 'string') this.callsById.set(item.id, call);
    this.hasToolCalls = true;
    out.push({
      type: 'tool_call_start',
      callIndex: call.callIndex,
      id: str(item.call_id) || str(item.id),
      name: restoreToolName(str(item.name), this.ctx),
    });
    return call;
  }

  private itemAdded(data: Json, out: IRStreamEvent[]): void {
    const item = isRecord(data.item) ? data.item : undefined;
    if (item?.type !== 'function_call') return;
    const call = this.openCall(data, item, out);
    const args = stringifyArguments(item.arguments);
    if (typeof item.arguments === 'string' && args) {
      call.argsSeen = true;
      out.push({ type: 'tool_call_delta', callIndex: call.callIndex, argumentsDelta: args });
    }
  }

  private itemDone(data: Json, out: IRStreamEvent[]): void {
    const item = isRecord(data.item) ? data.item : undefined;
    if (!item) return;
    const id = str(item.id);
    switch (item.type) {
      case 'function_call': {
        const call =
          (id ? this.callsById.get(id) : undefined) ??
          (typeof data.output_index === 'number'
            ? this.callsByIndex.get(data.output_index)
            : undefined) ??
          this.openCall(data, item, out);
        if (!call.argsSeen) {
          call.argsSeen = true;
          out.push({
            type: 'tool_call_delta',
            callIndex: call.callIndex,
            argumentsDelta: stringifyArguments(item.arguments),
          });
        }
        if (!call.ended) {
          call.ended = true;
          out.push({ type: 'tool_call_end', callIndex: call.callIndex });
        }
        break;
      }
      case 'reasoning': {
        if (!this.streamedItems.has(id)) {
          const text = reasoningText(item);
          if (text) {
            this.start(undefined, out);
            out.push({ type: 'reasoning_delta', text });
          }
        }
        if (typeof item.encrypted_content === 'string' && item.encrypted_content) {
          this.start(undefined, out);
          out.push({ type: 'reasoning_signature', encrypted: item.encrypted_content });
        }
        break;
      }
      case 'message': {
        if (this.streamedItems.has(id) || !Array.isArray(item.content)) break;
        let text = '';
        for (const c of item.content) {
          if (isRecord(c)) text += c.type === 'refusal' ? str(c.refusal) : str(c.text);
        }
        if (text) {
          this.start(undefined, out);
          out.push({ type: 'text_delta', text });
        }
        break;
      }
      default:
        break;
    }
  }

  private closeCalls(out: IRStreamEvent[]): void {
    for (const call of this.callsByIndex.values()) {
      if (call.ended) continue;
      call.ended = true;
      out.push({ type: 'tool_call_end', callIndex: call.callIndex });
    }
    for (const call of this.callsById.values()) {
      if (call.ended) continue;
      call.ended = true;
      out.push({ type: 'tool_call_end', callIndex: call.callIndex });
    }
  }

  private terminal(rsp: unknown, out: IRStreamEvent[]): void {
    const r = isRecord(rsp) ? rsp : {};
    this.start(r, out);
    // A terminal snapshot may hold items whose events we never saw (e.g. a truncated replay).
    if (!this.sawOutput && this.streamedItems.size === 0 && Array.isArray(r.output)) {
      this.sawOutput = true;
      for (let i = 0; i < r.output.length; i++) {
        const item: unknown = r.output[i];
        if (isRecord(item)) this.itemDone({ output_index: i, item }, out);
      }
    }
    this.closeCalls(out);
    const usage = parseUsage(r.usage);
    if (usage) out.push({ type: 'usage', usage });
    if (r.status === 'failed') {
      const err = isRecord(r.error) ? r.error : {};
      out.push(errorEvent(str(err.code), str(err.message)));
    } else {
      const toolCalls = this.hasToolCalls;
      out.push({
        type: 'finish',
        stopReason: stopReasonOf(r.status, r.incomplete_details, toolCalls),
      });
    }
    out.push({ type: 'end' });
    this.ended = true;
  }
}
