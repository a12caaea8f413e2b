import { maskSecrets, maskedHeaderLines, type HeaderMap } from '@app/logs/secret-mask';

/** A body as the proxy has it: raw text or bytes, or parsed JSON. */
export type LogBody = string | Uint8Array | Readonly<Record<string, unknown>> | readonly unknown[];

/** The upstream call of a failed request. */
export interface UpstreamRequestLog {
  method?: string;
  url: string;
  headers?: HeaderMap;
  body?: LogBody;
}

/** What the proxy hands to `ErrorLogRecorder.record` for a failed request. */
export interface ErrorLogInput {
  /** The gateway's request id (`x-request-id`); part of the log name. */
  requestId: string;
  method: string;
  /** URL as the client sent it (path and query). */
  path: string;
  /** Client request headers (secrets are masked here). */
  headers: HeaderMap;
  requestBody?: LogBody;
  /** The last upstream attempt, when one was made. */
  upstreamRequest?: UpstreamRequestLog;
  /** HTTP status the upstream answered with. */
  upstreamStatus?: number;
  /** The upstream's error body. */
  upstreamBody?: LogBody;
  /** A network-level upstream failure (reset, timeout) when there is no status. */
  upstreamError?: string;
  /** The upstream's successful answer (request logs: the API RESPONSE section). */
  upstreamResponseBody?: LogBody;
  /** Status sent to the client. */
  responseStatus: number;
  responseHeaders?: HeaderMap;
  /** Body sent to the client. */
  responseBody?: LogBody;
  /** When the request arrived (default: now). */
  timestamp?: Date;
  /** Gateway version shown in the REQUEST INFO section. */
  version?: string;
  /**
   * Whether the request failed, when the caller knows better than the statuses (a stream the
   * upstream cut after a 200 went out); default: status ≥ 400 or an upstream error.
   */
  failed?: boolean;
}

/** Longest body kept per section; the rest is cut with a note. */
export const MAX_LOG_BODY_CHARS = 64 * 1024;

const decoder = new TextDecoder();

/** A body as text: bytes decoded as UTF-8, JSON serialised, long text cut, secrets masked. */
export function bodyText(body: LogBody | undefined): string {
  if (body === undefined) return '';
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) {
    text = decoder.decode(
      body.length > MAX_LOG_BODY_CHARS * 4 ? body.subarray(0, MAX_LOG_BODY_CHARS * 4) : body,
    );
  } else {
    try {
      text = JSON.stringify(body);
    } catch {
      text = '[unserialisable body]';
    }
  }
  if (text.length > MAX_LOG_BODY_CHARS) {
    text = `${text.slice(0, MAX_LOG_BODY_CHARS)}\n[… ${text.length - MAX_LOG_BODY_CHARS} more characters cut]`;
  }
  return maskSecrets(text);
}

/** Request ids are validated on arrival; names still keep to a tame alphabet (no dots: no `..`). */
const UNSAFE_NAME_CHARS = /[^A-Za-z0-9_-]/g;
const COLONS = /:/g;
const NAME_TIME = /^error-(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2}(?:\.\d+)?Z)-/;

/** `<kind>-2025-01-02T15-04-05.123Z-<id>.log`: ISO time with `:` made file-safe, then the id. */
function logName(kind: string, requestId: string, at: Date): string {
  const time = at.toISOString().replace(COLONS, '-');
  const id = requestId.replace(UNSAFE_NAME_CHARS, '_').slice(0, 128) || 'unknown';
  return `${kind}-${time}-${id}.log`;
}

/** `error-2025-01-02T15-04-05.123Z-<id>.log`: ISO time with `:` made file-safe, then the id. */
export function errorLogName(requestId: string, at: Date): string {
  return logName('error', requestId, at);
}

/** `request-2025-01-02T15-04-05.123Z-<id>.log`: the download name of a full request log. */
export function requestLogName(requestId: string, at: Date): string {
  return logName('request', requestId, at);
}

/** The time encoded in an error-log name (ms since epoch), or undefined. */
export function errorLogTime(name: string): number | undefined {
  const m = NAME_TIME.exec(name);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}:${m[2]}:${m[3]}`);
  return Number.isNaN(ms) ? undefined : ms;
}

// CLIProxyAPI ends every section with blank lines up to three newlines in a row.
function section(out: string[], header: string, body: string): void {
  out.push(header, '\n', body);
  let trailing = 0;
  for (let i = body.length - 1; i >= 0 && body[i] === '\n'; i--) trailing++;
  if (body === '') trailing = 1;
  out.push('\n'.repeat(Math.max(0, 3 - trailing)));
}

/**
 * An error or request log in CLIProxyAPI's layout: REQUEST INFO, HEADERS, REQUEST BODY,
 * API REQUEST, API ERROR RESPONSE (`HTTP Status: n`), API RESPONSE (request logs), RESPONSE
 * (`Status: n`). Secrets in headers, URLs and bodies are masked.
 */
export function formatErrorLog(input: ErrorLogInput): string {
  const at = input.timestamp ?? new Date();
  const out: string[] = [];
  section(
    out,
    '=== REQUEST INFO ===',
    [
      `Version: ${input.version ?? 'unknown'}`,
      `URL: ${maskSecrets(input.path)}`,
      `Method: ${input.method}`,
      `Request ID: ${input.requestId}`,
      `Timestamp: ${at.toISOString()}`,
    ].join('\n') + '\n',
  );
  section(out, '=== HEADERS ===', maskedHeaderLines(input.headers).join('\n') + '\n');
  section(out, '=== REQUEST BODY ===', bodyText(input.requestBody));
  const up = input.upstreamRequest;
  if (up) {
    const lines = [`URL: ${maskSecrets(up.url)}`, `Method: ${up.method ?? 'POST'}`];
    const headers = maskedHeaderLines(up.headers);
    if (headers.length) lines.push('Headers:', ...headers);
    const body = bodyText(up.body);
    section(out, '=== API REQUEST ===', lines.join('\n') + (body ? `\n\nBody:\n${body}` : '\n'));
  }
  if (input.upstreamStatus !== undefined || input.upstreamError !== undefined) {
    const detail = input.upstreamError ?? bodyText(input.upstreamBody);
    section(
      out,
      '=== API ERROR RESPONSE ===',
      `HTTP Status: ${input.upstreamStatus ?? 0}\n${detail}`,
    );
  }
  if (input.upstreamResponseBody !== undefined) {
    section(out, '=== API RESPONSE ===', bodyText(input.upstreamResponseBody));
  }
  const headerLines = maskedHeaderLines(input.responseHeaders);
  out.push('=== RESPONSE ===\n', `Status: ${input.responseStatus}\n`);
  if (headerLines.length) out.push(headerLines.join('\n'), '\n');
  out.push('\n', bodyText(input.responseBody), '\n');
  return out.join('');
}
