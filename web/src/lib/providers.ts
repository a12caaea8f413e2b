// The gateway's provider registry as `GET /v0/management/providers` lists it, and the panel's
// lists derived from it: the OAuth login menu, the config.yaml key lists and the quota route of
// each account. Nothing here names a provider; the gateway's registry does.

/** One provider of the registry. */
export interface ProviderView {
  id: string;
  label: string;
  aliases: string[];
  http: boolean;
  api_keys?: { section: string; label: string };
  auth_file_types?: string[];
  login?: {
    route: string;
    title: string;
    flow: 'redirect' | 'device';
    asks_project: boolean;
    aliases: string[];
  };
  quota?: { route: string; polled: boolean };
}

/** `GET /v0/management/providers`. */
export interface ProvidersAnswer {
  providers: ProviderView[];
  /** Auth-file types of providers the gateway has no accounts for → their quota route. */
  foreign_quota_routes: Record<string, string>;
}

/** An entry of the OAuth login menu: `id` is the route segment of `/<id>-auth-url`. */
export interface LoginOption {
  id: string;
  label: string;
  /** The login takes a Google Cloud project. */
  project: boolean;
}

/** The logins the gateway can start, in registry order. */
export function loginOptions(answer: ProvidersAnswer | undefined): LoginOption[] {
  return (answer?.providers ?? []).flatMap((p) =>
    p.login ? [{ id: p.login.route, label: p.login.title, project: p.login.asks_project }] : [],
  );
}

/** A config.yaml list of upstream API keys and how to name it. */
export interface KeySectionOption {
  section: string;
  label: string;
}

/** The API-key lists of config.yaml, in registry order. */
export function keySections(answer: ProvidersAnswer | undefined): KeySectionOption[] {
  return (answer?.providers ?? []).flatMap((p) =>
    p.api_keys ? [{ section: p.api_keys.section, label: p.api_keys.label }] : [],
  );
}

/**
 * Provider id or auth-file type → quota route of `/api/cliproxy/quota/:provider/:accountId`.
 * Both spellings count: a file the gateway could not load is listed under its raw `type`.
 */
export function quotaRoutes(answer: ProvidersAnswer | undefined): Readonly<Record<string, string>> {
  const out: Record<string, string> = { ...answer?.foreign_quota_routes };
  for (const p of answer?.providers ?? []) {
    if (!p.quota) continue;
    for (const name of [p.id, ...(p.auth_file_types ?? [])]) out[name] = p.quota.route;
  }
  return out;
}
