import { codecFor } from '@app/llm/formats';
import type { WireFormat } from '@app/llm/ir/types';
import { formatSSE } from '@app/llm/sse/sse-parser';
import type { StreamFailure } from '@app/llm/stream/stream-step';

/** What the relay knows about the stream it is ending (Responses needs the response id). */
export interface RelayedStream {
  responseId?: string;
  responseModel?: string;
}

const DONE = 'data: [DONE]\n\n';

/**
 * The SSE frames that end a relayed stream with an error in the client's format, written when
 * the upstream dies, stalls or stops early after the client got bytes: Claude `event: error`,
 * OpenAI an error chunk then `[DONE]`, Responses `response.failed`, Gemini an `{"error":…}`
 * chunk. (A Gemini JSON-array client gets the error object as the array's last element; the
 * relay frames that one itself.)
 */
export function relayErrorFrames(
  client: WireFormat,
  f: StreamFailure,
  stream: RelayedStream = {},
): string {
  switch (client) {
    case 'claude':
      return formatSSE(JSON.stringify(codecFor('claude').buildError(f)), 'error');
    case 'openai':
    case 'openai-completions':
      return formatSSE(JSON.stringify(codecFor('openai').buildError(f))) + DONE;
    case 'openai-responses':
    case 'codex': {
      const response = {
        id: stream.responseId ?? '',
        object: 'response',
        status: 'failed',
        model: stream.responseModel ?? '',
        output: [],
        error: {
          code: f.status === 429 ? 'rate_limit_exceeded' : 'server_error',
          message: f.message,
        },
      };
      return formatSSE(JSON.stringify({ type: 'response.failed', response }), 'response.failed');
    }
    case 'gemini':
    case 'gemini-cli':
    case 'antigravity':
      return formatSSE(JSON.stringify(relayErrorBody(client, f)));
  }
}

/** The error object of a failed stream, for formats that frame it themselves (Gemini arrays). */
export function relayErrorBody(client: WireFormat, f: StreamFailure): Record<string, unknown> {
  return codecFor(client).buildError(f);
}

/**
 * Frames a client needs when the upstream said why it stopped but closed without its own
 * terminal frame: Claude `message_stop`, OpenAI `[DONE]` (also after an error chunk, as the
 * translated path ends it). Empty for formats whose last chunk is the end.
 */
export function relayClosingFrames(client: WireFormat, failed: boolean): string {
  switch (client) {
    case 'claude':
      return failed ? '' : formatSSE('{"type":"message_stop"}', 'message_stop');
    case 'openai':
    case 'openai-completions':
      return DONE;
    case 'openai-responses':
    case 'codex':
    case 'gemini':
    case 'gemini-cli':
    case 'antigravity':
      return '';
  }
}
