import type { AppConfig } from '@app/config';
import { OAUTH_DESCRIPTORS, type OAuthEndpointSpec, type OAuthProviderId } from '@app/providers';

/** The OAuth providers the gateway can sign in and the worker refreshes (from the registry). */
export { OAUTH_PROVIDERS, isOAuthProvider, type OAuthProviderId } from '@app/providers';

/** How a provider's token endpoint wants its body. */
export type TokenBodyFormat = OAuthEndpointSpec['tokenBody'];

/** Everything a login or a refresh needs to talk to one provider. */
export interface OAuthEndpoints extends OAuthEndpointSpec {
  readonly provider: OAuthProviderId;
}

// The registry rows' built-in clients and endpoints (`oauth.endpoints`), by provider.
const DEFAULTS = Object.fromEntries(
  OAUTH_DESCRIPTORS.map((d): [OAuthProviderId, OAuthEndpoints] => [
    d.id,
    Object.freeze({ provider: d.id, ...d.oauth.endpoints }),
  ]),
) as Readonly<Record<OAuthProviderId, OAuthEndpoints>>;

/** The built-in endpoints of a provider (the real ones), without config overrides. */
export function defaultOAuthEndpoints(provider: OAuthProviderId): OAuthEndpoints {
  return DEFAULTS[provider];
}

/** The config shape `resolveOAuthEndpoints` reads (just the one key). */
export type OAuthEndpointsConfig = Pick<AppConfig, 'oauth-endpoints'>;

type Override = NonNullable<AppConfig['oauth-endpoints'][string]>;

const TRAILING_SLASHES = /\/+$/;

// Resolved endpoints are cached per override object: the config is frozen and replaced whole on
// reload, so identity is a safe key and the hot path (inline refresh checks) builds nothing.
const resolved = new WeakMap<Override, OAuthEndpoints>();

function applyOverride(base: OAuthEndpoints, o: Override): OAuthEndpoints {
  return {
    ...base,
    authorizeUrl: o['authorize-url'] ?? base.authorizeUrl,
    tokenUrl: o['token-url'] ?? base.tokenUrl,
    deviceCodeUrl: o['device-code-url'] ?? base.deviceCodeUrl,
    userInfoUrl: o['userinfo-url'] ?? base.userInfoUrl,
    apiBase: (o['api-base'] ?? base.apiBase).replace(TRAILING_SLASHES, ''),
    apiKeyUrl: o['api-key-url'] ?? base.apiKeyUrl,
    redirectUri: o['redirect-uri'] ?? base.redirectUri,
    clientId: o['client-id'] ?? base.clientId,
    clientSecret: o['client-secret'] ?? base.clientSecret,
    scopes: o.scopes !== undefined ? o.scopes.split(/\s+/).filter(Boolean) : base.scopes,
    refreshLeadMs:
      o['refresh-lead-seconds'] !== undefined
        ? o['refresh-lead-seconds'] * 1000
        : base.refreshLeadMs,
  };
}

/** A provider's endpoints with `oauth-endpoints.<provider>` from config.yaml applied. */
export function resolveOAuthEndpoints(
  config: OAuthEndpointsConfig,
  provider: OAuthProviderId,
): OAuthEndpoints {
  const override = config['oauth-endpoints'][provider];
  if (!override) return DEFAULTS[provider];
  let out = resolved.get(override);
  if (!out) {
    out = Object.freeze(applyOverride(DEFAULTS[provider], override));
    resolved.set(override, out);
  }
  return out;
}
