import type { StreamDecoder, TranslationContext } from '@app/llm/codec';
import { codecFor } from '@app/llm/formats';
import { readUsage } from '@app/llm/formats/gemini/common';
import type { IRUsage, SSEEvent, WireFormat } from '@app/llm/ir/types';
import { StreamWatch, type StreamFailure, type StreamStep } from '@app/llm/stream/stream-step';
import { isRecord } from '@app/llm/util/json';

/**
 * Reads an upstream stream that is relayed as it came: usage, whether the upstream said why it
 * stopped, its terminal frame, errors, and the length of generated text (for estimates when a
 * stream is cut short). The few events that carry these (message_start/message_delta, a chunk
 * with finish_reason or usage, response.completed…) go through the format's own stream decoder,
 * so usage is read exactly as on the translated path; the bulk of content deltas is only
 * measured, never parsed.
 */
export interface StreamScanner {
  push(event: SSEEvent): void;
  /** The last usage the upstream reported. */
  readonly usage: IRUsage | undefined;
  /** The upstream said why it stopped (or failed). */
  readonly finished: boolean;
  /** The upstream's own terminal frame arrived (message_stop, [DONE], response.completed…). */
  readonly terminated: boolean;
  /** An error event the upstream sent. */
  readonly failure: StreamFailure | undefined;
  /** Characters of generated text seen (text, reasoning, tool arguments). */
  readonly outputChars: number;
  /** Response id and model from the stream's first event, when it had them. */
  readonly responseId: string | undefined;
  readonly responseModel: string | undefined;
}

/** What to do with one event. */
type Kind = 'decode' | 'count' | 'skip';

/** First `"type":"…"` of an event's JSON (the top-level type in Claude and Responses events). */
const TYPE_FIELD = /"type"\s*:\s*"([^"]*)"/;
/** String values of the fields that carry generated text in stream deltas, any format. */
const DELTA_TEXT =
  /"(?:text|thinking|partial_json|content|reasoning_content|arguments|delta)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
