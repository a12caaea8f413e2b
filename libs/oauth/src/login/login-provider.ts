import type { OAuthProviderId } from '@app/oauth/oauth-endpoints';

/**
 * A login flow's name, as CLIProxyAPI's sessions and `oauth-callback` bodies spell it
 * (`anthropic`, not `claude`; `gemini` for the Gemini CLI account).
 */
export type LoginProvider =
  'anthropic' | 'codex' | 'gemini' | 'antigravity' | 'qwen' | 'kimi' | 'iflow';

/** Browser redirect with a code, or RFC 8628 device authorization. */
export type LoginFlow = 'redirect' | 'device';

/** What the gateway, the CLI and the session store need to know about one login flow. */
export interface LoginProviderSpec {
  readonly id: LoginProvider;
  /** The OAuth endpoint table (`oauth-endpoints.<key>`) the flow uses. */
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
}

const SPECS: Readonly<Record<LoginProvider, LoginProviderSpec>> = {
  anthropic: {
    id: 'anthropic',
    oauth: 'claude',
    route: 'anthropic',
    flow: 'redirect',
    callbackPath: '/anthropic/callback',
    pkce: true,
    label: 'Claude',
  },
  codex: {
    id: 'codex',
    oauth: 'codex',
    route: 'codex',
    flow: 'redirect',
    callbackPath: '/codex/callback',
    pkce: true,
    label: 'Codex',
  },
  gemini: {
    id: 'gemini',
    oauth: 'gemini-cli',
    route: 'gemini-cli',
    flow: 'redirect',
    callbackPath: '/google/callback',
    pkce: false,
    label: 'Gemini CLI',
  },
  antigravity: {
    id: 'antigravity',
    oauth: 'antigravity',
    route: 'antigravity',
    flow: 'redirect',
    callbackPath: '/antigravity/callback',
    // Antigravity's OAuth client requires PKCE; Google accepts it for any client.
    pkce: true,
    label: 'Antigravity',
  },
  qwen: {
    id: 'qwen',
    oauth: 'qwen',
    route: 'qwen',
    flow: 'device',
    // Qwen pairs its device flow with a PKCE verifier.
    pkce: true,
    label: 'Qwen',
  },
  kimi: {
    id: 'kimi',
    oauth: 'kimi',
    route: 'kimi',
    flow: 'device',
    pkce: false,
    label: 'Kimi',
  },
  iflow: {
    id: 'iflow',
    oauth: 'iflow',
    route: 'iflow',
    flow: 'redirect',
    callbackPath: '/iflow/callback',
    pkce: false,
    label: 'iFlow',
  },
};

/** Every login flow, in the order the routes are listed. */
export const LOGIN_PROVIDERS: readonly LoginProvider[] = Object.keys(SPECS) as LoginProvider[];

/** The spec of one login flow. */
export function loginSpec(provider: LoginProvider): LoginProviderSpec {
  return SPECS[provider];
}

// Every spelling CLIProxyAPI's `oauth-callback` and login commands accept, plus our own ids.
const ALIASES: Readonly<Record<string, LoginProvider>> = {
  anthropic: 'anthropic',
  claude: 'anthropic',
  codex: 'codex',
  openai: 'codex',
  gemini: 'gemini',
  'gemini-cli': 'gemini',
  google: 'gemini',
  antigravity: 'antigravity',
  'anti-gravity': 'antigravity',
  qwen: 'qwen',
  kimi: 'kimi',
  iflow: 'iflow',
  'i-flow': 'iflow',
};

/** The login flow a user-supplied provider name means, or undefined. */
export function normalizeLoginProvider(name: string | undefined): LoginProvider | undefined {
  if (!name) return undefined;
  return ALIASES[name.trim().toLowerCase()];
}

/** The redirect flow whose gateway landing path this is (`/google/callback` → gemini). */
export function providersForCallbackPath(path: string): LoginProvider[] {
  return LOGIN_PROVIDERS.filter((p) => SPECS[p].callbackPath === path);
}
