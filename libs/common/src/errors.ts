/**
 * The central registry of error codes: each has an HTTP status, a normalised type and a message
 * that says what to do. Rendered in the caller's wire format by render-error.ts.
 */
export const ERRORS = {
  AUTH_MISSING_KEY: {
    status: 401,
    type: 'authentication_error',
    message: () => 'Invalid or missing API key',
  },
  AUTH_INVALID_KEY: {
    status: 401,
    type: 'authentication_error',
    message: () => 'Invalid or missing API key',
  },
  AUTH_KEY_EXPIRED: {
    status: 401,
    type: 'authentication_error',
    code: 'key_expired',
    message: (p: { expires: string }) =>
      `This API key expired at ${p.expires}; ask the gateway's operator for a new key or a later expiry`,
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    type: 'service_error',
    message: (p: { reason: string }) => p.reason,
  },
  SHUTTING_DOWN: {
    status: 503,
    type: 'service_error',
    message: () => 'The gateway is shutting down; retry against another replica',
  },
  NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    message: (p: { method: string; path: string }) =>
      `No route for ${p.method} ${p.path}; see GET / for the endpoints this gateway serves`,
  },
  BODY_BUDGET_FULL: {
    status: 503,
    type: 'service_error',
    message: () =>
      'The gateway holds as many request bodies as body-budget-mb allows; retry in a moment (or raise body-budget-mb in config.yaml)',
  },
  BODY_TOO_LARGE: {
    status: 413,
    type: 'invalid_request_error',
    message: (p: { limitMb: number }) =>
      `Request body is larger than the ${p.limitMb} MiB limit (raise body-limit-mb in config.yaml)`,
  },
  INVALID_JSON: {
    status: 400,
    type: 'invalid_request_error',
    message: (p: { detail: string }) => `Request body is not valid JSON: ${p.detail}`,
  },
  INVALID_REQUEST: {
    status: 400,
    type: 'invalid_request_error',
    message: (p: { detail: string }) => p.detail,
  },
  MODEL_COOLDOWN: {
    status: 429,
    type: 'rate_limit_error',
    code: 'model_cooldown',
    message: (p: { model: string }) => `All credentials for model ${p.model} are cooling down`,
  },
  CLIENT_RATE_LIMITED: {
    status: 429,
    type: 'rate_limit_error',
    code: 'rate_limit_exceeded',
    message: (p: { limit: string; retryAfterSec: number }) =>
      `Rate limit reached for this client key (${p.limit}); retry in ${p.retryAfterSec} s`,
  },
  MODEL_NOT_ALLOWED: {
    status: 403,
    type: 'permission_error',
    code: 'model_not_allowed',
    message: (p: { model: string }) =>
      `This client key may not use model ${p.model}; the operator lists its models under limits in config.yaml`,
  },
  MODEL_NOT_FOUND: {
    status: 400,
    type: 'invalid_request_error',
    code: 'model_not_found',
    // CLIProxyAPI's wording: clients (and their users) already know it, and none retries a 400.
    message: (p: { model: string }) => `unknown provider for model ${p.model}`,
  },
  NO_CREDENTIALS: {
    status: 503,
    type: 'service_error',
    code: 'no_credentials',
    message: (p: { model: string }) =>
      `No credential can serve model ${p.model}; add an API key in config.yaml or an auth file (see /v0/management/auth-files)`,
  },
  INTERNAL: {
    status: 500,
    type: 'api_error',
    message: () => 'Internal error; the request id in x-request-id identifies it in the logs',
  },
} as const;

export type ErrorCode = keyof typeof ERRORS;
type ParamsOf<C extends ErrorCode> = Parameters<(typeof ERRORS)[C]['message']>[0];

/** An error from the registry, carrying what rendering needs. */
export class AppError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | undefined;
  /** Extra fields merged into the rendered error (e.g. reset_seconds). */
  readonly details: Record<string, unknown>;
  /** Response headers to set (e.g. Retry-After). */
  readonly headers: Record<string, string>;

  private constructor(
    readonly errorCode: ErrorCode,
    message: string,
    opts: { details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    const def = ERRORS[errorCode];
    this.name = 'AppError';
    this.status = def.status;
    this.type = def.type;
    this.code = 'code' in def ? def.code : undefined;
    this.details = opts.details ?? {};
    this.headers = opts.headers ?? {};
  }

  /** Create an error from the registry. */
  static of<C extends ErrorCode>(
    code: C,
    ...args: ParamsOf<C> extends undefined
      ? [
          params?: undefined,
          opts?: { details?: Record<string, unknown>; headers?: Record<string, string> },
        ]
      : [
          params: ParamsOf<C>,
          opts?: { details?: Record<string, unknown>; headers?: Record<string, string> },
        ]
  ): AppError {
    const [params, opts] = args;
    const make = ERRORS[code].message as (p: unknown) => string;
    return new AppError(code, make(params), opts);
  }
}
