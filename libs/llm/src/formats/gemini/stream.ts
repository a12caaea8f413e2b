import type { StreamDecoder, StreamEncoder, TranslationContext } from '@app/llm/codec';
import type { IRStopReason, IRStreamEvent, IRUsage, SSEEvent } from '@app/llm/ir/types';
import type { GeminiCandidate, GeminiPart } from '@app/llm/formats/gemini/gemini.types';
import {
  geminiFinishToIR,
  irFinishToGemini,
  irUsageToGemini,
  num,
  pick,
  readUsage,
  str,
} from '@app/llm/formats/gemini/common';
import { buildGeminiError, errorTypeForGoogleStatus } from '@app/llm/formats/gemini/error';
import { renderBuiltinPart } from '@app/llm/formats/gemini/parts';
import { newResponseId } from '@app/llm/formats/gemini/response';
import { formatSSE } from '@app/llm/sse/sse-parser';
import { newId, nowSeconds } from '@app/llm/util/ids';
import { isRecord, parseArguments, stringifyArguments } from '@app/llm/util/json';
import { restoreToolName } from '@app/llm/util/tool-names';

/** Pulls the Gemini response out of one stream chunk (envelope formats wrap it). */
export type ChunkUnwrapper = (chunk: Record<string, unknown>) => unknown;

interface CandidateState {
  callCount: number;
  sawToolCall: boolean;
  finished: boolean;
}

/**
 * Gemini stream → IR events. Each SSE `data:` (or JSON-array element) is a whole
 * GenerateContentResponse chunk; function calls arrive whole, so each becomes start + one delta
 * with the full arguments + end.
 */
export class GeminiStreamDecoder implements StreamDecoder {
  private started = false;
  private ended = false;
  private failed = false;
  private readonly candidates = new Map<number, CandidateState>();
  private lastUsage: IRUsage | undefined;

  constructor(
    private readonly ctx: TranslationContext,
    private readonly unwrap?: ChunkUnwrapper,
  ) {}

