import type { StreamDecoder, StreamEncoder, TranslationContext } from '@app/llm/codec';
import { codecFor } from '@app/llm/formats';
import type { IRRequest, IRStreamEvent, SSEEvent, WireFormat } from '@app/llm/ir/types';
import { checkFieldTypes } from '@app/llm/util/field-types';
import { applyModelSuffix } from '@app/llm/util/thinking';

/**
 * Parse a client request into the IR (model suffix applied). Fields of the wrong JSON type are
 * refused here, on the way into the IR, as the client's own API would refuse them.
 */
export function parseClientRequest(
  from: WireFormat,
  body: unknown,
  ctx: TranslationContext,
): IRRequest {
  checkFieldTypes(from, body);
  return applyModelSuffix(codecFor(from).parseRequest(body, ctx));
}

/** Client request body → upstream request body. */
export function translateRequest(
  from: WireFormat,
  to: WireFormat,
  body: unknown,
  ctx: TranslationContext,
): Record<string, unknown> {
  const ir = parseClientRequest(from, body, ctx);
  return codecFor(to).buildRequest({ ...ir, model: ctx.upstreamModel || ir.model }, ctx);
}

/** Upstream non-stream response body → client response body. */
export function translateResponse(
  upstream: WireFormat,
  client: WireFormat,
  body: unknown,
  ctx: TranslationContext,
): Record<string, unknown> {
  const ir = codecFor(upstream).parseResponse(body, ctx);
  return codecFor(client).buildResponse({ ...ir, model: ctx.requestedModel || ir.model }, ctx);
}

/** Upstream stream events → client stream frames, one event at a time. */
export class StreamTranslator {
  private readonly decoder: StreamDecoder;
  private readonly encoder: StreamEncoder;
  /** IR events seen so far that carry usage (the last one is final). */
  lastUsage: Extract<IRStreamEvent, { type: 'usage' }>['usage'] | undefined;
  /** True once the upstream said why it stopped (a stream without it was cut short). */
  sawFinish = false;
  private ended = false;

  constructor(upstream: WireFormat, client: WireFormat, ctx: TranslationContext) {
    this.decoder = codecFor(upstream).createStreamDecoder(ctx);
    this.encoder = codecFor(client).createStreamEncoder(ctx);
  }

  get contentType(): string {
    return this.encoder.contentType;
  }

  /** Feed one upstream SSE event; returns framed client output. */
  push(event: SSEEvent): string[] {
    return this.forward(this.decoder.push(event));
  }

  /** Inject an IR event directly (e.g. an error when the upstream connection dies). */
  inject(event: IRStreamEvent): string[] {
    return this.forward([event]);
  }

  /** Upstream finished: flush and terminate the client stream (idempotent). */
  end(): string[] {
    if (this.ended) return [];
    return this.forward(this.decoder.end());
  }

  /** True once the client stream has been terminated. */
  get hasEnded(): boolean {
    return this.ended;
  }

  private forward(events: IRStreamEvent[]): string[] {
    const out: string[] = [];
    for (const ev of events) {
      if (this.ended) break;
      if (ev.type === 'usage') this.lastUsage = ev.usage;
      else if (ev.type === 'finish' || ev.type === 'error') this.sawFinish = true;
      for (const chunk of this.encoder.push(ev)) out.push(chunk);
      if (ev.type === 'end') this.ended = true;
    }
    return out;
  }
}
