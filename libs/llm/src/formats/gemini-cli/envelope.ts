import type { Codec, TranslationContext } from '@app/llm/codec';
import type { IRRequest, IRResponse } from '@app/llm/ir/types';
import { ENVELOPE_EXTRA_KEY } from '@app/llm/formats/gemini/common';
import { buildGeminiError, parseGeminiError } from '@app/llm/formats/gemini/error';
import { buildGeminiRequest, parseGeminiRequest } from '@app/llm/formats/gemini/request';
import { buildGeminiResponse, parseGeminiResponse } from '@app/llm/formats/gemini/response';
import { GeminiStreamDecoder, GeminiStreamEncoder } from '@app/llm/formats/gemini/stream';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';

/**
 * The Code Assist (`cloudcode-pa.googleapis.com/v1internal`) envelope shared by Gemini CLI and
 * Antigravity: requests are `{"model","project","request":{…Gemini body…}}`, responses and stream
 * chunks `{"response":{…Gemini response…},"traceId"}`. Everything inside is the Gemini codec.
 */
export interface EnvelopeSpec {
  format: 'gemini-cli' | 'antigravity';
  /** Envelope fields the format sets itself; a client's values for them are never copied. */
  ownKeys: ReadonlySet<string>;
  /** Add format-specific envelope fields and adjust the inner request (mutates both). */
  finishRequest?(
    envelope: Record<string, unknown>,
    request: Record<string, unknown>,
    ir: IRRequest,
    ctx: TranslationContext,
  ): void;
}

const REQUEST_ENVELOPE_KEYS: ReadonlySet<string> = new Set(['model', 'project', 'request']);
const RESPONSE_ENVELOPE_KEYS: ReadonlySet<string> = new Set(['response']);

/** Parse an envelope request (client side of `/v1internal:{method}`). */
export function parseEnvelopeRequest(
  body: unknown,
  ctx: TranslationContext,
  spec: EnvelopeSpec,
): IRRequest {
  if (!isRecord(body))
    throw new TranslationError('A Code Assist request body must be a JSON object');
  const inner = body.request;
  if (!isRecord(inner)) throw new TranslationError('request must be an object', 'request');
  let ir: IRRequest;
  try {
    ir = parseGeminiRequest(inner, ctx, spec.format);
  } catch (e) {
    throw e instanceof TranslationError ? nestError(e, 'request') : e;
  }
  if (!ir.model && typeof body.model === 'string') ir.model = body.model;
  const rest = leftovers(body, REQUEST_ENVELOPE_KEYS);
  if (rest) ir.extra[ENVELOPE_EXTRA_KEY] = rest;
  return ir;
}

/** Build an envelope request around a Gemini body for the upstream. */
export function buildEnvelopeRequest(
  ir: IRRequest,
  ctx: TranslationContext,
  spec: EnvelopeSpec,
): Record<string, unknown> {
  const request = buildGeminiRequest(ir, ctx, spec.format);
  const envelope: Record<string, unknown> = { model: ctx.upstreamModel || ir.model };
  if (ctx.project) envelope.project = ctx.project;
  const rest = ir.sourceFormat === spec.format ? ir.extra[ENVELOPE_EXTRA_KEY] : undefined;
  if (isRecord(rest)) {
    for (const key in rest) if (!spec.ownKeys.has(key)) envelope[key] = rest[key];
  }
  spec.finishRequest?.(envelope, request, ir, ctx);
  envelope.request = request;
  return envelope;
}

/** Parse `{"response":{…}}` (a bare Gemini response is accepted too). */
export function parseEnvelopeResponse(
  body: unknown,
  ctx: TranslationContext,
  spec: EnvelopeSpec,
): IRResponse {
  if (!isRecord(body))
    throw new TranslationError('A Code Assist response body must be a JSON object');
  const inner = body.response;
  if (!isRecord(inner)) return parseGeminiResponse(body, ctx, spec.format);
  let ir: IRResponse;
  try {
    ir = parseGeminiResponse(inner, ctx, spec.format);
  } catch (e) {
    throw e instanceof TranslationError ? nestError(e, 'response') : e;
  }
  const rest = leftovers(body, RESPONSE_ENVELOPE_KEYS);
  if (rest) ir.extra[ENVELOPE_EXTRA_KEY] = rest;
  return ir;
}

/** Build `{"response":{…}}` for a Code Assist client. */
export function buildEnvelopeResponse(
  ir: IRResponse,
  ctx: TranslationContext,
  spec: EnvelopeSpec,
): Record<string, unknown> {
  const out: Record<string, unknown> = { response: buildGeminiResponse(ir, ctx, spec.format) };
  const rest = ir.sourceFormat === spec.format ? ir.extra[ENVELOPE_EXTRA_KEY] : undefined;
  if (isRecord(rest)) for (const key in rest) if (key !== 'response') out[key] = rest[key];
  return out;
}

/** Stream chunks are `{"response":{…}}`; errors come bare. */
function unwrapChunk(chunk: Record<string, unknown>): unknown {
  return isRecord(chunk.response) ? chunk.response : chunk;
}

function wrapChunk(chunk: Record<string, unknown>): Record<string, unknown> {
  return { response: chunk };
}

/** A complete codec for one envelope format. */
export function createEnvelopeCodec(spec: EnvelopeSpec): Codec {
  return {
    format: spec.format,
    parseRequest: (body, ctx) => parseEnvelopeRequest(body, ctx, spec),
    buildRequest: (ir, ctx) => buildEnvelopeRequest(ir, ctx, spec),
    parseResponse: (body, ctx) => parseEnvelopeResponse(body, ctx, spec),
    buildResponse: (ir, ctx) => buildEnvelopeResponse(ir, ctx, spec),
    createStreamDecoder: (ctx) => new GeminiStreamDecoder(ctx, unwrapChunk),
    createStreamEncoder: (ctx) => new GeminiStreamEncoder(ctx, wrapChunk),
    // Code Assist errors are ordinary Google API errors.
    buildError: buildGeminiError,
    parseError: parseGeminiError,
  };
}

function leftovers(
  body: Record<string, unknown>,
  known: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  let rest: Record<string, unknown> | undefined;
  for (const key in body) if (!known.has(key)) (rest ??= {})[key] = body[key];
  return rest;
}

/** Re-anchor an inner body's error path under the envelope field it came from. */
function nestError(e: TranslationError, field: string): TranslationError {
  const suffix = e.path ? ` (at ${e.path})` : '';
  const message =
    suffix && e.message.endsWith(suffix) ? e.message.slice(0, -suffix.length) : e.message;
  return new TranslationError(message, e.path ? `${field}.${e.path}` : field);
}
