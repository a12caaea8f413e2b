import type { IRUsage, SSEEvent, WireFormat } from '@app/llm/ir/types';
import { usageFromClaude } from '@app/llm/formats/claude/mapping';
import { readUsage } from '@app/llm/formats/gemini/common';
import { parseUsage as parseChatUsage } from '@app/llm/formats/openai/response';
import { parseUsage as parseResponsesUsage } from '@app/llm/formats/openai-responses/shared';
import type { TranslationContext } from '@app/llm/codec';
import { StreamCollectError } from '@app/llm/ir/collect';
import { createStreamScanner, ScanningStep } from '@app/llm/passthrough/stream-scanner';
import { SSEParser } from '@app/llm/sse/sse-parser';
import { INCOMPLETE_STREAM } from '@app/llm/stream/stream-step';
import { isRecord } from '@app/llm/util/json';

type Json = Record<string, unknown>;

function enveloped(format: WireFormat): boolean {
  return format === 'gemini-cli' || format === 'antigravity';
}

/** Usage of a whole (non-stream) upstream answer, read as the translated path reads it. */
export function wholeUsage(upstream: WireFormat, body: unknown): IRUsage | undefined {
  if (!isRecord(body)) return undefined;
  switch (upstream) {
    case 'claude':
      return usageFromClaude(body.usage);
    case 'openai':
    case 'openai-completions':
      return parseChatUsage(body.usage);
    case 'openai-responses':
    case 'codex':
      return parseResponsesUsage(body.usage);
    case 'gemini':
    case 'gemini-cli':
    case 'antigravity':
      return readUsage(isRecord(body.response) ? body.response : body);
  }
}

/** Where answers of each format name the model (CLIProxyAPI rewrites the same places). */
const MODEL_PATHS: readonly (readonly string[])[] = [
  ['model'],
  ['modelVersion'],
  ['message', 'model'],
  ['response', 'model'],
  ['response', 'modelVersion'],
];

/**
 * Name `model` wherever an answer or stream event names its model (a copy; the input is kept).
 * Used when the client asked for one name and the gateway routed another (an Amp mapping).
 */
export function withResponseModel(value: Json, model: string): Json {
  let out = value;
  for (const path of MODEL_PATHS) {
    const [first, second] = path;
    if (second === undefined) {
      if (typeof out[first] === 'string') out = { ...out, [first]: model };
      continue;
    }
    const inner = out[first];
    if (isRecord(inner) && typeof inner[second] === 'string') {
      out = { ...out, [first]: { ...inner, [second]: model } };
    }
  }
  return out;
}

/**
 * How a same-wire answer reaches the client: unchanged, or moved in or out of the Code Assist
 * envelope (`{"response":{…}}`) when only one side speaks it, and renamed for a mapped model.
 */
export interface AnswerShaper {
  /** True when answers go out exactly as the upstream sent them. */
  readonly identity: boolean;
  /** A whole answer (its text and its parsed form) → the client's text. */
  whole(text: string, parsed: unknown): string;
  /** One stream event's data → the client's (undefined: unchanged). */
  event(data: string): string;
}

/** The shaper for answers from `upstream` to a `client` of the same wire. */
export function answerShaper(
  client: WireFormat,
  upstream: WireFormat,
  responseModel?: string,
): AnswerShaper {
  const unwrap = enveloped(upstream) && !enveloped(client);
  const wrap = enveloped(client) && !enveloped(upstream);
  if (!unwrap && !wrap && responseModel === undefined) {
    return { identity: true, whole: (text) => text, event: (data) => data };
  }
  const shape = (value: unknown): unknown => {
    if (!isRecord(value)) return value;
    let v: unknown = value;
    // Errors come bare from Code Assist; only answers travel in the envelope.
    if (unwrap && isRecord(value.response)) v = value.response;
    if (responseModel !== undefined && isRecord(v)) v = withResponseModel(v, responseModel);
    if (wrap && isRecord(v) && !isRecord(v.error)) v = { response: v };
    return v;
  };
  return {
    identity: false,
    whole: (text, parsed) => {
      // Wrapping alone needs no parse of the answer.
      if (wrap && responseModel === undefined) return `{"response":${text}}`;
      return JSON.stringify(shape(parsed));
    },
    event: (data) => {
      if (wrap && responseModel === undefined) {
        return data.startsWith('{"error"') ? data : `{"response":${data}}`;
      }
      try {
        return JSON.stringify(shape(JSON.parse(data)));
      } catch {
        return data;
      }
    },
  };
}

/**
 * A Responses stream collected into the response object a non-stream client expects (the Codex
 * backend only streams). The terminal event holds the whole response; its `output` is filled
 * from the `response.output_item.done` events when the backend left it empty, as it may. It is
 * a stream step that writes nothing to the client: the stream pump reads the upstream into it,
 * and an error in the stream ends the collection as `failure`, reported as the translated path
 * reports it (status from the error code).
 */
export class ResponsesCollector extends ScanningStep {
  private readonly parser = new SSEParser();
  private readonly items = new Map<number, unknown>();
  private readonly unindexed: unknown[] = [];
  private final: Json | undefined;

  constructor(ctx: TranslationContext) {
    super(createStreamScanner('codex', ctx));
  }

  /** A collection writes nothing, so it never ends a client stream. */
  get ended(): boolean {
    return false;
  }

  push(text: string): string {
    for (const ev of this.parser.push(text)) this.collect(ev);
    return '';
  }

  flush(): string {
    for (const ev of this.parser.end()) this.collect(ev);
    return '';
  }

  end(): string {
    return '';
  }

  fail(): string {
    return '';
  }

  /** The complete response; throws when the stream failed or ended before its terminal event. */
  response(): Json {
    const failure = this.scanner.failure;
    if (failure) throw new StreamCollectError(failure.status, failure.type, failure.message);
    const final = this.final;
    if (!final) {
      throw new StreamCollectError(
        INCOMPLETE_STREAM.status,
        INCOMPLETE_STREAM.type,
        INCOMPLETE_STREAM.message,
      );
    }
    const output = final.output;
    if (Array.isArray(output) && output.length > 0) return final;
    const items = [...this.items.entries()].sort((a, b) => a[0] - b[0]).map(([, item]) => item);
    for (const item of this.unindexed) items.push(item);
    return items.length > 0 ? { ...final, output: items } : final;
  }

  private collect(ev: SSEEvent): void {
    // Nothing after a failure counts: the answer is the error.
    if (this.scanner.failure) return;
    this.scanner.push(ev);
    if (this.scanner.failure) return;
    const type = ev.event ?? '';
    if (type !== '' && type !== 'response.output_item.done' && type !== 'response.completed') {
      if (type !== 'response.incomplete') return;
    }
    let data: unknown;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (!isRecord(data)) return;
    if (data.type === 'response.output_item.done') {
      if (typeof data.output_index === 'number') this.items.set(data.output_index, data.item);
      else this.unindexed.push(data.item);
    } else if (
      (data.type === 'response.completed' || data.type === 'response.incomplete') &&
      isRecord(data.response)
    ) {
      this.final = data.response;
    }
  }
}