  push(event: SSEEvent): IRStreamEvent[] {
    if (this.ended || this.failed) return [];
    const data = event.data;
    if (data.length === 0 || data === '[DONE]') return [];
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return []; // keep-alive noise or a torn frame; the next chunk is whole again
    }
    const out: IRStreamEvent[] = [];
    if (Array.isArray(value)) {
      // A whole JSON-array body delivered as one event.
      for (const v of value) this.pushValue(v, out);
    } else {
      this.pushValue(value, out);
    }
    return out;
  }

  end(): IRStreamEvent[] {
    if (this.ended) return [];
    this.ended = true;
    return [{ type: 'end' }];
  }

  private pushValue(value: unknown, out: IRStreamEvent[]): void {
    if (this.failed || !isRecord(value)) return;
    if (isRecord(value.error)) {
      this.emitError(value.error, out);
      return;
    }
    const chunk = this.unwrap ? this.unwrap(value) : value;
    if (!isRecord(chunk)) return;
    if (isRecord(chunk.error)) {
      this.emitError(chunk.error, out);
      return;
    }
    this.pushChunk(chunk, out);
  }

  private emitError(err: Record<string, unknown>, out: IRStreamEvent[]): void {
    const status = num(err.code) ?? 500;
    out.push({
      type: 'error',
      status,
      errorType: errorTypeForGoogleStatus(str(err.status), status),
      message: str(err.message) || 'Upstream stream error',
    });
    this.failed = true;
  }

  private pushChunk(chunk: Record<string, unknown>, out: IRStreamEvent[]): void {
    if (!this.started) {
      this.started = true;
      out.push({
        type: 'start',
        id: str(pick(chunk, 'responseId', 'response_id')) || newResponseId(),
        model: str(pick(chunk, 'modelVersion', 'model_version')) || this.ctx.upstreamModel,
        created: nowSeconds(),
      });
    }
    // Usage before the chunk's content: Gemini reports the prompt count from the first chunk,
    // and encoders that announce the input up front (Claude's message_start) can use it.
    const usage = readUsage(chunk);
    if (usage && !sameUsage(usage, this.lastUsage)) {
      this.lastUsage = usage;
      out.push({ type: 'usage', usage });
    }

    const finishes: IRStreamEvent[] = [];
    const candidates = chunk.candidates;
    if (Array.isArray(candidates)) {
      for (let i = 0; i < candidates.length; i++) {
        const c: unknown = candidates[i];
        if (!isRecord(c)) continue;
        const index = num(c.index) ?? i;
        const state = this.candidate(index);
        const content = c.content;
        if (isRecord(content) && Array.isArray(content.parts)) {
          for (const p of content.parts) if (isRecord(p)) this.pushPart(p, index, state, out);
        }
        const finish = str(pick(c, 'finishReason', 'finish_reason'));
        if (finish && !state.finished) {
          state.finished = true;
          finishes.push(finishEvent(geminiFinishToIR(finish, state.sawToolCall), index));
        }
      }
    } else {
      const feedback = pick(chunk, 'promptFeedback', 'prompt_feedback');
      const state = this.candidate(0);
      if (isRecord(feedback) && pick(feedback, 'blockReason', 'block_reason') && !state.finished) {
        state.finished = true;
        finishes.push(finishEvent('content_filter', 0));
      }
    }

    for (const f of finishes) out.push(f);
  }

  private candidate(index: number): CandidateState {
    let state = this.candidates.get(index);
    if (!state) {
      state = { callCount: 0, sawToolCall: false, finished: false };
      this.candidates.set(index, state);
    }
    return state;
  }

  private pushPart(
    part: Record<string, unknown>,
    index: number,
    state: CandidateState,
    out: IRStreamEvent[],
  ): void {
    const signature = str(pick(part, 'thoughtSignature', 'thought_signature')) || undefined;
    const call = pick(part, 'functionCall', 'function_call');
    if (isRecord(call)) {
      const callIndex = state.callCount++;
      state.sawToolCall = true;
      const start: Extract<IRStreamEvent, { type: 'tool_call_start' }> = {
        type: 'tool_call_start',
        callIndex,
        id: str(call.id) || newId('call_'),
        name: restoreToolName(str(call.name) ?? '', this.ctx),
      };
      if (signature) start.signature = signature;
      if (index !== 0) start.candidate = index;
      out.push(start);
      out.push(
        withCandidate(
          {
            type: 'tool_call_delta',
            callIndex,
            argumentsDelta: stringifyArguments(call.args ?? {}),
          },
          index,
        ),
      );
      out.push(withCandidate({ type: 'tool_call_end', callIndex }, index));
      return;
    }
    const text = part.text;
    if (typeof text === 'string') {
      if (text.length > 0) {
        out.push(
          withCandidate(
            part.thought === true
              ? { type: 'reasoning_delta', text }
              : { type: 'text_delta', text },
            index,
          ),
        );
      }
    } else {
      // Built-in tool parts (code execution) reach non-Gemini clients as text.
      const rendered = renderBuiltinPart(part);
      if (rendered !== undefined) {
        out.push(withCandidate({ type: 'text_delta', text: `${rendered}\n` }, index));
      }
    }
    if (signature) out.push(withCandidate({ type: 'reasoning_signature', signature }, index));
  }
}

function finishEvent(stopReason: IRStopReason, index: number): IRStreamEvent {
  return index === 0
    ? { type: 'finish', stopReason }
    : { type: 'finish', stopReason, candidate: index };
}

/** Candidate 0 is the default, so the field is only set for the others. */
function withCandidate<T extends IRStreamEvent>(event: T, index: number): T {
  if (index !== 0) (event as { candidate?: number }).candidate = index;
  return event;
}

function sameUsage(a: IRUsage, b: IRUsage | undefined): boolean {
  return (
    b !== undefined &&
    a.inputTokens === b.inputTokens &&
    a.outputTokens === b.outputTokens &&
    a.reasoningTokens === b.reasoningTokens &&
    a.cachedTokens === b.cachedTokens &&
    a.totalTokens === b.totalTokens
  );
}

/** Wraps one outgoing Gemini chunk (envelope formats put it under `response`). */
export type ChunkWrapper = (chunk: Record<string, unknown>) => Record<string, unknown>;

interface PendingCall {
  candidate: number;
  id: string;
  name: string;
  signature?: string;
  args: string;
}

/**
 * IR events → Gemini stream: `data: {chunk}` frames (alt=sse) or one streamed JSON array.
 * Tool-call argument deltas are buffered and each call is sent whole once it ends. Finish reasons
 * and usage are held back and sent together in the last chunk, as Gemini does.
 */
export class GeminiStreamEncoder implements StreamEncoder {
  readonly contentType: string;
  private readonly arrayMode: boolean;
  private id = '';
  private model = '';
  private started = false;
  private ended = false;
  private written = 0;
  private readonly calls = new Map<string, PendingCall>();
  private readonly finishes = new Map<number, IRStopReason>();
  private usage: IRUsage | undefined;

