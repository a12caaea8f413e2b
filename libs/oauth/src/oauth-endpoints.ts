import type { AppConfig } from '@app/config';

/** The OAuth providers the gateway can sign in and the worker refreshes. */
export type OAuthProviderId =
  'claude' | 'codex' | 'gemini-cli' | 'antigravity' | 'qwen' | 'iflow' | 'kimi';

/** Every OAuth provider id, for validation and loops. */
export const OAUTH_PROVIDERS: readonly OAuthProviderId[] = [
  'claude',
  'codex',
  'gemini-cli',
  'antigravity',
  'qwen',
  'iflow',
  'kimi',
];

/** True when `value` names an OAuth provider. */
export function isOAuthProvider(value: string): value is OAuthProviderId {
  return (OAUTH_PROVIDERS as readonly string[]).includes(value);
}

/** How a provider's token endpoint wants its body. */
export type TokenBodyFormat = 'form' | 'json';

/** Everything a login or a refresh needs to talk to one provider. */
export interface OAuthEndpoints {
  readonly provider: OAuthProviderId;
  /** Browser authorization page (absent for device-flow-only providers). */
  readonly authorizeUrl?: string;
  readonly tokenUrl: string;
  /** RFC 8628 device authorization endpoint (Qwen, Kimi). */
  readonly deviceCodeUrl?: string;
  readonly userInfoUrl?: string;
  /**
   * The provider API used after login: Code Assist for Google accounts, `api.anthropic.com`,
   * `chatgpt.com`, Kimi's coding API, iFlow's and Qwen's chat APIs. Quota endpoints hang off it.
   */
  readonly apiBase: string;
  /** iFlow's platform endpoint that turns a web cookie into an API key. */
  readonly apiKeyUrl?: string;
  /** The redirect URI the provider registered for this client id. */
  readonly redirectUri?: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly scopes: readonly string[];
  readonly tokenBody: TokenBodyFormat;
  /** Refresh the access token this long before it expires. */
  readonly refreshLeadMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const GOOGLE_AUTHORIZE = 'https://accounts.google.com/o/oauth2/v2/auth';
const GOOGLE_TOKEN = 'https://oauth2.googleapis.com/token';
/** Code Assist, the API behind Gemini CLI and Antigravity (`/v1internal:<method>`). */
export const CODE_ASSIST_BASE = 'https://cloudcode-pa.googleapis.com';

// Client ids and secrets are the public ones the providers' own CLIs ship (installed-app OAuth
// clients cannot keep a secret); CLIProxyAPI uses the same, so its auth files refresh here.
const DEFAULTS: Readonly<Record<OAuthProviderId, OAuthEndpoints>> = {
  claude: {
    provider: 'claude',
    authorizeUrl: 'https://claude.ai/oauth/authorize',
    tokenUrl: 'https://api.anthropic.com/v1/oauth/token',
    apiBase: 'https://api.anthropic.com',
    redirectUri: 'http://localhost:54545/callback',
    clientId: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
    scopes: ['org:create_api_key', 'user:profile', 'user:inference'],
    tokenBody: 'json',
    refreshLeadMs: 4 * HOUR,
  },
  codex: {
    provider: 'codex',
    authorizeUrl: 'https://auth.openai.com/oauth/authorize',
    tokenUrl: 'https://auth.openai.com/oauth/token',
    apiBase: 'https://chatgpt.com',
    redirectUri: 'http://localhost:1455/auth/callback',
    clientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    tokenBody: 'form',
    refreshLeadMs: 5 * DAY,
  },
  'gemini-cli': {
    provider: 'gemini-cli',
    authorizeUrl: GOOGLE_AUTHORIZE,
    tokenUrl: GOOGLE_TOKEN,
    userInfoUrl: 'https://www.googleapis.com/oauth2/v1/userinfo?alt=json',
    apiBase: CODE_ASSIST_BASE,
    redirectUri: 'http://localhost:8085/oauth2callback',
    clientId: '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com',
    clientSecret: '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',
    scopes: [
      'https://www.googleapis.com/auth/cloud-platform',
      'https://www.googleapis.com/auth/userinfo.email',
      'https://www.googleapis.com/auth/userinfo.profile',
    ],
    tokenBody: 'form',
    refreshLeadMs: 5 * MINUTE,
  },
  antigravity: {
    provider: 'antigravity',
    authorizeUrl: GOOGLE_AUTHORIZE,
    tokenUrl: GOOGLE_TOKEN,
    userInfoUrl: 'https://www.googleapis.com/oauth2/v2/userinfo?alt=json',
    apiBase: CODE_ASSIST_BASE,
    redirectUri: 'http://localhost:51121/oauth-callback',
    clientId: '884354919052-36trc1jjb3tguiac32ov6cod268c5blh.apps.googleusercontent.com',
    clientSecret: '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',
    scopes: [
      'https://www.googleapis.com/auth/cloud-platform',
      'https://www.googleapis.com/auth/userinfo.email',
      'https://www.googleapis.com/auth/userinfo.profile',
      'https://www.googleapis.com/auth/cclog',
      'https://www.googleapis.com/auth/experimentsandconfigs',
    ],
    tokenBody: 'form',
    refreshLeadMs: 5 * MINUTE,
  },
  qwen: {
    provider: 'qwen',
    tokenUrl: 'https://chat.qwen.ai/api/v1/oauth2/token',
    deviceCodeUrl: 'https://chat.qwen.ai/api/v1/oauth2/device/code',
    apiBase: 'https://portal.qwen.ai/v1',
    clientId: 'f0304373b74a44d2b584a3fb70ca9e56',
    scopes: ['openid', 'profile', 'email', 'model.completion'],
    tokenBody: 'form',
    refreshLeadMs: 20 * MINUTE,
  },
  iflow: {
    provider: 'iflow',
    authorizeUrl: 'https://iflow.cn/oauth',
    tokenUrl: 'https://iflow.cn/oauth/token',
    userInfoUrl: 'https://iflow.cn/api/oauth/getUserInfo',
    apiBase: 'https://apis.iflow.cn/v1',
    apiKeyUrl: 'https://platform.iflow.cn/api/openapi/apikey',
    redirectUri: 'http://localhost:11451/oauth2callback',
    clientId: '10009311001',
    clientSecret: '4Z3YjXycVsQvyGF1etiNlIBB4RsqSDtW',
    scopes: [],
    tokenBody: 'form',
    refreshLeadMs: 24 * HOUR,
  },
  kimi: {
    provider: 'kimi',
    tokenUrl: 'https://auth.kimi.com/api/oauth/token',
    deviceCodeUrl: 'https://auth.kimi.com/api/oauth/device_authorization',
    apiBase: 'https://api.kimi.com/coding',
    clientId: '17e5f671-d194-4dfb-9706-5516cb48c098',
    scopes: [],
    tokenBody: 'form',
    refreshLeadMs: 5 * MINUTE,
  },
};

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
