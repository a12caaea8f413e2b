// Responses stream encoder: IR stream events → a Responses SSE event stream.
import type { StreamEncoder, TranslationContext } from '@app/llm/codec';
import type { IRStopReason, IRStreamEvent, IRUsage } from '@app/llm/ir/types';
import { formatSSE } from '@app/llm/sse/sse-parser';
import { newId, nowSeconds } from '@app/llm/util/ids';
import {
  finishResponse,
  outputText,
  responseSkeleton,
} from '@app/llm/formats/openai-responses/response';

type Json = Record<string, unknown>;

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
