/** One answered HTTP request, as the access line reports it. */
export interface AccessFacts {
  status: number;
  /** Milliseconds from the request's arrival to the end of the answer. */
  latencyMs: number;
  /** The client's address (trusted proxies applied). */
  ip: string;
  method: string;
  /** The request target: path and query string. */
  url: string;
  requestId?: string;
}

/** Longest request target shown; the rest is cut. */
const MAX_TARGET = 2048;
/** Query parameters whose values are secrets (`?key=` is how Gemini clients send theirs). */
const SECRET_PARAM = /key|token|secret|password|auth|signature|code/i;

/** Go's `time.Duration` text of a latency cut to the millisecond, as CLIProxyAPI logs it. */
export function formatLatency(ms: number): string {
  const t = Math.max(0, Math.floor(ms));
  if (t < 1000) return `${t}ms`;
  if (t < 60_000) return `${(t / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
  // Past a minute CLIProxyAPI cuts to the second: `1m5s`, `1h2m0s`.
  const s = Math.floor(t / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${m}m${s % 60}s` : `${m}m${s % 60}s`;
}

/**
 * The request target for the log: secret-looking query values replaced by `***`, `|` (the
 * line's field separator) and control characters escaped, long targets cut.
 */
export function loggedTarget(url: string): string {
  const q = url.indexOf('?');
  let out = url;
  if (q >= 0) {
    const params = url
      .slice(q + 1)
      .split('&')
      .map((p) => {
        const eq = p.indexOf('=');
        return eq > 0 && SECRET_PARAM.test(p.slice(0, eq)) ? `${p.slice(0, eq)}=***` : p;
      });
    out = `${url.slice(0, q)}?${params.join('&')}`;
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is escaped
  out = out.replace(/[|"\u0000-\u001f\u007f]/g, (c) => encodeURIComponent(c));
  return out.length > MAX_TARGET ? `${out.slice(0, MAX_TARGET)}…` : out;
}

/**
 * CLIProxyAPI's request-log line (`200 |          12ms |       127.0.0.1 | GET     "/v1/models"`),
 * which its Management Center splits on `|` to filter by status, method, path, address and
 * latency; the request id follows as `request_id=<id>`. The process log adds the time, level
 * and member in front.
 */
export function formatAccessLine(f: AccessFacts): string {
  const status = String(f.status).padStart(3);
  const latency = formatLatency(f.latencyMs).padStart(13);
  const ip = f.ip.padStart(15);
  const method = f.method.padEnd(7);
  const line = `${status} | ${latency} | ${ip} | ${method} "${loggedTarget(f.url)}"`;
  return f.requestId ? `${line} | request_id=${f.requestId}` : line;
}