const FINISH_REASON = /"finish_reason"\s*:\s*"/;
const USAGE_OBJECT = /"usage"\s*:\s*\{/;
const ERROR_FIELD = /^\s*\{\s*"error"\s*:/;

function eventType(ev: SSEEvent): string {
  return ev.event ?? TYPE_FIELD.exec(ev.data)?.[1] ?? '';
}

function deltaChars(data: string): number {
  let n = 0;
  DELTA_TEXT.lastIndex = 0;
  for (let m = DELTA_TEXT.exec(data); m; m = DELTA_TEXT.exec(data)) n += m[1].length;
  return n;
}

/** Which events of each upstream format carry usage, the stop reason, errors or the end. */
const CLASSIFIERS: Readonly<Record<WireFormat, (ev: SSEEvent) => Kind>> = {
  claude: (ev) => {
    switch (eventType(ev)) {
      case 'message_start':
      case 'message_delta':
      case 'message_stop':
      case 'error':
        return 'decode';
      case 'content_block_delta':
        return 'count';
      default:
        return 'skip';
    }
  },
  openai: (ev) => {
    const d = ev.data;
    if (d.startsWith('[DONE]')) return 'decode';
    if (FINISH_REASON.test(d) || USAGE_OBJECT.test(d) || ERROR_FIELD.test(d)) return 'decode';
    return 'count';
  },
  'openai-completions': (ev) => CLASSIFIERS.openai(ev),
  'openai-responses': (ev) => {
    const type = eventType(ev);
    switch (type) {
      case 'response.created':
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed':
      case 'error':
        return 'decode';
      default:
        return type.endsWith('.delta') ? 'count' : 'skip';
    }
  },
  codex: (ev) => CLASSIFIERS['openai-responses'](ev),
  // Gemini chunks all look alike; only the last ones say why generation stopped.
  gemini: (ev) =>
    ev.data.includes('"finishReason"') ||
    ev.data.includes('"promptFeedback"') ||
    ev.data.includes('"error"')
      ? 'decode'
      : 'count',
  'gemini-cli': (ev) => CLASSIFIERS.gemini(ev),
  antigravity: (ev) => CLASSIFIERS.gemini(ev),
};

/** Terminal frames of each format (Gemini streams have none: the last chunk says it). */
function isTerminal(format: WireFormat, ev: SSEEvent): boolean {
  switch (format) {
    case 'claude':
      return eventType(ev) === 'message_stop';
    case 'openai':
    case 'openai-completions':
      return ev.data.startsWith('[DONE]');
    case 'openai-responses':
    case 'codex': {
      const type = eventType(ev);
      return (
        type === 'response.completed' ||
        type === 'response.incomplete' ||
        type === 'response.failed' ||
        type === 'error'
      );
    }
    case 'gemini':
    case 'gemini-cli':
    case 'antigravity':
      return false;
  }
}

function isGeminiFamily(format: WireFormat): boolean {
  return format === 'gemini' || format === 'gemini-cli' || format === 'antigravity';
}

class DecodingScanner implements StreamScanner {
  terminated = false;
  responseId: string | undefined;
  responseModel: string | undefined;
  private readonly seen = new StreamWatch();
  private readonly decoder: StreamDecoder;
  private readonly classify: (ev: SSEEvent) => Kind;
  private readonly gemini: boolean;
  private readonly countDecoded: boolean;
  /** Gemini: the latest chunk carrying usageMetadata, read only when usage is asked for. */
  private pendingUsage: string | undefined;

  constructor(
    private readonly format: WireFormat,
    ctx: TranslationContext,
  ) {
    this.decoder = codecFor(format).createStreamDecoder(ctx);
    this.classify = CLASSIFIERS[format];
    this.gemini = isGeminiFamily(format);
    this.countDecoded = format === 'openai' || format === 'openai-completions';
  }

  get usage(): IRUsage | undefined {
    if (this.pendingUsage !== undefined) {
      this.seen.usage = geminiChunkUsage(this.pendingUsage) ?? this.seen.usage;
      this.pendingUsage = undefined;
    }
    return this.seen.usage;
  }

  get finished(): boolean {
    return this.seen.finished;
  }

  get failure(): StreamFailure | undefined {
    return this.seen.failure;
  }

  get outputChars(): number {
    return this.seen.outputChars;
  }

  push(ev: SSEEvent): void {
    if (isTerminal(this.format, ev)) this.terminated = true;
    switch (this.classify(ev)) {
      case 'skip':
        return;
      case 'count':
        this.seen.outputChars += deltaChars(ev.data);
        if (this.gemini && ev.data.includes('"usageMetadata"')) this.pendingUsage = ev.data;
        return;
      case 'decode':
        break;
    }
    if (this.gemini) {
      this.seen.outputChars += deltaChars(ev.data);
      this.pendingUsage = undefined;
    }
    for (const e of this.decoder.push(ev)) {
      if (e.type === 'start') {
        this.responseId ??= e.id || undefined;
        this.responseModel ??= e.model || undefined;
      }
      // Only OpenAI decodes chunks that carry content (the one with finish_reason); the others'
      // decoded events hold none, or repeat it (a Responses terminal snapshot).
      this.seen.see(e, this.countDecoded);
    }
  }
}

/** usageMetadata of one Gemini (or Code Assist) chunk. */
function geminiChunkUsage(data: string): IRUsage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const chunk = isRecord(value.response) ? value.response : value;
  return readUsage(chunk);
}

/** A scanner for an upstream stream of `format`. */
export function createStreamScanner(format: WireFormat, ctx: TranslationContext): StreamScanner {
  return new DecodingScanner(format, ctx);
}

/** A stream step that reads usage, the end and errors through a scanner of the upstream's format. */
export abstract class ScanningStep implements StreamStep {
  protected constructor(protected readonly scanner: StreamScanner) {}

  get usage(): IRUsage | undefined {
    return this.scanner.usage;
  }

  get finished(): boolean {
    return this.scanner.finished;
  }

  get failure(): StreamFailure | undefined {
    return this.scanner.failure;
  }

  get outputChars(): number {
    return this.scanner.outputChars;
  }

  abstract readonly ended: boolean;
  abstract push(text: string, open: boolean): string;
  abstract flush(): string;
  abstract end(): string;
  abstract fail(f: StreamFailure): string;
}
