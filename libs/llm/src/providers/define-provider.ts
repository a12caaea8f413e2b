import type { ProviderAdapter, ProviderId, UpstreamCall } from '@app/llm/providers/provider.types';
import type { WireFormat } from '@app/llm/ir/types';
import { parseRetryAfterHeader } from '@app/llm/providers/retry-hints';

/** The parts of an adapter that differ between providers. */
export interface ProviderSpec {
  id: ProviderId;
  format: WireFormat;
  defaultBaseUrl: string;
  alwaysStreams?: boolean;
  countsTokens?: boolean;
  /** Path appended to the base URL. */
  path(call: UpstreamCall): string;
  /** Provider headers (auth and fixed ones); config headers are applied on top. */
  headers(call: UpstreamCall): Record<string, string>;
  /** Provider-specific retry hint from the body (checked before Retry-After). */
  bodyRetryHint?(body: string): number | undefined;
}

/** Join a base URL and a path without doubling or dropping the slash. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/** Bearer authorization header. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** Build an adapter from its spec. */
export function defineProvider(spec: ProviderSpec): ProviderAdapter {
  return {
    id: spec.id,
    format: spec.format,
    defaultBaseUrl: spec.defaultBaseUrl,
    alwaysStreams: spec.alwaysStreams ?? false,
    countsTokens: spec.countsTokens ?? false,
    url: (call) => joinUrl(call.baseUrl || spec.defaultBaseUrl, spec.path(call)),
    headers: (call) => {
      const base: Record<string, string> = {
        'content-type': 'application/json',
        accept: call.stream || spec.alwaysStreams ? 'text/event-stream' : 'application/json',
        ...spec.headers(call),
      };
      // Headers from config / the auth file win (lower-cased so they replace, not duplicate).
      for (const [k, v] of Object.entries(call.headers ?? {})) base[k.toLowerCase()] = v;
      return base;
    },
    retryAfterSeconds: (_status, headers, body) =>
      spec.bodyRetryHint?.(body) ?? parseRetryAfterHeader(headers['retry-after']),
  };
}

/** Gemini-style `…:{action}` suffix for a model call. */
export function geminiAction(call: UpstreamCall): string {
  if (call.action === 'count_tokens') return 'countTokens';
  return call.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
}
