import type { IRRequest, IRResponse, IRStreamEvent, SSEEvent, WireFormat } from '@app/llm/ir/types';

/**
 * State shared by the request, response and stream halves of one exchange. The proxy creates one
 * per request and passes the same object to every call.
 */
export interface TranslationContext {
  /** Model name sent upstream (after alias resolution and suffix stripping). */
  upstreamModel: string;
  /** Model name the client asked for; responses report this one. */
  requestedModel: string;
  /** Gemini CLI / Antigravity project id. */
  project?: string;
  /**
   * Tool names shortened for OpenAI-family upstreams (max 64 chars): short → original. Filled by
   * buildRequest, read by parseResponse and stream decoders to restore the originals.
   */
  toolNameMap: Map<string, string>;
  /**
   * Whether the client asked for a stream, for formats whose body does not say it (Gemini: the
   * URL action streamGenerateContent). parseRequest of those formats reads it.
   */
  stream?: boolean;
  /** Gemini client streaming mode: SSE (`alt=sse`) or a raw JSON array. */
  geminiStreamMode?: 'sse' | 'json-array';
  /** Whether the client asked for usage in the OpenAI stream (stream_options.include_usage). */
  includeUsage?: boolean;
  /** Free-form per-exchange state a codec may keep (e.g. Responses ids). */
  state: Record<string, unknown>;
  /**
   * Parts of the client body the IR carries only for an upstream of the same format (unknown
   * content blocks, server tools, unknown top-level fields), named for a debug log when a
   * cross-format build drops them. Filled by parseRequest.
   */
  unmodelled?: string[];
}

export function createContext(
  init: Partial<TranslationContext> & { upstreamModel: string },
): TranslationContext {
  return {
    requestedModel: init.upstreamModel,
    toolNameMap: new Map(),
    state: {},
    ...init,
  };
}

/** Turns upstream stream events of one format into IR events. Stateful, one per stream. */
export interface StreamDecoder {
  /** Feed one SSE event (or one JSON value for JSON-array streams, as `data`). */
  push(event: SSEEvent): IRStreamEvent[];
  /** The upstream stream ended; flush anything pending (always ends with `{type:'end'}`). */
  end(): IRStreamEvent[];
}

/** Turns IR events into client stream frames. Stateful, one per stream. */
export interface StreamEncoder {
  /** Returns fully framed output chunks (e.g. `event: x\ndata: {...}\n\n`), possibly none. */
  push(event: IRStreamEvent): string[];
  /** Content type of the client stream (text/event-stream, application/json for Gemini arrays). */
  readonly contentType: string;
}

/** An error rendered in a wire format. */
export interface WireError {
  status: number;
  /** Normalised type: invalid_request_error, authentication_error, permission_error,
   * not_found_error, rate_limit_error, api_error, overloaded_error, service_error, … */
  type: string;
  message: string;
  /** Machine code (OpenAI error.code), e.g. model_cooldown. */
  code?: string;
}

/**
 * One wire format: how to read and write its requests, responses, streams and errors.
 * Parse functions throw TranslationError (util/errors.ts) on invalid input.
 */
export interface Codec {
  readonly format: WireFormat;
  parseRequest(body: unknown, ctx: TranslationContext): IRRequest;
  buildRequest(ir: IRRequest, ctx: TranslationContext): Record<string, unknown>;
  parseResponse(body: unknown, ctx: TranslationContext): IRResponse;
  buildResponse(ir: IRResponse, ctx: TranslationContext): Record<string, unknown>;
  createStreamDecoder(ctx: TranslationContext): StreamDecoder;
  createStreamEncoder(ctx: TranslationContext): StreamEncoder;
  /** Render an error body in this format. */
  buildError(error: WireError): Record<string, unknown>;
  /** Read an upstream error body of this format (best effort; unknown shapes → message text). */
  parseError(status: number, body: string): WireError;
}
