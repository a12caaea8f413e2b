import type { ProviderId } from '@app/providers';
import type { WireFormat } from '@app/llm/ir/types';

/** Every upstream the gateway calls over HTTP: derived from the registry in libs/providers. */
export type { ProviderId } from '@app/providers';

/** What the proxy asks an upstream to do. */
export type UpstreamAction = 'generate' | 'count_tokens' | 'compact';

/** Everything an adapter needs to address one call (no I/O, no secrets beyond these). */
export interface UpstreamCall {
  /** The credential's base-url, or undefined for the provider default. */
  baseUrl?: string;
  /** Model name sent upstream. */
  model: string;
  stream: boolean;
  action: UpstreamAction;
  /** API key (API-key credentials) or OAuth access token. */
  token: string;
  /** Whether `token` is an OAuth access token (Bearer) rather than an API key. */
  oauth: boolean;
  /** Extra headers from config or the auth file (override defaults). */
  headers?: Record<string, string>;
  /** Provider-specific identity: Codex account id, Code Assist project, Vertex location… */
  accountId?: string;
  project?: string;
  location?: string;
}

/** How to reach one upstream: URL, headers, wire format, and how it says "retry later". */
export interface ProviderAdapter {
  readonly id: ProviderId;
  /** The wire format this upstream speaks. */
  readonly format: WireFormat;
  readonly defaultBaseUrl: string;
  /** True when the upstream only streams (the proxy aggregates for non-stream clients). */
  readonly alwaysStreams: boolean;
  /** True when the upstream has a token-count endpoint; otherwise the proxy estimates. */
  readonly countsTokens: boolean;
  url(call: UpstreamCall): string;
  headers(call: UpstreamCall): Record<string, string>;
  /** Seconds until the upstream wants to be called again, from an error response. */
  retryAfterSeconds(
    status: number,
    headers: Record<string, string | string[] | undefined>,
    body: string,
  ): number | undefined;
}
