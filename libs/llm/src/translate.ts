import type { TranslationContext } from '@app/llm/codec';
import { codecFor } from '@app/llm/formats';
import type { IRRequest, IRResponse, WireFormat } from '@app/llm/ir/types';
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

/**
 * IR request → the body for an upstream speaking `to`, under the model the upstream knows
 * (`ctx.upstreamModel`) and with the stream flag the call needs.
 */
export function encodeRequest(
  to: WireFormat,
  ir: IRRequest,
  ctx: TranslationContext,
  stream = ir.stream,
): Record<string, unknown> {
  return codecFor(to).buildRequest({ ...ir, model: ctx.upstreamModel || ir.model, stream }, ctx);
}

/** IR response → the client's body, under the model the client asked for. */
export function encodeResponse(
  client: WireFormat,
  ir: IRResponse,
  ctx: TranslationContext,
): Record<string, unknown> {
  return codecFor(client).buildResponse({ ...ir, model: ctx.requestedModel || ir.model }, ctx);
}

/** Client request body → upstream request body. */
export function translateRequest(
  from: WireFormat,
  to: WireFormat,
  body: unknown,
  ctx: TranslationContext,
): Record<string, unknown> {
  return encodeRequest(to, parseClientRequest(from, body, ctx), ctx);
}

/** Upstream non-stream response body → client response body. */
export function translateResponse(
  upstream: WireFormat,
  client: WireFormat,
  body: unknown,
  ctx: TranslationContext,
): Record<string, unknown> {
  return encodeResponse(client, codecFor(upstream).parseResponse(body, ctx), ctx);
}
