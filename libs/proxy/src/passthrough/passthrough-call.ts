import type { Dispatcher } from 'undici';
import {
  answerShaper,
  buildPassthroughRequest,
  isSameWire,
  parseModelSuffix,
  ResponsesCollector,
  SSEFramer,
  wholeUsage,
  type AnswerShaper,
  type IRUsage,
  type ProviderAdapter,
  type TranslationContext,
  type UpstreamCall,
  type WireFormat,
} from '@app/llm';
import { maskSecrets } from '@app/logs/secret-mask';
import type { Candidate } from '@app/proxy/candidate-source';
import type { ClientCall } from '@app/proxy/client-routes';
import type { PayloadRules } from '@app/proxy/payload-rules';
import type { UpstreamRequest } from '@app/proxy/upstream-request';

/**
 * Whether a call goes to this upstream as the client sent it (same wire format, a generation
 * call): then the client's body is forwarded with only the gateway's edits and the answer is
 * relayed as the upstream wrote it. Everything else is translated through the IR.
 */
export function isPassthrough(call: ClientCall, upstream: WireFormat): boolean {
  return call.action === 'generate' && isSameWire(call.format, upstream);
}

/** One forwarded call: the upstream request and how its answer reaches the client. */
export interface PassthroughCall {
  readonly request: UpstreamRequest;
  readonly shaper: AnswerShaper;
  /** The gateway asked an OpenAI stream for usage the client did not ask for. */
  readonly usageInjected: boolean;
}

export interface PassthroughInput {
  call: ClientCall;
  /** The client's JSON body (never mutated). */
  body: Record<string, unknown>;
  /** The model as the client named it (a thinking suffix on it still applies). */
  clientModel: string;
  clientStreams: boolean;
  requestId: string;
  /** `payload:` rules of the config version serving the request. */
  rules?: PayloadRules;
}

/**
 * The upstream call of a forwarded request for one credential: the client's body with the
 * upstream model, suffix reasoning, stream flag and the variant's required fields (see
 * buildPassthroughRequest), then the payload rules; URL and headers from the provider adapter.
 */
export function buildPassthroughCall(
  input: PassthroughInput,
  cand: Candidate,
  adapter: ProviderAdapter,
): PassthroughCall {
  const { call } = input;
  const streams = input.clientStreams || adapter.alwaysStreams;
  const built = buildPassthroughRequest(input.body, {
    client: call.format,
    upstream: adapter.format,
    model: cand.stateModel,
    reasoning: parseModelSuffix(input.clientModel).reasoning,
    stream: streams,
    project: cand.project,
  });
  let body = built.body;
  if (input.rules && !input.rules.empty) {
    body = input.rules.apply(body, {
      model: cand.stateModel,
      requestedModel: call.responseModel ?? input.clientModel,
      format: adapter.format,
    });
  }
  const target: UpstreamCall = {
    baseUrl: cand.baseUrl,
    model: cand.stateModel,
    stream: streams,
    action: call.action,
    token: cand.token,
    oauth: cand.oauth,
    headers: cand.headers,
    accountId: cand.accountId,
    project: cand.project,
    location: cand.location,
  };
  const headers = adapter.headers(target);
  if (!streams) headers.accept = 'application/json';
  headers['x-request-id'] = input.requestId;
  return {
    request: { url: adapter.url(target), headers, body: JSON.stringify(body), streams },
    shaper: answerShaper(call.format, adapter.format, call.responseModel),
    usageInjected: built.usageInjected,
  };
}

/**
 * An upstream error body a client of the same format can take as it came: a JSON object (not
 * cut short by the error-body cap), secrets masked. Undefined otherwise (the error is then
 * rendered from what was parsed of it).
 */
export function relayableError(body: string): string | undefined {
  const text = body.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  return maskSecrets(text);
}

/** A whole forwarded answer, ready for the client. */
export interface PassthroughAnswer {
  /** The client's JSON text. */
  text: string;
  usage: IRUsage | undefined;
}

/**
 * A whole (non-stream) answer as the upstream wrote it, parsed once for its usage (and reshaped
 * only when the client needs the Code Assist envelope added or removed, or a mapped model name).
 * Throws when it is not JSON (the pipeline then treats the attempt as failed).
 */
export function wholeAnswer(
  raw: string,
  upstream: WireFormat,
  shaper: AnswerShaper,
): PassthroughAnswer {
  const parsed: unknown = JSON.parse(raw);
  return {
    text: shaper.identity ? raw : shaper.whole(raw, parsed),
    usage: wholeUsage(upstream, parsed),
  };
}

/**
 * The answer of an upstream that only streams (Codex) for a non-stream client: the stream
 * collected into the response object. Throws StreamCollectError for a failed or cut stream.
 */
export async function collectAnswer(
  body: Dispatcher.ResponseData['body'],
  upstream: WireFormat,
  shaper: AnswerShaper,
  ctx: TranslationContext,
): Promise<PassthroughAnswer> {
  const collector = new ResponsesCollector(ctx);
  const framer = new SSEFramer();
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    for (const ev of framer.push(decoder.decode(chunk as Buffer, { stream: true })).events) {
      collector.push(ev);
    }
  }
  for (const ev of framer.end().events) collector.push(ev);
  const response = collector.result();
  const text = JSON.stringify(response);
  return {
    text: shaper.identity ? text : shaper.whole(text, response),
    usage: collector.usage ?? wholeUsage(upstream, response),
  };
}
