import type { IRStreamEvent, IRUsage } from '@app/llm/ir/types';

/** What ended a stream early (an upstream error event, a cut, a stall), in the gateway's words. */
export interface StreamFailure {
  status: number;
  type: string;
  message: string;
}

/**
 * One upstream stream turned into the client's, a read at a time: translated through the IR
 * (StreamTranslator), relayed as it came (StreamRelay), or collected into one answer for a
 * non-stream client. Pure: the caller reads the upstream and writes the client (the proxy's
 * stream pump), a step only turns text into text and says what it saw on the way.
 */
export interface StreamStep {
  /**
   * Feed text as the upstream sent it; returns the client's bytes for the events it completed
   * ('' for none). `open`: the client stream is open; before that, bytes that only keep a
   * connection alive are left out, so they cannot open it.
   */
  push(text: string, open: boolean): string;
  /** The upstream's body ended: the bytes of a last event that had no blank line after it. */
  flush(): string;
  /** The upstream finished: the bytes that terminate the client stream in its format. */
  end(): string;
  /** The upstream failed after the client got bytes: the bytes ending its stream with an error. */
  fail(f: StreamFailure): string;
  /** The last usage the upstream reported. */
  readonly usage: IRUsage | undefined;
  /** The upstream said why it stopped, or that it failed; a stream ending without it was cut. */
  readonly finished: boolean;
  /** An error the upstream reported inside its stream. */
  readonly failure: StreamFailure | undefined;
  /** Characters of generated text seen (text, reasoning, tool arguments), for estimates. */
  readonly outputChars: number;
  /** The client stream is terminated: nothing may follow, not even a keep-alive. */
  readonly ended: boolean;
}

/** The failure of a stream that ended before the upstream said why it stopped. */
export const INCOMPLETE_STREAM: Readonly<StreamFailure> = {
  status: 502,
  type: 'api_error',
  message: 'The upstream stream ended before the response was complete',
};

/**
 * What a stream said so far, read from its IR events: the last usage, whether it said why it
 * stopped, the first error it reported, and how much text it generated.
 */
export class StreamWatch {
  usage: IRUsage | undefined;
  finished = false;
  failure: StreamFailure | undefined;
  outputChars = 0;

  /** Note one IR event; generated text counts only with `countText` (else it is counted apart). */
  see(e: IRStreamEvent, countText: boolean): void {
    switch (e.type) {
      case 'usage':
        this.usage = e.usage;
        break;
      case 'finish':
        this.finished = true;
        break;
      case 'error':
        this.finished = true;
        this.failure ??= { status: e.status, type: e.errorType, message: e.message };
        break;
      case 'text_delta':
      case 'reasoning_delta':
        if (countText) this.outputChars += e.text.length;
        break;
      case 'tool_call_delta':
        if (countText) this.outputChars += e.argumentsDelta.length;
        break;
      case 'start':
      case 'reasoning_signature':
      case 'tool_call_start':
      case 'tool_call_end':
      case 'end':
        break;
    }
  }
}
