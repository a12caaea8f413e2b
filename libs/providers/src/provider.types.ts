// The shape of one provider descriptor: pure data. Every lib that treats providers differently
// reads its part from here (see provider-registry.ts for the derived lists and unions). Field
// values that name something another lib owns (a wire format, a catalog, a secret or token
// field) are plain strings here and type-checked where that lib consumes them.

/** Which header carries an API key; an OAuth access token always travels as a Bearer token. */
export type ApiKeyHeader = 'authorization' | 'x-api-key' | 'x-goog-api-key';

/**
 * The URL layout of an upstream's calls; libs/llm turns each into a path:
 * - `chat-completions`: `{base}/chat/completions` (OpenAI chat and its look-alikes),
 * - `claude-messages`: `{base}/v1/messages` and `/v1/messages/count_tokens`,
 * - `codex-responses`: `{base}/responses` and `/responses/compact`,
 * - `gemini-models`: `{base}/v1beta/models/{model}:{method}`,
 * - `vertex-models`: `{base}/v1/…/publishers/google/models/{model}:{method}` (by project with a
 *   service account, express mode with an API key),
 * - `code-assist`: `{base}/v1internal:{method}` (Gemini CLI, Antigravity).
 */
export type PathStyle =
  | 'chat-completions'
  | 'claude-messages'
  | 'codex-responses'
  | 'gemini-models'
  | 'vertex-models'
  | 'code-assist';

/** Where an error body says when to retry, read before `Retry-After`. */
export type RetryHintStyle = 'google-retry-info' | 'codex-resets';

/** How the gateway calls the upstream over HTTP. */
export interface WireSpec {
  /** The wire format it speaks: one of libs/llm's `WireFormat` (checked there). */
  readonly format: string;
  readonly defaultBaseUrl: string;
  readonly path: PathStyle;
  readonly apiKeyHeader: ApiKeyHeader;
  /** Fixed headers of every call (after the key, before config headers). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Fixed headers only calls with an OAuth access token carry. */
  readonly oauthHeaders?: Readonly<Record<string, string>>;
  /** The header that carries the account id of the credential (Codex's workspace). */
  readonly accountIdHeader?: string;
  /** The upstream only streams; the proxy aggregates the stream for non-stream clients. */
  readonly alwaysStreams?: boolean;
  /** The upstream counts tokens itself; otherwise the proxy estimates. */
  readonly countsTokens?: boolean;
  readonly retryHint?: RetryHintStyle;
  /** The account's `resource_url` (its own API host) replaces the base URL (Qwen). */
  readonly accountBaseUrl?: boolean;
}

/** What the model registry needs: the built-in list, the owner and the native family. */
export interface ModelSpec {
  /** The list of model-catalog.json served without a `models` config; null: configured only. */
  readonly catalog: string | null;
  /** `owned_by` of models no catalog knows. */
  readonly owner: string;
  /**
   * Model names the vendor's own API answers for, including ones newer than any catalog
   * (`claude-*`). Only vendors' own endpoints have one; resellers and relays serve fixed lists.
   */
  readonly family: readonly string[];
}

/** A config.yaml list of API keys for the provider. */
export interface ApiKeySpec {
  /** The config key (`gemini-api-key`), also the management route of the list. */
  readonly section: `${string}-api-key`;
  /** How the panel names the list. */
  readonly label: string;
  /** Entries also take CLIProxyAPI's `cloak` block (Claude). */
  readonly cloak?: boolean;
}

/**
 * How an auth file keeps its secret. `tokens`: flat fields named in `secret`; `google-token`:
 * Google's oauth2 token object under `token`; `codex-jwt`: flat tokens plus the claims of the
 * id_token; `service-account`: a Google service-account key under `service_account`.
 */
export type AuthFileLayout = 'tokens' | 'google-token' | 'codex-jwt' | 'service-account';

/** How to read (and, for OAuth providers, refresh) the provider's auth files. */
export interface AuthFileSpec {
  /** The `type` values that select it, case-insensitive; logins write the first. */
  readonly types: readonly string[];
  readonly layout: AuthFileLayout;
  /** `tokens` layout: file key → field of the credential's secret, read in this order. */
  readonly secret?: Readonly<Record<string, string>>;
  /** `tokens` layout: keys that must be present; one key of each group is enough. */
  readonly requires?: readonly (readonly string[])[];
  /** `tokens` layout: a file without an expiry gives `timestamp` (ms) and `expires_in` (s). */
  readonly issuedExpiry?: boolean;
}

/** Browser redirect with a code, or RFC 8628 device authorization. */
export type LoginFlow = 'redirect' | 'device';

