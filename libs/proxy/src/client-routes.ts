import type { UpstreamAction, WireFormat } from '@app/llm';

/** What a client route asks for. */
export interface ClientCall {
  format: WireFormat;
  action: UpstreamAction;
  /** Route pattern, for logs, metrics and usage (never the raw URL). */
  route: string;
  /** Model from the URL (Gemini); otherwise read from the body. */
  model?: string;
  /** Stream flag from the URL (Gemini streamGenerateContent). */
  stream?: boolean;
  /** Gemini client stream framing: `alt=sse` → SSE, otherwise a JSON array. */
  geminiAlt?: 'sse' | 'json-array';
  /** Provider pinned by /api/provider/:provider/... */
  provider?: string;
  /**
   * The model name answers carry when it differs from the one routed (an Amp model mapping
   * routes `model` but the client asked for this one).
   */
  responseModel?: string;
}

/** Split `gemini-2.5-pro:streamGenerateContent` into model and method. */
export function splitModelAction(param: string): { model: string; method: string } | undefined {
  const i = param.lastIndexOf(':');
  if (i <= 0 || i === param.length - 1) return undefined;
  return { model: param.slice(0, i), method: param.slice(i + 1) };
}

/** A Gemini-style method → the call it means; undefined for unknown methods. */
export function geminiMethodCall(
  method: string,
  alt: string | undefined,
): Pick<ClientCall, 'action' | 'stream' | 'geminiAlt'> | undefined {
  switch (method) {
    case 'generateContent':
      return { action: 'generate', stream: false };
    case 'streamGenerateContent':
      return { action: 'generate', stream: true, geminiAlt: alt === 'sse' ? 'sse' : 'json-array' };
    case 'countTokens':
      return { action: 'count_tokens', stream: false };
    default:
      return undefined;
  }
}

/** Provider names accepted by /api/provider/:provider (aliases → routing provider ids). */
export { PROVIDER_ALIASES } from '@app/providers';
