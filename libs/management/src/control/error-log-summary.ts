/** What the control API's error-log listing extracts from one log. */
export interface ErrorLogSummary {
  /** The status the client got (`Status:` under RESPONSE), else the upstream's `HTTP Status:`. */
  statusCode?: number;
  /** The model of the request body, else from a Gemini-style URL (`/models/<m>:…`). */
  model?: string;
}

const RESPONSE_HEADER = '=== RESPONSE ===';
const REQUEST_BODY_HEADER = '=== REQUEST BODY ===';
const STATUS_LINE = /^Status: (\d{3})\b/m;
const HTTP_STATUS_LINE = /^HTTP Status: (\d{3})\b/m;
const MODEL_FIELD = /"model"\s*:\s*"([^"\\]{1,200})"/;
const URL_MODEL = /^URL: \S*\/models\/([^/:?\s]{1,200})[:?\s]/m;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The status code and model of an error log in CLIProxyAPI's layout (`formatErrorLog`), for
 * listings. Only the sections that can hold them are scanned, so a model name quoted inside a
 * response body does not count.
 */
export function summarizeErrorLog(text: string): ErrorLogSummary {
  const out: ErrorLogSummary = {};
  const responseAt = text.lastIndexOf(RESPONSE_HEADER);
  const status =
    (responseAt >= 0 ? STATUS_LINE.exec(text.slice(responseAt)) : null) ??
    HTTP_STATUS_LINE.exec(text);
  if (status) {
    const code = Number(status[1]);
    if (code > 0) out.statusCode = code;
  }
  const bodyAt = text.indexOf(REQUEST_BODY_HEADER);
  if (bodyAt >= 0) {
    const end = text.indexOf('\n=== ', bodyAt + REQUEST_BODY_HEADER.length);
    const body = text.slice(bodyAt, end >= 0 ? end : undefined);
    const m = MODEL_FIELD.exec(body);
    if (m) out.model = m[1];
  }
  if (!out.model) {
    const u = URL_MODEL.exec(text);
    if (u) out.model = safeDecode(u[1]);
  }
  return out;
}

const ERROR_LOG_NAME = /^error-[A-Za-z0-9._-]{1,240}\.log$/;

/**
 * True for a plausible error-log name (`error-….log`, at most 255 characters of a safe
 * alphabet, no `..`); anything else is a 400 before any lookup.
 */
export function isErrorLogName(name: unknown): name is string {
  return typeof name === 'string' && ERROR_LOG_NAME.test(name) && !name.includes('..');
}

// eslint-disable-next-line no-control-regex -- matching them is the point
const UNSAFE_ID = /[\u0000-\u001f\u007f/\\]/;

/** True for a quota account id: 1–256 characters, no path separators, `..` or control chars. */
export function isAccountId(id: unknown): id is string {
  return (
    typeof id === 'string' &&
    id.length > 0 &&
    id.length <= 256 &&
    !id.includes('..') &&
    !UNSAFE_ID.test(id)
  );
}
