import { type ProviderId, parseModelSuffix } from '@app/llm';

/** One credential the proxy may try, with everything needed to call it. */
export interface Candidate {
  credentialId: string;
  authIndex: string;
  provider: ProviderId;
  /** Display label (email or masked key) — never a secret. */
  label: string;
  /** The upstream model as resolved, with the client's thinking suffix (usage records). */
  upstreamModel: string;
  /** The upstream model without a thinking suffix: what is sent, and the key of runtime state. */
  stateModel: string;
  /** Effective base URL (entry `base-url`, Qwen `resource_url`, `provider-base-urls`), if any. */
  baseUrl?: string;
  /** Effective outbound proxy (entry, else global `proxy-url`); undefined = direct. */
  proxyUrl?: string;
  headers: Readonly<Record<string, string>>;
  /** API key or OAuth access token. */
  token: string;
  oauth: boolean;
  accountId?: string;
  project?: string;
  location?: string;
  /** `/v1/ws` relay connection (provider aistudio): the call travels over that socket. */
  relay?: string;
}

/**
 * The upstream's name in messages, usage and the request log: a `/v1/ws` relay connection is
 * called with the Gemini adapter but is an `aistudio` credential.
 */
export function upstreamName(c: Pick<Candidate, 'provider' | 'relay'>): string {
  return c.relay ? 'aistudio' : c.provider;
}

/** What the router can offer for a model. */
export type Plan =
  | { kind: 'ok'; candidates: Candidate[] }
  /** Every credential is cooling down for this model; the earliest is free in `retryAfterSec`. */
  | { kind: 'cooldown'; retryAfterSec: number }
  /** No credential serves this model at all. */
  | { kind: 'none' };

/** A model the gateway can serve, for the model lists. */
export interface ServedModel {
  id: string;
  ownedBy: string;
  provider: string;
  created: number;
  displayName?: string;
}

/**
 * The proxy's view of routing (implemented over libs/routing): which credentials to try for a
 * model, in which order, and where to report how each attempt went.
 */
export abstract class CandidateSource {
  abstract plan(model: string, opts: { provider?: string }): Promise<Plan>;
  /** An attempt failed with an upstream status (cooldown bookkeeping). */
  abstract reportFailure(
    c: Candidate,
    status: number,
    retryAfterSec: number | undefined,
    message: string,
  ): Promise<void>;
  /** An attempt succeeded (clears failure state). */
  abstract reportSuccess(c: Candidate): void;
  abstract listModels(opts: { provider?: string }): ServedModel[];

  /** True when some credential serves the model (a thinking suffix is ignored). */
  serves(model: string, opts: { provider?: string }): boolean {
    const base = parseModelSuffix(model).model;
    return this.listModels(opts).some((m) => m.id === model || m.id === base);
  }

  /**
   * True when the model is configured at all: served now, or by credentials that are disabled.
   * A model nobody knows is the client's mistake (400); a known one nothing can serve right now
   * is the gateway's state (503).
   */
  knows(model: string, opts: { provider?: string }): boolean {
    return this.serves(model, opts);
  }
}
