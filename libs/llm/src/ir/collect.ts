import type { StreamEncoder, TranslationContext, WireError } from '@app/llm/codec';
import type {
  IRCandidate,
  IRReasoningPart,
  IRResponse,
  IRStreamEvent,
  IRTextPart,
  IRToolCallPart,
  IRUsage,
  WireFormat,
} from '@app/llm/ir/types';
import { newId, nowSeconds } from '@app/llm/util/ids';

/** The aggregated stream carried an upstream error instead of a response. */
export class StreamCollectError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = 'StreamCollectError';
  }

  /** The error as a WireError, ready for a codec's buildError. */
  toWireError(): WireError {
    return { status: this.status, type: this.errorType, message: this.message };
  }
}

interface CandidateState {
  candidate: IRCandidate;
  /** Tool calls by callIndex; arguments are assembled in `args` and written at result(). */
  calls: Map<number, { part: IRToolCallPart; args: string[] }>;
}

/** What a collector writes to the client while it collects: nothing (never mutated). */
const NOTHING: string[] = [];

/**
 * Aggregates IR stream events into one non-stream IR response, incrementally, so the proxy can
 * collect while it reads (e.g. the Codex backend, which only streams, for a non-stream client).
 * It is a StreamEncoder that writes nothing, so a StreamTranslator can feed it.
 *
 * Per candidate, parts keep the order the model produced them in: consecutive text deltas form one
 * text part, consecutive reasoning deltas one reasoning part (closed by its signature), tool calls
 * are placed where they started and their argument deltas assembled by callIndex even when
 * interleaved. The last usage wins; id, model and created come from `start`.
 */
export class StreamCollector implements StreamEncoder {
  readonly contentType = 'application/json';
  private id: string | undefined;
  private model: string | undefined;
  private created: number | undefined;
  private usage: IRUsage | undefined;
  private readonly candidates = new Map<number, CandidateState>();
  /** The upstream error, if the stream carried one. */
  error: Extract<IRStreamEvent, { type: 'error' }> | undefined;
  /** Whether `{type:'end'}` was seen. */
  ended = false;

  constructor(
    private readonly ctx: TranslationContext,
    private readonly sourceFormat: WireFormat = 'openai-responses',
  ) {}

  /** Feed one IR event (nothing comes out until `result`). */
  push(event: IRStreamEvent): string[] {
    switch (event.type) {
      case 'start':
        if (this.id === undefined) {
          this.id = event.id;
          this.model = event.model;
          this.created = event.created;
        }
        break;
      case 'text_delta': {
        const content = this.state(event.candidate).candidate.content;
        const last = content[content.length - 1];
        if (last?.type === 'text') last.text += event.text;
        else content.push({ type: 'text', text: event.text } satisfies IRTextPart);
        break;
      }
      case 'reasoning_delta': {
        const content = this.state(event.candidate).candidate.content;
        const last = content[content.length - 1];
        if (last?.type === 'reasoning' && !sealed(last)) last.text += event.text;
        else content.push({ type: 'reasoning', text: event.text } satisfies IRReasoningPart);
        break;
      }
      case 'reasoning_signature': {
        const content = this.state(event.candidate).candidate.content;
        const last = content[content.length - 1];
        let part: IRReasoningPart;
        if (last?.type === 'reasoning' && !sealed(last)) {
          part = last;
        } else {
          part = { type: 'reasoning', text: '' }; // encrypted-only reasoning
          content.push(part);
        }
        if (event.signature !== undefined) part.signature = event.signature;
        if (event.encrypted !== undefined) part.encrypted = event.encrypted;
        break;
      }
      case 'tool_call_start': {
        const st = this.state(event.candidate);
        if (st.calls.has(event.callIndex)) break;
        const part: IRToolCallPart = {
          type: 'tool_call',
          id: event.id,
          name: event.name,
          arguments: '',
        };
        if (event.signature !== undefined) part.signature = event.signature;
        st.candidate.content.push(part);
        st.calls.set(event.callIndex, { part, args: [] });
        break;
      }
      case 'tool_call_delta': {
        const st = this.state(event.candidate);
        let call = st.calls.get(event.callIndex);
        if (!call) {
          // A delta without a start: keep the arguments under a placeholder call.
          const part: IRToolCallPart = {
            type: 'tool_call',
            id: newId('call_'),
            name: '',
            arguments: '',
          };
          st.candidate.content.push(part);
          call = { part, args: [] };
          st.calls.set(event.callIndex, call);
        }
        call.args.push(event.argumentsDelta);
        break;
      }
      case 'tool_call_end':
        break;
      case 'finish': {
        const c = this.state(event.candidate).candidate;
        c.stopReason = event.stopReason;
        if (event.stopSequence !== undefined) c.stopSequence = event.stopSequence;
        break;
      }
      case 'usage':
        this.usage = event.usage;
        break;
      case 'error':
        this.error ??= event;
        break;
      case 'end':
        this.ended = true;
        break;
    }
    return NOTHING;
  }

  /**
   * The aggregated response. Throws StreamCollectError when the stream carried an error. A
   * candidate with tool calls and no finish reason stops with `tool_calls`, otherwise `stop`.
   */
  result(): IRResponse {
    if (this.error) {
      throw new StreamCollectError(this.error.status, this.error.errorType, this.error.message);
    }
    const candidates: IRCandidate[] = [];
    const indexes = [...this.candidates.keys()].sort((a, b) => a - b);
    if (indexes.length === 0) candidates.push({ index: 0, content: [], stopReason: 'stop' });
    for (const i of indexes) {
      const st = this.candidates.get(i);
      if (!st) continue;
      for (const call of st.calls.values()) call.part.arguments = call.args.join('');
      const c = st.candidate;
      if (c.stopReason === undefined) c.stopReason = st.calls.size > 0 ? 'tool_calls' : 'stop';
      candidates.push(c);
    }
    const out: IRResponse = {
      id: this.id ?? newId('resp_'),
      model: this.model ?? this.ctx.requestedModel,
      created: this.created ?? nowSeconds(),
      candidates,
      sourceFormat: this.sourceFormat,
      extra: {},
    };
    if (this.usage) out.usage = this.usage;
    return out;
  }

  private state(candidate = 0): CandidateState {
    let st = this.candidates.get(candidate);
    if (!st) {
      st = { candidate: { index: candidate, content: [] }, calls: new Map() };
      this.candidates.set(candidate, st);
    }
    return st;
  }
}

function sealed(part: IRReasoningPart): boolean {
  return part.signature !== undefined || part.encrypted !== undefined;
}
