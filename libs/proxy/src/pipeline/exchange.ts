import type { AppConfig } from '@app/config';
import type { IRRequest, TranslationContext, TranslationError } from '@app/llm';
import type { ClientCall } from '@app/proxy/client-routes';
import type { RequestHeaders } from '@app/logs';
import type { Outcome } from '@app/proxy/pipeline/outcome';
import type { ResponseSink } from '@app/proxy/pipeline/response-sink';
import type { AttemptFailure } from '@app/proxy/upstream-request';

/**
 * The client's request as the pipeline reads it: plain fields the route layer hands over (its
 * HTTP request object fits as it is, nothing is copied).
 */
export interface ClientRequest {
  /** The gateway's request id (`x-request-id`). */
  readonly id: string;
  readonly method: string;
  /** Path and query as the client sent them. */
  readonly url: string;
  readonly headers: RequestHeaders;
  /** Parsed query parameters (a Gemini client's `?key=`). */
  readonly query?: unknown;
  /** The parsed JSON body. */
  readonly body: unknown;
  /** The connection the request came on, for the client's address. */
  readonly socket: { readonly remoteAddress?: string };
}

/** What every answer of one request needs: what was asked, how, where the answer goes. */
export interface RequestScope {
  readonly req: ClientRequest;
  readonly call: ClientCall;
  readonly res: ResponseSink;
  readonly outcome: Outcome;
}

/** Everything the steps of one admitted, well-formed request share. */
export interface Exchange extends RequestScope {
  readonly cfg: Readonly<AppConfig>;
  readonly body: Record<string, unknown>;
  /**
   * The body parsed into the IR, once, when a cross-format attempt (or an estimate) first needs
   * it: a call forwarded to an upstream of its own format never parses it. `ir` is undefined
   * for compact, which is relayed as the client sent it.
   */
  parsed?: { ir: IRRequest | undefined } | { error: TranslationError };
  readonly ctx: TranslationContext;
  /** The model as the client named it. */
  readonly model: string;
  readonly clientStreams: boolean;
  /** When the request arrived (ms since the epoch). */
  readonly started: number;
}

/** How one attempt ended: the client was answered, or a failure to fail over from. */
export type AttemptResult = 'done' | (AttemptFailure & { earlyStream?: boolean });