  constructor(
    private readonly ctx: TranslationContext,
    private readonly wrap?: ChunkWrapper,
  ) {
    this.arrayMode = ctx.geminiStreamMode === 'json-array';
    this.contentType = this.arrayMode ? 'application/json' : 'text/event-stream';
  }

  push(event: IRStreamEvent): string[] {
    if (this.ended) return [];
    switch (event.type) {
      case 'start':
        if (!this.started) {
          this.started = true;
          this.id = event.id;
          this.model = this.ctx.requestedModel || event.model;
        }
        return [];
      case 'text_delta':
        return event.text ? [this.partChunk(event.candidate ?? 0, { text: event.text })] : [];
      case 'reasoning_delta':
        return event.text
          ? [this.partChunk(event.candidate ?? 0, { text: event.text, thought: true })]
          : [];
      case 'reasoning_signature':
        // Encrypted blobs of other formats (Claude redacted thinking…) mean nothing to Gemini.
        return event.signature
          ? [
              this.partChunk(event.candidate ?? 0, {
                text: '',
                thought: true,
                thoughtSignature: event.signature,
              }),
            ]
          : [];
      case 'tool_call_start': {
        const candidate = event.candidate ?? 0;
        const call: PendingCall = { candidate, id: event.id, name: event.name, args: '' };
        if (event.signature) call.signature = event.signature;
        this.calls.set(callKey(candidate, event.callIndex), call);
        return [];
      }
      case 'tool_call_delta': {
        const call = this.calls.get(callKey(event.candidate ?? 0, event.callIndex));
        if (call) call.args += event.argumentsDelta;
        return [];
      }
      case 'tool_call_end': {
        const key = callKey(event.candidate ?? 0, event.callIndex);
        const call = this.calls.get(key);
        if (!call) return [];
        this.calls.delete(key);
        return [this.callChunk(call)];
      }
      case 'finish':
        this.finishes.set(event.candidate ?? 0, event.stopReason);
        return [];
      case 'usage':
        this.usage = event.usage;
        return [];
      case 'error': {
        this.ended = true;
        const body = buildGeminiError({
          status: event.status,
          type: event.errorType,
          message: event.message,
        });
        const out = [this.frame(body, false)];
        if (this.arrayMode) out.push(']');
        return out;
      }
      case 'end':
        return this.finish();
    }
  }

  private finish(): string[] {
    this.ended = true;
    const out: string[] = [];
    // Calls the upstream never closed still reach the client whole.
    for (const call of this.calls.values()) out.push(this.callChunk(call));
    this.calls.clear();

    if (this.finishes.size > 0 || this.usage) {
      const candidates: GeminiCandidate[] = [];
      for (const [index, reason] of this.finishes) {
        candidates.push({
          content: { role: 'model', parts: [{ text: '' }] },
          finishReason: irFinishToGemini(reason),
          index,
        });
      }
      const chunk: Record<string, unknown> = { candidates };
      if (this.usage) chunk.usageMetadata = irUsageToGemini(this.usage);
      out.push(this.frame(this.withMeta(chunk), true));
    }
    if (this.arrayMode) out.push(this.written === 0 ? '[]' : ']');
    return out;
  }

  private partChunk(candidate: number, part: GeminiPart): string {
    return this.frame(
      this.withMeta({
        candidates: [{ content: { role: 'model', parts: [part] }, index: candidate }],
      }),
      true,
    );
  }

  private callChunk(call: PendingCall): string {
    const part: GeminiPart = {
      functionCall: { id: call.id, name: call.name, args: parseArguments(call.args) },
    };
    if (call.signature) part.thoughtSignature = call.signature;
    return this.partChunk(call.candidate, part);
  }

  private withMeta(chunk: Record<string, unknown>): Record<string, unknown> {
    if (!this.started) {
      this.started = true;
      this.id = newResponseId();
      this.model = this.ctx.requestedModel;
    }
    chunk.modelVersion = this.model;
    chunk.responseId = this.id;
    return chunk;
  }

  private frame(chunk: Record<string, unknown>, wrap: boolean): string {
    const json = JSON.stringify(wrap && this.wrap ? this.wrap(chunk) : chunk);
    if (!this.arrayMode) return formatSSE(json);
    return this.written++ === 0 ? `[${json}` : `,\r\n${json}`;
  }
}

function callKey(candidate: number, callIndex: number): string {
  return `${candidate}:${callIndex}`;
}
