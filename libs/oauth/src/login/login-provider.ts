import {
  OAUTH_DESCRIPTORS,
  type LoginFlow,
  type LoginProvider,
  type OAuthProviderId,
} from '@app/providers';

/**
 * A login flow's name, as CLIProxyAPI's sessions and `oauth-callback` bodies spell it
 * (`anthropic`, not `claude`; `gemini` for the Gemini CLI account). From the registry.
 */
export type { LoginFlow, LoginProvider } from '@app/providers';

/** What the gateway, the CLI and the session store need to know about one login flow. */
export interface LoginProviderSpec {
  readonly id: LoginProvider;
  /** The OAuth endpoint table (`oauth-endpoints.<key>`) the flow uses: the provider's id. */
  readonly oauth: OAuthProviderId;
  /** `GET /v0/management/<route>-auth-url`. */
  readonly route: string;
  readonly flow: LoginFlow;
  /** The gateway's landing path for the browser redirect (redirect flows only). */
  readonly callbackPath?: string;
  /** Send an S256 challenge and exchange with the verifier. */
  readonly pkce: boolean;
  /** For messages and the CLI. */
  readonly label: string;
  /** How the panel's login menu names it. */
  readonly title: string;
  /** Other names the CLI and `oauth-callback` accept. */
  readonly aliases: readonly string[];
  /** The login takes a Google Cloud project (`?project_id=`). */
  readonly asksProject: boolean;
  /** The authorize URL's query template (redirect flows; see libs/providers). */
  readonly authorize?: readonly string[];
  /** The token endpoint binds tokens to a device id the login mints. */
  readonly mintsDeviceId: boolean;
}

const SPECS = new Map<LoginProvider, LoginProviderSpec>(
  OAUTH_DESCRIPTORS.map((d) => {
    const login = d.oauth.login;
    const spec: LoginProviderSpec = {
      id: login.id,
      oauth: d.id,
      route: login.route,
      flow: login.flow,
      callbackPath: 'callbackPath' in login ? login.callbackPath : undefined,
      pkce: login.pkce,
      label: d.label,
      title: login.title,
      aliases: login.aliases,
      asksProject: 'asksProject' in login && login.asksProject,
      authorize: 'authorize' in login ? login.authorize : undefined,
      mintsDeviceId: 'token' in d.oauth && 'deviceIdHeader' in d.oauth.token,
    };
    return [login.id, Object.freeze(spec)];
  }),
);

/** Every login flow, in registry order. */
export const LOGIN_PROVIDERS: readonly LoginProvider[] = [...SPECS.keys()];

/** The spec of one login flow. */
export function loginSpec(provider: LoginProvider): LoginProviderSpec {
  return SPECS.get(provider)!;
}

// Every spelling CLIProxyAPI's `oauth-callback` and login commands accept, plus our own ids.
const ALIASES = new Map<string, LoginProvider>(
  [...SPECS.values()].flatMap((s) => [s.id, ...s.aliases].map((name) => [name, s.id] as const)),
);

/** The login flow a user-supplied provider name means, or undefined. */
export function normalizeLoginProvider(name: string | undefined): LoginProvider | undefined {
  if (!name) return undefined;
  return ALIASES.get(name.trim().toLowerCase());
}

/** The redirect flow whose gateway landing path this is (`/google/callback` → gemini). */
export function providersForCallbackPath(path: string): LoginProvider[] {
  return LOGIN_PROVIDERS.filter((p) => loginSpec(p).callbackPath === path);
}
