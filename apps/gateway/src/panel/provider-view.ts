import {
  FOREIGN_QUOTA_ROUTES,
  PROVIDER_DESCRIPTORS,
  type ProviderDescriptor,
} from '@app/providers';

/** One provider as `GET /v0/management/providers` lists it: names, lists and routes. */
export interface ProviderView {
  id: string;
  label: string;
  /** Other names `/api/provider/<name>/…` accepts. */
  aliases: string[];
  /** Called over HTTP (false: reached through the WebSocket relay). */
  http: boolean;
  /** The config.yaml list of its API keys, and how the panel names it. */
  api_keys?: { section: string; label: string };
  /** Auth-file `type` values that load as this provider. */
  auth_file_types?: string[];
  /** Its OAuth login: `/v0/management/<route>-auth-url`. */
  login?: {
    route: string;
    title: string;
    flow: 'redirect' | 'device';
    asks_project: boolean;
    aliases: string[];
  };
  /** `/api/cliproxy/quota/<route>/:accountId`, and whether the worker polls it. */
  quota?: { route: string; polled: boolean };
}

/** The answer of `GET /v0/management/providers`. */
export interface ProvidersAnswer {
  providers: ProviderView[];
  /** Auth-file types of providers this gateway has no accounts for → their quota route. */
  foreign_quota_routes: Record<string, string>;
}

function view(d: ProviderDescriptor): ProviderView {
  const out: ProviderView = {
    id: d.id,
    label: d.label,
    aliases: [...d.aliases],
    http: d.wire !== undefined,
  };
  if (d.apiKeys) out.api_keys = { section: d.apiKeys.section, label: d.apiKeys.label };
  if (d.authFile) out.auth_file_types = [...d.authFile.types];
  if (d.oauth) {
    const l = d.oauth.login;
    out.login = {
      route: l.route,
      title: l.title,
      flow: l.flow,
      asks_project: l.asksProject ?? false,
      aliases: [l.id, ...l.aliases],
    };
  }
  if (d.quota) out.quota = { route: d.quota.route, polled: d.quota.polled };
  return out;
}

/**
 * The provider registry as the panel needs it (its login menu, config-key lists and quota
 * links), so the panel's lists are the gateway's. OAuth clients and endpoints are left out.
 */
export function providersAnswer(): ProvidersAnswer {
  return {
    providers: PROVIDER_DESCRIPTORS.map(view),
    foreign_quota_routes: { ...FOREIGN_QUOTA_ROUTES },
  };
}
