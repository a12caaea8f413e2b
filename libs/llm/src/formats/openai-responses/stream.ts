import type { StreamDecoder, StreamEncoder, TranslationContext } from '@app/llm/codec';
import type { IRStopReason, IRStreamEvent, IRUsage, SSEEvent } from '@app/llm/ir/types';
import { formatSSE } from '@app/llm/sse/sse-parser';
import { newId, nowSeconds } from '@app/llm/util/ids';
import { isRecord, stringifyArguments } from '@app/llm/util/json';
import { restoreToolName } from '@app/llm/util/tool-names';
import { errorTypeForStatus } from '@app/llm/formats/openai-responses/error';
import {
  finishResponse,
  outputText,
  reasoningText,
  responseSkeleton,
} from '@app/llm/formats/openai-responses/response';
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

// ---------------------------------------------------------------------------------------------
// Decoder: Responses SSE events → IR
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Encoder: IR → Responses SSE events
// ---------------------------------------------------------------------------------------------

interface OpenItem {
  outputIndex: number;
  item: Json;
  /** Text, summary text or arguments assembled so far. */
  text: string;
  open: boolean;
}

/**
 * Renders IR events as a Responses event stream: `response.created` and `response.in_progress`
 * first, one output item at a time with increasing `output_index`, `sequence_number` strictly
 * increasing from 0, and exactly one terminal event (`response.completed`, or `response.failed`
 * on an error) carrying the whole response.
 */
export class ResponsesStreamEncoder implements StreamEncoder {
  readonly contentType = 'text/event-stream';
  private seq = 0;
  private started = false;
  private done = false;
  private response: Json = {};
  private readonly output: Json[] = [];
  private message: OpenItem | undefined;
  private reasoning: OpenItem | undefined;
  private readonly calls = new Map<number, OpenItem>();
  private stop: IRStopReason | undefined;
  private usage: IRUsage | undefined;

  constructor(private readonly ctx: TranslationContext) {}

  push(event: IRStreamEvent): string[] {
    if (this.done) return [];
    const out: string[] = [];
    switch (event.type) {
      case 'start':
        this.begin(out, event.id, event.model, event.created);
        break;
      case 'text_delta':
        if (event.candidate || !event.text) break;
        this.begin(out);
        this.onText(event.text, out);
        break;
      case 'reasoning_delta':
        if (event.candidate || !event.text) break;
        this.begin(out);
        this.onReasoning(event.text, out);
        break;
      case 'reasoning_signature':
        if (event.candidate) break;
        this.begin(out);
        this.onSignature(event.encrypted, out);
        break;
      case 'tool_call_start':
        if (event.candidate) break;
        this.begin(out);
        this.onCallStart(event.callIndex, event.id, event.name, out);
        break;
      case 'tool_call_delta': {
        if (event.candidate) break;
        const call = this.calls.get(event.callIndex);
        if (!call || !event.argumentsDelta) break;
        call.text += event.argumentsDelta;
        if (call.open) {
          out.push(
            this.emit('response.function_call_arguments.delta', {
              item_id: call.item.id,
              output_index: call.outputIndex,
              delta: event.argumentsDelta,
            }),
          );
        } else {
          call.item.arguments = call.text; // late delta: the final snapshot still gets it
        }
        break;
      }
      case 'tool_call_end': {
        const call = event.candidate ? undefined : this.calls.get(event.callIndex);
        if (call) this.closeCall(call, out);
        break;
      }
      case 'finish':
        if (!event.candidate) this.stop = event.stopReason;
        break;
      case 'usage':
        this.usage = event.usage;
        break;
      case 'error':
        this.begin(out);
        this.closeAll(out);
        finishResponse(this.response, 'error', this.usage, {
          code: event.status === 429 ? 'rate_limit_exceeded' : 'server_error',
          message: event.message,
        });
        this.response.output = this.output;
        out.push(this.emit('response.failed', { response: this.response }));
        this.done = true;
        break;
      case 'end':
        this.begin(out);
        this.closeAll(out);
        finishResponse(this.response, this.stop, this.usage);
        this.response.output = this.output;
        out.push(this.emit('response.completed', { response: this.response }));
        this.done = true;
        break;
    }
    return out;
  }

  private emit(type: string, payload: Json): string {
    // Field order as the API sends it: type, sequence_number, then the payload.
    return formatSSE(JSON.stringify({ type, sequence_number: this.seq++, ...payload }), type);
  }

  private begin(out: string[], id?: string, model?: string, created?: number): void {
    if (this.started) return;
    this.started = true;
    const rid = id?.startsWith('resp_') ? id : newId('resp_');
    this.response = responseSkeleton(
      this.ctx,
      rid,
      this.ctx.requestedModel || model || '',
      created ?? nowSeconds(),
      'in_progress',
    );
    // Serialised now, so later mutations of `this.response` do not leak into these events.
    out.push(this.emit('response.created', { response: this.response }));
    out.push(this.emit('response.in_progress', { response: this.response }));
  }

