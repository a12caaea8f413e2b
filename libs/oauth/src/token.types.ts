// The shapes of token calls: their inputs and options, and the normalized answers.

/** A token endpoint's answer, normalized across providers. */
export interface TokenSet {
  accessToken: string;
  /** Absent when the provider keeps the old refresh token valid (Google). */
  refreshToken?: string;
  idToken?: string;
  /** Access-token expiry, epoch milliseconds. */
  expiresAt?: number;
  tokenType?: string;
  scope?: string;
  /** Account email when the token answer carries it (Claude `account.email_address`). */
  email?: string;
  /** Qwen's per-account API host. */
  resourceUrl?: string;
  /** iFlow: the API key the chat API takes, fetched with the new access token. */
  apiKey?: string;
  /** The parsed JSON answer, for fields a caller needs beyond these. */
  raw: Record<string, unknown>;
}

/** Options every token call accepts. */
export interface TokenCallOptions {
  /** Outbound proxy of the credential. */
  proxyUrl?: string;
  /** The login's device id, for providers that bind tokens to one (Kimi). */
  deviceId?: string;
  signal?: AbortSignal;
  /** Clock for `expiresAt` (tests). */
  now?: () => number;
}

/** Authorization-code exchange input. */
export interface ExchangeCodeInput {
  code: string;
  /** Defaults to the provider's registered redirect URI. */
  redirectUri?: string;
  /** PKCE verifier (Claude, Codex, Antigravity). */
  codeVerifier?: string;
  /** Claude echoes the OAuth state in the exchange body. */
  state?: string;
}

/** Device-code grant input (Qwen, Kimi). */
export interface DeviceTokenInput {
  deviceCode: string;
  /** Qwen pairs its device flow with PKCE. */
  codeVerifier?: string;
}

/** One device-flow poll: the token, or keep waiting (`slow_down` asks for a longer interval). */
export type DeviceTokenResult =
  { status: 'ok'; token: TokenSet } | { status: 'pending' } | { status: 'slow_down' };

/** The device authorization answer (RFC 8628). */
export interface DeviceCodeResponse {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresIn: number;
  interval: number;
  raw: Record<string, unknown>;
}
