/** Response headers as written by the fake. */
export type OutgoingHeaders = Readonly<Record<string, string>>;

/** A response ready to write: one body, or stream frames written one by one. */
export type Outgoing =
  | {
      readonly type: 'body';
      readonly status: number;
      readonly headers: OutgoingHeaders;
      readonly body: string;
    }
  | {
      readonly type: 'stream';
      readonly status: number;
      readonly headers: OutgoingHeaders;
      /** Each frame is one wire event (SSE event, or one element of a streamed JSON array). */
      readonly frames: readonly string[];
      readonly framing: 'sse' | 'json-array';
    };

/** Which error-body family a route answers with. */
export type ErrorDialect = 'openai' | 'codex' | 'claude' | 'gemini' | 'code-assist';

/** Knobs every renderer gets. */
export interface RenderOptions {
  /** Stream pieces for the answer text and for tool-call arguments. */
  readonly chunks: number;
}

// Rendered output is cached per request body (the benchmark sends one body many times), so
// per-response ids and timestamps are written as markers and stamped on every send.

/** Stands for the per-response id (24 base62 chars) in rendered output. */
export const ID_MARK = '@@fake-id@@';
/** Stands for the Unix time in seconds in rendered output. */
export const TS_MARK = 7777777777;

/** A JSON body response. */
export function jsonBody(status: number, body: unknown, headers: OutgoingHeaders): Outgoing {
  return {
    type: 'body',
    status,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** `data: <json>\n\n`, the frame of OpenAI chat streams. */
export function sseData(payload: unknown, eol = '\n\n'): string {
  return `data: ${JSON.stringify(payload)}${eol}`;
}

/** `event: <name>\ndata: <json>\n\n`, the frame of Claude and Responses streams. */
export function sseEvent(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/** Content-Type of SSE answers as OpenAI and Anthropic send it. */
export const SSE_HEADERS: OutgoingHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

/** Content-Type of JSON answers. */
export const JSON_HEADERS: OutgoingHeaders = { 'content-type': 'application/json' };
