// Claude stream encoder: IR stream events → a Claude Messages SSE stream.
import type { StreamEncoder, TranslationContext } from '@app/llm/codec';
import type { IRStopReason, IRStreamEvent, IRUsage } from '@app/llm/ir/types';
import { formatSSE } from '@app/llm/sse/sse-parser';
import { newId } from '@app/llm/util/ids';
import { claudeToolId } from '@app/llm/formats/claude/content';
import { claudeErrorType } from '@app/llm/formats/claude/error';
import { stopReasonToClaude, usageToClaude } from '@app/llm/formats/claude/mapping';
import { claudeMessageId } from '@app/llm/formats/claude/response';

interface ToolCallState {
  id: string;
  name: string;
  /** Block index once the tool_use block was opened; -1 while pending. */
  index: number;
  /** Arguments received while the call waited for its block. */
  buffered: string;
  ended: boolean;
  closed: boolean;
}

/**
 * Claude clients index content by block number, so blocks must open in order 0, 1, 2, … and only
 * one can be open at a time. Text and reasoning are streamed as they come; a change of kind
 * closes the open block and opens a new one (never reusing an index).
 *
 * Tool calls: the first call streams live. A call that starts while another call's block is still
 * open waits: its argument deltas are buffered, and its block is opened (with the buffered JSON
 * in one delta) as soon as the open call ends, or at the end of the stream. So interleaved
 * deltas of parallel calls still give one complete, well-formed block per call. Arguments that
 * arrive for a call whose block was already closed by other content cannot be sent (the index is
 * gone); no known upstream does that.
 */
class ClaudeStreamEncoder implements StreamEncoder {
  readonly contentType = 'text/event-stream';
  private started = false;
  private terminated = false;
  private nextIndex = 0;
  /** The open block: its index and kind (a tool block also knows its call). */
  private open: { index: number; kind: 'text' | 'thinking' | 'tool'; call?: ToolCallState } | null =
    null;
  /** Whether the open thinking block already received its signature. */
  private signed = false;
  private readonly calls = new Map<number, ToolCallState>();
  /** Calls waiting for their block, in order of appearance. */
  private readonly pending: ToolCallState[] = [];
  private toolBlocks = 0;
  private stopReason: IRStopReason | undefined;
  private stopSequence: string | undefined;
  private usage: IRUsage | undefined;
  /** The upstream's start, held until the first content so message_start can carry usage. */
  private startEvent: { id: string; model: string } | undefined;

  constructor(private readonly ctx: TranslationContext) {}

  push(event: IRStreamEvent): string[] {
    if (this.terminated) return [];
    const out: string[] = [];
    // A Claude message is a single candidate; others (OpenAI n > 1) have nowhere to go.
    if ('candidate' in event && (event.candidate ?? 0) !== 0) return out;
    if (event.type === 'usage') {
      this.usage = event.usage;
      return out;
    }
    if (event.type === 'error') {
      this.terminated = true;
      out.push(
        frame('error', {
          type: 'error',
          error: { type: claudeErrorType(event.errorType, event.status), message: event.message },
        }),
      );
      return out;
    }
    // message_start waits for the first content: upstreams that report the input count early
    // (Gemini's first chunk) then get it into message_start.usage, where Claude clients read it.
    if (event.type === 'start') {
      this.startEvent ??= event;
      return out;
    }
    if (!this.started) this.startMessage(out, this.startEvent);
    switch (event.type) {
      case 'text_delta':
        if (!event.text) break;
        if (this.open?.kind !== 'text') this.openBlock(out, 'text', { type: 'text', text: '' });
        out.push(this.textDelta('text_delta', 'text', event.text));
        break;
      case 'reasoning_delta':
        if (!event.text) break;
        if (this.open?.kind !== 'thinking' || this.signed) this.openThinking(out);
        out.push(this.textDelta('thinking_delta', 'thinking', event.text));
        break;
      case 'reasoning_signature':
        this.onSignature(out, event.signature, event.encrypted);
        break;
      case 'tool_call_start':
        this.onToolStart(out, event.callIndex, event.id, event.name);
        break;
      case 'tool_call_delta':
        this.onToolDelta(out, event.callIndex, event.argumentsDelta);
        break;
      case 'tool_call_end':
        this.onToolEnd(out, event.callIndex);
        break;
      case 'finish':
        this.stopReason = event.stopReason;
        this.stopSequence = event.stopSequence;
        break;
      case 'end':
        this.finishMessage(out);
        break;
    }
    return out;
  }

