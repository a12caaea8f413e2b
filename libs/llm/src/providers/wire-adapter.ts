import type { PathStyle, ProviderId, RetryHintStyle, WireSpec } from '@app/providers';
import type { WireFormat } from '@app/llm/ir/types';
import type { ProviderAdapter, UpstreamCall } from '@app/llm/providers/provider.types';
import {
  codexResetSeconds,
  geminiRetryDelay,
  parseRetryAfterHeader,
} from '@app/llm/providers/retry-hints';

/** Join a base URL and a path without doubling or dropping the slash. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}

/** Gemini-style `…:{method}` suffix for a model call. */
function geminiMethod(call: UpstreamCall): string {
  if (call.action === 'count_tokens') return 'countTokens';
  return call.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
}

function vertexPath(call: UpstreamCall): string {
  const model = encodeURIComponent(call.model);
  // A service account (OAuth token + project) addresses its project; an API key, express mode.
  if (call.oauth && call.project) {
    const project = encodeURIComponent(call.project);
    const location = encodeURIComponent(call.location ?? 'global');
    return `/v1/projects/${project}/locations/${location}/publishers/google/models/${model}:${geminiMethod(call)}`;
  }
  return `/v1/publishers/google/models/${model}:${geminiMethod(call)}`;
}

/** The path of a call under each URL layout (provider.types.ts in libs/providers says which). */
const PATHS: Readonly<Record<PathStyle, (call: UpstreamCall) => string>> = {
  'chat-completions': () => '/chat/completions',
  'claude-messages': (call) =>
    call.action === 'count_tokens' ? '/v1/messages/count_tokens' : '/v1/messages',
  'codex-responses': (call) => (call.action === 'compact' ? '/responses/compact' : '/responses'),
  'gemini-models': (call) =>
    `/v1beta/models/${encodeURIComponent(call.model)}:${geminiMethod(call)}`,
  'vertex-models': vertexPath,
  'code-assist': (call) =>
    call.action === 'count_tokens'
      ? '/v1internal:countTokens'
      : `/v1internal:${geminiMethod(call)}`,
};

/** Retry hints read from an error body, before the Retry-After header. */
const RETRY_HINTS: Readonly<Record<RetryHintStyle, (body: string) => number | undefined>> = {
  'google-retry-info': geminiRetryDelay,
  'codex-resets': codexResetSeconds,
};

/** The key or token header: OAuth tokens always as Bearer, API keys where the upstream wants. */
function authHeader(wire: WireSpec, call: UpstreamCall): Record<string, string> {
  if (call.oauth || wire.apiKeyHeader === 'authorization') {
    return { authorization: `Bearer ${call.token}` };
  }
  return { [wire.apiKeyHeader]: call.token };
}

/** The adapter of one HTTP provider, built from its registry row. */
export function wireAdapter(id: ProviderId, format: WireFormat, wire: WireSpec): ProviderAdapter {
  const path = PATHS[wire.path];
  const hint = wire.retryHint && RETRY_HINTS[wire.retryHint];
  const alwaysStreams = wire.alwaysStreams ?? false;
  return {
    id,
    format,
    defaultBaseUrl: wire.defaultBaseUrl,
    alwaysStreams,
    countsTokens: wire.countsTokens ?? false,
    url: (call) => joinUrl(call.baseUrl || wire.defaultBaseUrl, path(call)),
    headers: (call) => {
      const out: Record<string, string> = {
        'content-type': 'application/json',
        accept: call.stream || alwaysStreams ? 'text/event-stream' : 'application/json',
        ...authHeader(wire, call),
        ...wire.headers,
        ...(call.oauth ? wire.oauthHeaders : undefined),
      };
      if (wire.accountIdHeader && call.accountId) out[wire.accountIdHeader] = call.accountId;
      // Headers from config / the auth file win (lower-cased so they replace, not duplicate).
      for (const [k, v] of Object.entries(call.headers ?? {})) out[k.toLowerCase()] = v;
      return out;
    },
    retryAfterSeconds: (_status, headers, body) =>
      hint?.(body) ?? parseRetryAfterHeader(headers['retry-after']),
  };
}
