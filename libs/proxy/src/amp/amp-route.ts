import type { AmpModelMapper } from '@app/proxy/amp/amp-model-mapper';

/** Where an Amp provider-route call goes. */
export type AmpRoute =
  /** A local credential serves the model; `provider` is the pin to keep (undefined = any). */
  | { kind: 'local'; provider: string | undefined }
  /** A model mapping points at a model a local credential serves. */
  | { kind: 'mapped'; model: string; provider: string | undefined }
  /** Nothing local can serve it: forward to the Amp upstream as it came. */
  | { kind: 'upstream' }
  /** Nothing local and no Amp upstream: let the proxy answer (503 naming the model). */
  | { kind: 'unserved' };

/** What the decision needs to know. */
export interface AmpRouteInput {
  /** The model as the client named it (may carry a thinking suffix). */
  model: string;
  /** The provider the route pins (`/api/provider/:provider`), resolved to a routing id. */
  pinned: string | undefined;
  /** True when a local credential serves `model` (optionally only the pinned provider's). */
  serves: (model: string, provider: string | undefined) => boolean;
  mapper: AmpModelMapper;
  /** `ampcode.force-model-mappings`: mappings are checked before local credentials. */
  forceMappings: boolean;
  /** True when `ampcode.upstream-url` is set. */
  upstream: boolean;
}

/**
 * CLIProxyAPI's Amp fallback, as one pure decision: serve locally when a local credential serves
 * the model (the pinned provider first, then any: Amp names Anthropic and OpenAI routes for
 * models a subscription behind another provider may serve); otherwise follow a model mapping
 * whose target is served locally; otherwise forward to the Amp upstream. With
 * `force-model-mappings` a usable mapping wins over a local credential for the same name.
 */
export function decideAmpRoute(input: AmpRouteInput): AmpRoute {
  const local = (model: string): { provider: string | undefined } | undefined => {
    if (input.pinned && input.serves(model, input.pinned)) return { provider: input.pinned };
    return input.serves(model, undefined) ? { provider: undefined } : undefined;
  };
  const mapped = (): AmpRoute | undefined => {
    const target = input.mapper.map(input.model);
    if (!target) return undefined;
    const where = local(target);
    return where ? { kind: 'mapped', model: target, provider: where.provider } : undefined;
  };

  // Without a model the proxy answers the client's mistake itself (400 "model is required").
  if (!input.model) return { kind: 'local', provider: input.pinned };
  if (input.forceMappings) {
    const m = mapped();
    if (m) return m;
  }
  const here = local(input.model);
  if (here) return { kind: 'local', provider: here.provider };
  if (!input.forceMappings) {
    const m = mapped();
    if (m) return m;
  }
  return input.upstream ? { kind: 'upstream' } : { kind: 'unserved' };
}
