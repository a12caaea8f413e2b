import {
  type IRRequest,
  type ProviderAdapter,
  type TranslationContext,
  type WireFormat,
  buildClaudeCountTokensRequest,
  buildClaudeCountTokensResponse,
  parseClaudeCountTokensResponse,
  buildGeminiCountTokensRequest,
  buildGeminiCountTokensResponse,
  parseGeminiCountTokensResponse,
} from '@app/llm';

/**
 * Response header of a token count the gateway made up itself (`estimate`): the upstream serving
 * the model has no counting endpoint (OpenAI-compatible hosts, Codex, Antigravity), so the number
 * is a local approximation rather than the provider's tokenizer.
 */
export const TOKEN_COUNT_HEADER = 'x-switchboard-token-count';

/**
 * Whether a count-tokens call goes to the upstream serving the model. Any upstream with a
 * counting endpoint is asked, whatever format the client speaks (a Claude `count_tokens` for a
 * model served by Gemini asks Gemini's `countTokens`, and the other way round), as CLIProxyAPI
 * does; the answer is translated back. The others get a local estimate.
 */
export function upstreamCountsTokens(adapter: ProviderAdapter): boolean {
  return (
    adapter.countsTokens &&
    (adapter.format === 'claude' || adapter.format === 'gemini' || adapter.format === 'gemini-cli')
  );
}

/** The count-tokens body for an upstream speaking `format`. */
export function countTokensBody(
  format: WireFormat,
  ir: IRRequest,
  ctx: TranslationContext,
): Record<string, unknown> {
  if (format === 'claude') return buildClaudeCountTokensRequest(ir, ctx);
  const gemini = buildGeminiCountTokensRequest(ir, ctx);
  if (format !== 'gemini-cli') return gemini;
  // Code Assist wraps a plain countTokens request (model and contents) in `request`.
  const inner = gemini.generateContentRequest as Record<string, unknown>;
  return { request: { model: inner.model, contents: inner.contents } };
}

/** A token count in the client's format. */
export function countTokensResponse(clientFormat: WireFormat, n: number): Record<string, unknown> {
  return clientFormat === 'claude'
    ? { ...buildClaudeCountTokensResponse(n) }
    : { ...buildGeminiCountTokensResponse(Math.max(0, Math.round(n))) };
}

/**
 * The upstream's count answer for the client: undefined when both speak the same format (the
 * body goes back as the upstream wrote it, extra fields included), else the count re-rendered in
 * the client's format. Throws when the upstream's answer holds no count.
 */
export function translateCount(
  clientFormat: WireFormat,
  upstreamFormat: WireFormat,
  body: unknown,
): Record<string, unknown> | undefined {
  if (clientFormat === upstreamFormat) return undefined;
  const n =
    upstreamFormat === 'claude'
      ? parseClaudeCountTokensResponse(body)
      : requireGeminiCount(body, upstreamFormat);
  return countTokensResponse(clientFormat, n);
}

function requireGeminiCount(body: unknown, format: WireFormat): number {
  const hasCount =
    typeof body === 'object' && body !== null && ('totalTokens' in body || 'total_tokens' in body);
  if (!hasCount) throw new Error(`${format} countTokens response has no totalTokens`);
  return parseGeminiCountTokensResponse(body);
}
