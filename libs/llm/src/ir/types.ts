/**
 * The intermediate representation (IR) every wire format is translated through.
 *
 * Each codec parses its own wire format into these types and builds its wire format from them, so
 * N formats need N codecs instead of N×N translators. Conventions:
 * - Token counts follow OpenAI semantics: `inputTokens` includes cached input tokens,
 *   `outputTokens` includes reasoning tokens.
 * - Tool results travel as parts of a `user` message (Claude's model); OpenAI codecs split them
 *   into `role: "tool"` messages on the way out.
 * - `extra` holds fields of the source format that have no IR slot; a codec copies them into its
 *   output only when the target format is the one they came from (`sourceFormat`), so unknown
 *   fields pass through untouched between same-family formats.
 */

/** Every wire format the library speaks. */
export type WireFormat =
  | 'openai' // Chat Completions
  | 'openai-completions' // legacy Completions (client side only; converted to chat)
  | 'openai-responses' // Responses API
  | 'codex' // Responses API as the Codex backend expects it
  | 'claude' // Anthropic Messages
  | 'gemini' // generateContent
  | 'gemini-cli' // Code Assist envelope {"project","request","model"} / {"response"}
  | 'antigravity'; // Antigravity envelope (Code Assist shape, own headers and ids)

export const WIRE_FORMATS: readonly WireFormat[] = [
  'openai',
  'openai-completions',
  'openai-responses',
  'codex',
  'claude',
  'gemini',
  'gemini-cli',
  'antigravity',
];

/** Reasoning effort levels shared by every format (see util/thinking.ts for budgets). */
export type ReasoningLevel =
  'none' | 'auto' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';

export interface IRTextPart {
  type: 'text';
  text: string;
  /** Claude cache_control and similar per-part hints, kept for same-format round trips. */
  extra?: Record<string, unknown>;
}

export type IRMediaSource =
  | { kind: 'base64'; mediaType: string; data: string }
  | { kind: 'url'; url: string; mediaType?: string }
  | { kind: 'file-id'; fileId: string; mediaType?: string };

export interface IRImagePart {
  type: 'image';
  source: IRMediaSource;
  /** OpenAI image_url.detail */
  detail?: string;
}

export interface IRFilePart {
  type: 'file';
  source: IRMediaSource;
  filename?: string;
}

export interface IRToolCallPart {
  type: 'tool_call';
  /** Stable call id (OpenAI tool_call.id, Claude tool_use.id, Responses call_id). */
  id: string;
  name: string;
  /** Arguments as JSON text, exactly as the model produced them. */
  arguments: string;
  /** Gemini thoughtSignature, kept so Gemini-family round trips stay valid. */
  signature?: string;
}

export interface IRToolResultPart {
  type: 'tool_result';
  /** The id of the tool_call this answers. */
  callId: string;
  /** Tool name when the source format knows it (Gemini needs it; filled from history otherwise). */
  name?: string;
  content: (IRTextPart | IRImagePart | IRFilePart)[];
  isError?: boolean;
}

export interface IRReasoningPart {
  type: 'reasoning';
  text: string;
  /** Claude thinking signature / Gemini thoughtSignature. */
  signature?: string;
  /** Opaque encrypted reasoning (Claude redacted_thinking data, Responses encrypted_content). */
  encrypted?: string;
  /** Responses reasoning item id. */
  id?: string;
}

export type IRPart =
  IRTextPart | IRImagePart | IRFilePart | IRToolCallPart | IRToolResultPart | IRReasoningPart;

export interface IRMessage {
  role: 'user' | 'assistant';
  content: IRPart[];
  /** OpenAI `name` on a message, kept for same-format round trips. */
  name?: string;
}

export interface IRTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments (cleaned per target by the codec). */
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export type IRToolChoice =
  { type: 'auto' } | { type: 'required' } | { type: 'none' } | { type: 'tool'; name: string };

export interface IRReasoning {
  /** Effort level when the source said a level. */
  level?: ReasoningLevel;
  /** Token budget when the source said a budget (-1 = dynamic/auto, 0 = off). */
  budget?: number;
  /** Whether reasoning text should be returned (Gemini includeThoughts, Responses summary). */
  includeThoughts?: boolean;
  /** Responses reasoning.summary ("auto" | "concise" | "detailed"). */
  summary?: string;
}

export type IRResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name?: string; schema: Record<string, unknown>; strict?: boolean };

export interface IRSampling {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  stop?: string[];
  /** Number of candidates (OpenAI n, Gemini candidateCount). */
  n?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
}

export interface IRRequest {
  /** The model as the client named it (suffix already stripped by applyModelSuffix). */
  model: string;
  /** System / developer instructions, in order. */
  system: IRTextPart[];
  messages: IRMessage[];
  tools?: IRTool[];
  toolChoice?: IRToolChoice;
  parallelToolCalls?: boolean;
  reasoning?: IRReasoning;
  sampling: IRSampling;
  responseFormat?: IRResponseFormat;
  stream: boolean;
  /** End-user id / metadata.user_id. */
  user?: string;
  metadata?: Record<string, unknown>;
  sourceFormat: WireFormat;
  /** Unknown top-level fields of the source body (see file comment). */
  extra: Record<string, unknown>;
}

/** Why generation stopped, normalised. */
export type IRStopReason =
  | 'stop'
  | 'length'
  | 'tool_calls'
  | 'content_filter'
  | 'stop_sequence'
  | 'refusal'
  | 'pause'
  | 'error';

export interface IRUsage {
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  cachedTokens: number;
  totalTokens: number;
  /** Claude cache_creation_input_tokens (part of inputTokens). */
  cacheCreationTokens?: number;
}

export interface IRCandidate {
  index: number;
  content: IRPart[];
  stopReason?: IRStopReason;
  /** The stop sequence that ended generation, when known (Claude stop_sequence). */
  stopSequence?: string;
}

export interface IRResponse {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  candidates: IRCandidate[];
  usage?: IRUsage;
  sourceFormat: WireFormat;
  extra: Record<string, unknown>;
}

/**
 * Stream events between a decoder (upstream format → IR) and an encoder (IR → client format).
 * `candidate` defaults to 0. Tool calls are numbered by `callIndex`, an ordinal per candidate
 * that a decoder assigns in order of appearance.
 */
export type IRStreamEvent =
  | { type: 'start'; id: string; model: string; created: number }
  | { type: 'text_delta'; text: string; candidate?: number }
  | { type: 'reasoning_delta'; text: string; candidate?: number }
  /** A reasoning signature or encrypted blob, sent once the reasoning part is complete. */
  | { type: 'reasoning_signature'; signature?: string; encrypted?: string; candidate?: number }
  | {
      type: 'tool_call_start';
      callIndex: number;
      id: string;
      name: string;
      signature?: string;
      candidate?: number;
    }
  | { type: 'tool_call_delta'; callIndex: number; argumentsDelta: string; candidate?: number }
  | { type: 'tool_call_end'; callIndex: number; candidate?: number }
  | { type: 'finish'; stopReason: IRStopReason; stopSequence?: string; candidate?: number }
  /** Usage so far; later events supersede earlier ones (the last one is final). */
  | { type: 'usage'; usage: IRUsage }
  /** The upstream failed mid-stream; encoders render a format-correct error event. */
  | { type: 'error'; status: number; errorType: string; message: string }
  /** End of the upstream stream. Encoders flush pending state and emit their terminator. */
  | { type: 'end' };

/** One parsed Server-Sent Event (see sse/sse-parser.ts). */
export interface SSEEvent {
  event?: string;
  data: string;
  id?: string;
}
