/** Upstream response headers a client may see with `passthrough-headers: true`. */
const EXACT = new Set([
  'retry-after',
  'retry-after-ms',
  // Anthropic's request id; OpenAI's `x-request-id` is renamed (below).
  'request-id',
  'openai-processing-ms',
  'x-goog-request-id',
]);

/** Rate-limit families: OpenAI/most (`x-ratelimit-*`), Anthropic (`anthropic-ratelimit-*`). */
const PREFIXES = ['x-ratelimit-', 'anthropic-ratelimit-'];

/**
 * The gateway's own `x-request-id` identifies the request in its logs, so the upstream's travels
 * as `x-upstream-request-id` instead of replacing it.
 */
const RENAMED: Readonly<Record<string, string>> = { 'x-request-id': 'x-upstream-request-id' };

/**
 * `passthrough-headers`: the upstream response headers worth forwarding to the client: rate
 * limits, retry hints and request ids. Everything else (cookies, encodings, lengths, the
 * upstream's server details) stays behind. Returns undefined when there is nothing to forward.
 */
export function passthroughHeaders(
  upstream: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const target =
      RENAMED[lower] ??
      (EXACT.has(lower) || PREFIXES.some((p) => lower.startsWith(p)) ? lower : undefined);
    if (target === undefined) continue;
    (out ??= {})[target] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