  private startMessage(out: string[], start?: { id: string; model: string }): void {
    this.started = true;
    const usage = usageToClaude(this.usage);
    out.push(
      frame('message_start', {
        type: 'message_start',
        message: {
          id: claudeMessageId(start?.id),
          type: 'message',
          role: 'assistant',
          model: this.ctx.requestedModel || start?.model || '',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 0 },
        },
      }),
    );
  }

  /**
   * A text or thinking delta, the most frequent frame of a stream: written out directly, the same
   * bytes `delta()` gives, without building and serialising two objects per chunk.
   */
  private textDelta(type: 'text_delta' | 'thinking_delta', field: string, text: string): string {
    const index = this.open?.index ?? 0;
    return formatSSE(
      `{"type":"content_block_delta","index":${index},"delta":{"type":"${type}","${field}":${JSON.stringify(text)}}}`,
      'content_block_delta',
    );
  }

  private delta(delta: Record<string, unknown>): string {
    return frame('content_block_delta', {
      type: 'content_block_delta',
      index: this.open?.index ?? 0,
      delta,
    });
  }

  private openBlock(
    out: string[],
    kind: 'text' | 'thinking' | 'tool',
    block: Record<string, unknown>,
    call?: ToolCallState,
  ): number {
    this.closeBlock(out);
    const index = this.nextIndex++;
    this.open = { index, kind, call };
    this.signed = false;
    out.push(
      frame('content_block_start', { type: 'content_block_start', index, content_block: block }),
    );
    return index;
  }

  private openThinking(out: string[]): void {
    this.openBlock(out, 'thinking', { type: 'thinking', thinking: '', signature: '' });
  }

  private closeBlock(out: string[]): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    if (open.call) open.call.closed = true;
    out.push(frame('content_block_stop', { type: 'content_block_stop', index: open.index }));
  }

  private onSignature(out: string[], signature?: string, encrypted?: string): void {
    if (encrypted) {
      this.openBlock(out, 'thinking', { type: 'redacted_thinking', data: encrypted });
      this.closeBlock(out);
      return;
    }
    if (!signature) return;
    if (this.open?.kind !== 'thinking' || this.signed) this.openThinking(out);
    out.push(this.delta({ type: 'signature_delta', signature }));
    this.signed = true;
  }

  private onToolStart(out: string[], callIndex: number, id: string, name: string): void {
    if (this.calls.has(callIndex)) return;
    const call: ToolCallState = {
      // Claude clients answer a call by its id; an upstream that gave none gets one here.
      id: id ? claudeToolId(id) : newId('toolu_'),
      name,
      index: -1,
      buffered: '',
      ended: false,
      closed: false,
    };
    this.calls.set(callIndex, call);
    const liveCall = this.open?.call;
    if ((liveCall && !liveCall.ended) || this.pending.length > 0) {
      this.pending.push(call);
      return;
    }
    this.openTool(out, call);
  }

  private openTool(out: string[], call: ToolCallState): void {
    this.toolBlocks++;
    call.index = this.openBlock(
      out,
      'tool',
      { type: 'tool_use', id: call.id, name: call.name, input: {} },
      call,
    );
    if (call.buffered) {
      out.push(this.delta({ type: 'input_json_delta', partial_json: call.buffered }));
      call.buffered = '';
    }
  }

  private onToolDelta(out: string[], callIndex: number, args: string): void {
    const call = this.calls.get(callIndex);
    if (!call || !args || call.closed) return;
    if (this.open?.call === call) {
      out.push(this.delta({ type: 'input_json_delta', partial_json: args }));
    } else if (call.index < 0) {
      call.buffered += args;
    }
  }

  private onToolEnd(out: string[], callIndex: number): void {
    const call = this.calls.get(callIndex);
    if (!call) return;
    call.ended = true;
    if (this.open?.call !== call) return;
    this.closeBlock(out);
    this.openPending(out, false);
  }

  /** Open waiting calls in order; stop at one still receiving arguments unless flushing all. */
  private openPending(out: string[], all: boolean): void {
    while (this.pending.length > 0) {
      const call = this.pending.shift() as ToolCallState;
      this.openTool(out, call);
      if (!call.ended && !all) return;
      this.closeBlock(out);
    }
  }

  private finishMessage(out: string[]): void {
    this.closeBlock(out);
    this.openPending(out, true);
    this.terminated = true;
    const usage = usageToClaude(this.usage);
    out.push(
      frame('message_delta', {
        type: 'message_delta',
        delta: {
          stop_reason: stopReasonToClaude(this.stopReason, this.toolBlocks > 0),
          stop_sequence: this.stopSequence ?? null,
        },
        usage,
      }),
    );
    out.push(frame('message_stop', { type: 'message_stop' }));
  }
}

function frame(event: string, data: unknown): string {
  return formatSSE(JSON.stringify(data), event);
}

/** An encoder producing a Claude Messages stream. */
export function createClaudeStreamEncoder(ctx: TranslationContext): StreamEncoder {
  return new ClaudeStreamEncoder(ctx);
}
