import {
  answerShaper,
  buildPassthroughRequest,
  createStreamScanner,
  isSameWire,
  parseModelSuffix,
  ResponsesCollector,
  StreamRelay,
  wholeUsage,
  type AnswerShaper,
  type ProviderAdapter,
  type StreamStep,
  type UpstreamCall,
  type WireFormat,
} from '@app/llm';
import { maskSecrets } from '@app/logs';
import type { Candidate } from '@app/proxy/candidate-source';
import type { ClientCall } from '@app/proxy/client-routes';
import type {
  AnswerCollector,
  AnswerStrategy,
  StreamFraming,
} from '@app/proxy/delivery/answer-strategy';
import type { PayloadRules } from '@app/proxy/payload-rules';
import type { Exchange } from '@app/proxy/pipeline/exchange';
import type { UpstreamRequest } from '@app/upstream';

/**
 * Whether a call goes to this upstream as the client sent it (same wire format, a generation
 * call): then the client's body is forwarded with only the gateway's edits and the answer is
 * relayed as the upstream wrote it. Everything else is translated through the IR.
 */
export function isPassthrough(call: ClientCall, upstream: WireFormat): boolean {
  return call.action === 'generate' && isSameWire(call.format, upstream);
}

/**
 * One forwarded call: the upstream request, and the delivery strategy of its answer — relayed
 * as the upstream wrote it (reshaped only where the client needs: the Code Assist envelope
 * added or removed, a mapped model name, a usage chunk it did not ask for), usage read on the
 * way. A whole answer as read is the client's JSON text.
 */
export class PassthroughCall implements AnswerStrategy<string> {
  constructor(
    readonly request: UpstreamRequest,
    private readonly shaper: AnswerShaper,
    /** The gateway asked an OpenAI stream for usage the client did not ask for. */
    private readonly usageInjected: boolean,
  ) {}

  stream(x: Exchange, upstream: WireFormat, framing: StreamFraming): StreamStep {
    return new StreamRelay({
      scanner: createStreamScanner(upstream, x.ctx),
      shaper: this.shaper,
      client: x.call.format,
      framing,
      dropUsageChunks: this.usageInjected,
    });
  }

  /** Parsed once for its usage; throws when it is not JSON (the attempt then failed). */
  read(x: Exchange, upstream: WireFormat, text: string): string {
    const parsed: unknown = JSON.parse(text);
    x.outcome.usage = wholeUsage(upstream, parsed);
    return this.shaper.identity ? text : this.shaper.whole(text, parsed);
  }

  /** The Codex backend only streams: its stream collected into the response object. */
  collect(x: Exchange, upstream: WireFormat): AnswerCollector<string> {
    return new ForwardedCollector(x, upstream, this.shaper);
  }

  answer(_x: Exchange, text: string): string {
    return text;
  }
}

/** A forwarded Responses stream collected into the client's JSON text. */
class ForwardedCollector extends ResponsesCollector implements AnswerCollector<string> {
  constructor(
    private readonly x: Exchange,
    private readonly upstream: WireFormat,
    private readonly shaper: AnswerShaper,
  ) {
    super(x.ctx);
  }

  result(): string {
    const response = this.response();
    this.x.outcome.usage = this.usage ?? wholeUsage(this.upstream, response);
    const text = JSON.stringify(response);
    return this.shaper.identity ? text : this.shaper.whole(text, response);
  }
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
  return new PassthroughCall(
    { url: adapter.url(target), headers, body: JSON.stringify(body), streams },
    answerShaper(call.format, adapter.format, call.responseModel),
    built.usageInjected,
  );
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
