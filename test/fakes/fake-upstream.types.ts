import type { IncomingHttpHeaders } from 'node:http';
import type { FaultKind } from './faults';
import type { RouteKind } from './routes';
import type { AnswerOverride, FakeAnswer } from './scenario';

/** How to start a FakeUpstream. */
export interface FakeUpstreamOptions {
  /** 0 or absent: a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Stream pieces for answer text and tool arguments (default 5). */
  readonly streamChunks?: number;
  /** Prompt tokens reported as served from cache (default 0, capped at the prompt tokens). */
  readonly cachedTokens?: number;
  /** When set, requests must carry one of these keys (else the provider's 401/403). */
  readonly apiKeys?: readonly string[];
  /** Reject requests the real API rejects (missing model, max_tokens, anthropic-version...). Default true. */
  readonly strict?: boolean;
  /** Requests kept for `requests()` (default 10,000; 0 keeps none, for benchmarks). */
  readonly maxRecords?: number;
  /** Model lists served by the list endpoints. */
  readonly models?: {
    readonly openai?: readonly string[];
    readonly claude?: readonly string[];
    readonly gemini?: readonly string[];
  };
  /** Project id returned by Code Assist loadCodeAssist/onboardUser. */
  readonly project?: string;
}

/** One request as the fake saw it. */
export interface RecordedRequest {
  /** 1, 2, 3... in arrival order. */
  readonly seq: number;
  readonly method: string;
  /** Path without the query string, percent-decoded. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, the raw text otherwise, undefined when empty. */
  readonly body: unknown;
  /** The body exactly as it arrived ('' when empty), for byte-level comparisons. */
  readonly rawBody: string;
  /** Date.now() when the request arrived. */
  readonly receivedAt: number;
  readonly route: RouteKind;
  /** The model from the body or the URL. */
  readonly model?: string;
  /** The credential sent (bearer, x-api-key, x-goog-api-key or ?key=). */
  readonly apiKey?: string;
  /** The request asked for a streamed answer. */
  readonly stream: boolean;
  /** Faults applied to this request (empty when none). */
  readonly faults: readonly FaultKind[];
  /** Status sent, once headers are out. */
  readonly status?: number;
  /** What the fake model answered (generation routes). */
  readonly answer?: FakeAnswer;
  /** Date.now() when the client went away before the response was complete. */
  readonly abortedAt?: number;
  /** Date.now() when the response closed (finished, aborted or reset). */
  readonly closedAt?: number;
}

/** Extra response headers for a custom reply. */
export type ReplyHeaders = Readonly<Record<string, string>>;

/** What an `onRequest` hook may answer instead of the default model. */
export type CustomReply =
  /** A custom answer rendered in the request's own wire format. */
  | { readonly answer: AnswerOverride }
  /** A raw body (objects are sent as JSON). */
  | { readonly status?: number; readonly headers?: ReplyHeaders; readonly body: unknown }
  /** Raw stream frames, written in order (pacing and reset faults still apply). */
  | {
      readonly status?: number;
      readonly headers?: ReplyHeaders;
      readonly chunks: readonly string[];
    };

/** Hook run for every request after faults are picked; undefined falls through to the default. */
export type OnRequestHandler = (
  req: RecordedRequest,
) => CustomReply | undefined | Promise<CustomReply | undefined>;
