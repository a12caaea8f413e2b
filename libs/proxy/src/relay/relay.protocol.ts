// The `/v1/ws` relay protocol (CLIProxyAPI's wsrelay): JSON text frames `{id, type, payload}`.
// The gateway sends `http_request`; the browser-side app answers with `http_response`, or
// `stream_start` + `stream_chunk`… + `stream_end`, or `error`. Either side may send `ping`; the
// other answers `pong` with the same id.

/** The message types of the relay. */
export const RelayType = {
  HttpRequest: 'http_request',
  HttpResponse: 'http_response',
  StreamStart: 'stream_start',
  StreamChunk: 'stream_chunk',
  StreamEnd: 'stream_end',
  Error: 'error',
  Ping: 'ping',
  Pong: 'pong',
} as const;

/** One frame of the relay. */
export interface RelayMessage {
  id: string;
  type: string;
  payload?: Record<string, unknown>;
}

/** An HTTP call the browser-side app makes for us. */
export interface RelayHttpRequest {
  method: string;
  url: string;
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** Status and headers of a relayed response. */
export interface RelayHead {
  status: number;
  headers: Record<string, string | string[]>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse a text frame; undefined when it is not a relay message. */
export function parseRelayMessage(text: string): RelayMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(v) || typeof v.type !== 'string') return undefined;
  const id = typeof v.id === 'string' ? v.id : '';
  return isObject(v.payload) ? { id, type: v.type, payload: v.payload } : { id, type: v.type };
}

/** The `http_request` frame for a call (headers as lists of values, as Go's http.Header). */
export function httpRequestMessage(id: string, req: RelayHttpRequest): RelayMessage {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = [value];
  return {
    id,
    type: RelayType.HttpRequest,
    payload: {
      method: req.method,
      url: req.url,
      headers,
      body: req.body,
      sent_at: new Date().toISOString(),
    },
  };
}

/** Status and headers of an `http_response` or `stream_start` payload (200 when absent). */
export function relayHead(payload: Record<string, unknown> | undefined): RelayHead {
  const status = typeof payload?.status === 'number' ? Math.trunc(payload.status) : 200;
  const headers: Record<string, string | string[]> = {};
  const raw = payload?.headers;
  if (isObject(raw)) {
    for (const [name, value] of Object.entries(raw)) {
      const key = name.toLowerCase();
      if (typeof value === 'string') headers[key] = value;
      else if (Array.isArray(value)) {
        const list = value.filter((x): x is string => typeof x === 'string');
        if (list.length > 0) headers[key] = list.length === 1 ? list[0] : list;
      }
    }
  }
  return { status: status >= 100 && status <= 599 ? status : 502, headers };
}

/** The text of an `http_response` body or a `stream_chunk`. */
export function relayData(
  payload: Record<string, unknown> | undefined,
  field: 'body' | 'data',
): string {
  const v = payload?.[field];
  return typeof v === 'string' ? v : '';
}

/** An `error` payload: its message and, when it names one, an HTTP error status. */
export function relayError(payload: Record<string, unknown> | undefined): {
  message: string;
  status?: number;
} {
  const message =
    typeof payload?.error === 'string' && payload.error ? payload.error : 'relay upstream error';
  const s = payload?.status;
  const status =
    typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599 ? s : undefined;
  return status === undefined ? { message } : { message, status };
}

/** True for the frames that end a request. */
export function isTerminal(type: string): boolean {
  return (
    type === RelayType.HttpResponse || type === RelayType.StreamEnd || type === RelayType.Error
  );
}
