// Claude stream decoder: a Claude Messages SSE stream → IR stream events.
import type { StreamDecoder, TranslationContext } from '@app/llm/codec';
import type { IRStreamEvent, IRUsage, SSEEvent } from '@app/llm/ir/types';
import { nowSeconds } from '@app/llm/util/ids';
import { isRecord } from '@app/llm/util/json';
import { claudeErrorStatus } from '@app/llm/formats/claude/error';
import { stopReasonFromClaude, usageFromClaude } from '@app/llm/formats/claude/mapping';

type BlockKind = 'text' | 'thinking' | 'tool' | 'other';

interface OpenBlock {
  kind: BlockKind;
  callIndex: number;
  /** Characters of tool arguments seen, to fill in `{}` for a tool called without input. */
  argChars: number;
}

class ClaudeStreamDecoder implements StreamDecoder {
  private readonly blocks = new Map<number, OpenBlock>();
  private nextCallIndex = 0;
  private usage: IRUsage | undefined;
  private ended = false;

  push(event: SSEEvent): IRStreamEvent[] {
    if (this.ended) return [];
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return []; // not JSON: nothing Claude sends, nothing to translate
    }
    if (!isRecord(data)) return [];
    const type = typeof data.type === 'string' ? data.type : event.event;
    switch (type) {
      case 'message_start':
        return this.onMessageStart(data.message);
      case 'content_block_start':
        return this.onBlockStart(data.index, data.content_block);
      case 'content_block_delta':
        return this.onBlockDelta(data.index, data.delta);
      case 'content_block_stop':
        return this.onBlockStop(data.index);
      case 'message_delta':
        return this.onMessageDelta(data.delta, data.usage);
      case 'message_stop':
        this.ended = true;
        return [{ type: 'end' }];
      case 'error':
        return [this.onError(data.error)];
      case 'ping':
      case undefined:
      default:
        return []; // keep-alives and event types added later
    }
  }

  end(): IRStreamEvent[] {
    if (this.ended) return [];
    this.ended = true;
    return [{ type: 'end' }];
  }

  private onMessageStart(message: unknown): IRStreamEvent[] {
    if (!isRecord(message)) return [];
    const out: IRStreamEvent[] = [
      {
        type: 'start',
        id: typeof message.id === 'string' ? message.id : '',
        model: typeof message.model === 'string' ? message.model : '',
        created: nowSeconds(),
      },
    ];
    this.usage = usageFromClaude(message.usage, this.usage);
    if (this.usage) out.push({ type: 'usage', usage: this.usage });
    return out;
  }

  private onBlockStart(index: unknown, block: unknown): IRStreamEvent[] {
    if (typeof index !== 'number' || !isRecord(block)) return [];
    switch (block.type) {
      case 'text': {
        this.blocks.set(index, { kind: 'text', callIndex: -1, argChars: 0 });
        const text = typeof block.text === 'string' ? block.text : '';
        return text ? [{ type: 'text_delta', text }] : [];
      }
      case 'thinking': {
        this.blocks.set(index, { kind: 'thinking', callIndex: -1, argChars: 0 });
        const text = typeof block.thinking === 'string' ? block.thinking : '';
        return text ? [{ type: 'reasoning_delta', text }] : [];
      }
      case 'redacted_thinking':
        this.blocks.set(index, { kind: 'other', callIndex: -1, argChars: 0 });
        return [
          {
            type: 'reasoning_signature',
            encrypted: typeof block.data === 'string' ? block.data : '',
          },
        ];
      case 'tool_use': {
        const callIndex = this.nextCallIndex++;
        const open: OpenBlock = { kind: 'tool', callIndex, argChars: 0 };
        this.blocks.set(index, open);
        const out: IRStreamEvent[] = [
          {
            type: 'tool_call_start',
            callIndex,
            id: typeof block.id === 'string' ? block.id : '',
            name: typeof block.name === 'string' ? block.name : '',
          },
        ];
        // The start normally carries `input: {}` and the JSON follows as deltas; a non-empty
        // input here is already complete.
        if (isRecord(block.input) && Object.keys(block.input).length > 0) {
          const args = JSON.stringify(block.input);
          open.argChars = args.length;
          out.push({ type: 'tool_call_delta', callIndex, argumentsDelta: args });
        }
        return out;
      }
      default:
        // server_tool_use, web_search_tool_result, …: Claude ran these itself; no IR equivalent.
        this.blocks.set(index, { kind: 'other', callIndex: -1, argChars: 0 });
        return [];
    }
  }

  private onBlockDelta(index: unknown, delta: unknown): IRStreamEvent[] {
    if (typeof index !== 'number' || !isRecord(delta)) return [];
    const block = this.blocks.get(index);
    if (!block) return [];
    switch (delta.type) {
      case 'text_delta':
        return block.kind === 'text' && typeof delta.text === 'string' && delta.text
          ? [{ type: 'text_delta', text: delta.text }]
          : [];
      case 'thinking_delta':
        return block.kind === 'thinking' && typeof delta.thinking === 'string' && delta.thinking
          ? [{ type: 'reasoning_delta', text: delta.thinking }]
          : [];
      case 'signature_delta':
        return block.kind === 'thinking' && typeof delta.signature === 'string'
          ? [{ type: 'reasoning_signature', signature: delta.signature }]
          : [];
      case 'input_json_delta': {
        const json = delta.partial_json;
        if (block.kind !== 'tool' || typeof json !== 'string' || !json) return [];
        block.argChars += json.length;
        return [{ type: 'tool_call_delta', callIndex: block.callIndex, argumentsDelta: json }];
      }
      default:
        return []; // citations_delta and the like
    }
  }

  private onBlockStop(index: unknown): IRStreamEvent[] {
    if (typeof index !== 'number') return [];
    const block = this.blocks.get(index);
    this.blocks.delete(index);
    if (!block || block.kind !== 'tool') return [];
    const out: IRStreamEvent[] = [];
    if (block.argChars === 0) {
      out.push({ type: 'tool_call_delta', callIndex: block.callIndex, argumentsDelta: '{}' });
    }
    out.push({ type: 'tool_call_end', callIndex: block.callIndex });
    return out;
  }

  private onMessageDelta(delta: unknown, usage: unknown): IRStreamEvent[] {
    const out: IRStreamEvent[] = [];
    if (isRecord(delta)) {
      const stopReason = stopReasonFromClaude(delta.stop_reason);
      if (stopReason) {
        const finish: IRStreamEvent = { type: 'finish', stopReason };
        if (typeof delta.stop_sequence === 'string') finish.stopSequence = delta.stop_sequence;
        out.push(finish);
      }
    }
    // message_delta usage is cumulative; fields it leaves out keep their message_start values.
    if (isRecord(usage)) {
      this.usage = usageFromClaude(usage, this.usage);
      if (this.usage) out.push({ type: 'usage', usage: this.usage });
    }
    return out;
  }

  private onError(error: unknown): IRStreamEvent {
    const errorType = isRecord(error) && typeof error.type === 'string' ? error.type : 'api_error';
    const message =
      isRecord(error) && typeof error.message === 'string' ? error.message : 'Upstream error';
    return { type: 'error', status: claudeErrorStatus(errorType), errorType, message };
  }
}

/** A decoder for a Claude Messages stream. */
export function createClaudeStreamDecoder(_ctx: TranslationContext): StreamDecoder {
  return new ClaudeStreamDecoder();
}