/** The provider's built-in OAuth client and endpoints (config `oauth-endpoints` overrides them). */
export interface OAuthEndpointSpec {
  /** Browser authorization page (absent for device-flow-only providers). */
  readonly authorizeUrl?: string;
  readonly tokenUrl: string;
  /** RFC 8628 device authorization endpoint. */
  readonly deviceCodeUrl?: string;
  readonly userInfoUrl?: string;
  /** The provider API used after login (Code Assist, api.anthropic.com…); quota hangs off it. */
  readonly apiBase: string;
  /** iFlow's platform endpoint that turns a web cookie into an API key. */
  readonly apiKeyUrl?: string;
  /** The redirect URI the provider registered for this client id. */
  readonly redirectUri?: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly scopes: readonly string[];
  /** How the token endpoint wants its body. */
  readonly tokenBody: 'form' | 'json';
  /** Refresh the access token this long before it expires. */
  readonly refreshLeadMs: number;
}

/** What a provider's token endpoint does differently from plain OAuth 2. */
export interface TokenQuirks {
  /** Send the client id and secret as HTTP Basic too (iFlow). */
  readonly basicAuth?: boolean;
  /** Fixed headers of every token and device-code call. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Tokens are bound to a device id the login mints, sent in this header (Kimi). */
  readonly deviceIdHeader?: string;
  /** A bare 401 or 403 means the grant is gone (Kimi). */
  readonly unauthorizedIsInvalidGrant?: boolean;
  /** The code exchange echoes the OAuth state (Claude). */
  readonly exchangeSendsState?: boolean;
  /** Scopes asked again on refresh, so the new id_token keeps its claims (Codex). */
  readonly refreshScope?: string;
  /** After every grant the API key comes from the user-info endpoint (iFlow). */
  readonly apiKeyFromUserInfo?: boolean;
  /**
   * Token-answer fields a refresh writes into the auth file beyond the tokens and expiry: file
   * key → field of libs/oauth's `TokenSet`, written when the answer has it.
   */
  readonly refreshWrites?: Readonly<Record<string, string>>;
}

/** The login flow: how CLIProxyAPI's routes, sessions and CLI name it and how it runs. */
export interface LoginSpec {
  /** The flow's name in sessions and `oauth-callback` bodies (`anthropic`, `gemini`). */
  readonly id: string;
  /** Other names the login CLI and `oauth-callback` accept for it. */
  readonly aliases: readonly string[];
  /** `GET /v0/management/<route>-auth-url`. */
  readonly route: string;
  readonly flow: LoginFlow;
  /** The gateway's landing path for the browser redirect (redirect flows only). */
  readonly callbackPath?: string;
  /** Send an S256 challenge and exchange with the verifier. */
  readonly pkce: boolean;
  /** How the panel's login menu names it. */
  readonly title: string;
  /** The login takes a Google Cloud project (`?project_id=`, a project or `ALL`). */
  readonly asksProject?: boolean;
  /**
   * The authorize URL's query, in order: `key=value` pairs where `{client_id}`, `{redirect_uri}`,
   * `{scope}` and `{state}` are the login's values, and `{pkce}` (required challenge) or
   * `{pkce?}` (when the login has one) for `code_challenge` and `code_challenge_method`.
   */
  readonly authorize?: readonly string[];
}

/** Everything OAuth about the provider. Its login module (libs/oauth) adds the code. */
export interface OAuthSpec {
  readonly endpoints: OAuthEndpointSpec;
  readonly token?: TokenQuirks;
  readonly login: LoginSpec;
}

/** Where the control API's quota route finds the provider's accounts. */
export interface QuotaSpec {
  /** `/api/cliproxy/quota/<route>/:accountId` (`agy` for Antigravity). */
  readonly route: string;
  /** The worker polls a quota endpoint (a fetcher in libs/quota); otherwise "not supported". */
  readonly polled: boolean;
}

/** One upstream provider. */
export interface ProviderDescriptor {
  /** The routing id: credentials, channels, metrics, `provider-base-urls`, `oauth-endpoints`. */
  readonly id: string;
  /** For messages, the CLI and the panel. */
  readonly label: string;
  /** Other names `/api/provider/<name>/…` accepts for it. */
  readonly aliases: readonly string[];
  /** How it is called over HTTP; absent for providers that are reached another way (AI Studio). */
  readonly wire?: WireSpec;
  readonly models: ModelSpec;
  readonly apiKeys?: ApiKeySpec;
  readonly authFile?: AuthFileSpec;
  readonly oauth?: OAuthSpec;
  readonly quota?: QuotaSpec;
}

/**
 * Declare a descriptor, keeping its literal types (ids, sections, routes) so the registry can
 * derive unions from them.
 */
export function defineProvider<const D extends ProviderDescriptor>(descriptor: D): D {
  return descriptor;
}