  private addItem(item: Json, out: string[]): OpenItem {
    const open: OpenItem = { outputIndex: this.output.length, item, text: '', open: true };
    out.push(this.emit('response.output_item.added', { output_index: open.outputIndex, item }));
    this.output.push(item);
    return open;
  }

  private onText(text: string, out: string[]): void {
    this.closeReasoning(out);
    this.closeCalls(out);
    let msg = this.message;
    if (!msg) {
      msg = this.addItem(
        {
          id: newId('msg_'),
          type: 'message',
          status: 'in_progress',
          content: [],
          role: 'assistant',
        },
        out,
      );
      this.message = msg;
      out.push(
        this.emit('response.content_part.added', {
          item_id: msg.item.id,
          output_index: msg.outputIndex,
          content_index: 0,
          part: outputText(''),
        }),
      );
    }
    msg.text += text;
    out.push(
      this.emit('response.output_text.delta', {
        item_id: msg.item.id,
        output_index: msg.outputIndex,
        content_index: 0,
        delta: text,
        logprobs: [],
      }),
    );
  }

  private closeMessage(out: string[]): void {
    const msg = this.message;
    if (!msg) return;
    this.message = undefined;
    const ids = { item_id: msg.item.id, output_index: msg.outputIndex, content_index: 0 };
    const part = outputText(msg.text);
    out.push(this.emit('response.output_text.done', { ...ids, text: msg.text, logprobs: [] }));
    out.push(this.emit('response.content_part.done', { ...ids, part }));
    msg.item.status = 'completed';
    msg.item.content = [part];
    out.push(
      this.emit('response.output_item.done', { output_index: msg.outputIndex, item: msg.item }),
    );
  }

  private openReasoning(out: string[]): OpenItem {
    const r = this.addItem({ id: newId('rs_'), type: 'reasoning', summary: [] }, out);
    this.reasoning = r;
    return r;
  }

  private onReasoning(text: string, out: string[]): void {
    this.closeMessage(out);
    this.closeCalls(out);
    let r = this.reasoning;
    if (!r) {
      r = this.openReasoning(out);
      out.push(
        this.emit('response.reasoning_summary_part.added', {
          item_id: r.item.id,
          output_index: r.outputIndex,
          summary_index: 0,
          part: { type: 'summary_text', text: '' },
        }),
      );
    }
    r.text += text;
    out.push(
      this.emit('response.reasoning_summary_text.delta', {
        item_id: r.item.id,
        output_index: r.outputIndex,
        summary_index: 0,
        delta: text,
      }),
    );
  }

  private onSignature(encrypted: string | undefined, out: string[]): void {
    // Only Responses-style encrypted reasoning has a place here; other signatures close the item.
    if (!this.reasoning && encrypted === undefined) return;
    if (!this.reasoning) {
      this.closeMessage(out);
      this.closeCalls(out);
      this.openReasoning(out);
    }
    if (encrypted !== undefined && this.reasoning) {
      this.reasoning.item.encrypted_content = encrypted;
    }
    this.closeReasoning(out);
  }

  private closeReasoning(out: string[]): void {
    const r = this.reasoning;
    if (!r) return;
    this.reasoning = undefined;
    if (r.text) {
      const ids = { item_id: r.item.id, output_index: r.outputIndex, summary_index: 0 };
      const part = { type: 'summary_text', text: r.text };
      out.push(this.emit('response.reasoning_summary_text.done', { ...ids, text: r.text }));
      out.push(this.emit('response.reasoning_summary_part.done', { ...ids, part }));
      r.item.summary = [part];
    }
    out.push(this.emit('response.output_item.done', { output_index: r.outputIndex, item: r.item }));
  }

  private onCallStart(callIndex: number, callId: string, name: string, out: string[]): void {
    if (this.calls.has(callIndex)) return;
    this.closeMessage(out);
    this.closeReasoning(out);
    const call = this.addItem(
      {
        id: newId('fc_'),
        type: 'function_call',
        status: 'in_progress',
        arguments: '',
        call_id: callId || newId('call_'),
        name,
      },
      out,
    );
    this.calls.set(callIndex, call);
  }

  private closeCall(call: OpenItem, out: string[]): void {
    if (!call.open) return;
    call.open = false;
    out.push(
      this.emit('response.function_call_arguments.done', {
        item_id: call.item.id,
        output_index: call.outputIndex,
        name: call.item.name,
        arguments: call.text,
      }),
    );
    call.item.status = 'completed';
    call.item.arguments = call.text;
    out.push(
      this.emit('response.output_item.done', { output_index: call.outputIndex, item: call.item }),
    );
  }

  private closeCalls(out: string[]): void {
    for (const call of this.calls.values()) this.closeCall(call, out);
  }

  private closeAll(out: string[]): void {
    this.closeMessage(out);
    this.closeReasoning(out);
    this.closeCalls(out);
  }
}
