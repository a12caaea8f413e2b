/**
 * The one registry of error codes. A code is `<surface>.<NAME>`: the surface whose envelope
 * renders it (proxy, management, control, cluster, login, logs) and a name. Each code has an HTTP
 * status, a normalised type and, where clients read one, a machine code on the wire. Every error
 * the gateway answers with is an AppError carrying one of these codes; the exception filter
 * renders it in the caller's envelope (see render-error.ts and docs/architecture.md).
 */

/** The surfaces, each with its own error envelope. */
export type ErrorSurface = 'proxy' | 'management' | 'control' | 'cluster' | 'login' | 'logs';

/** The gateway's own codes on the proxy and its plain surfaces, with messages that say what to do. */
const PROXY = {
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
  /** A route nothing serves (Nest's own wording, kept for the gate that answers before Nest). */
  ROUTE_UNMATCHED: {
    status: 404,
    type: 'not_found_error',
    message: (p: { method: string; url: string }) => `Cannot ${p.method} ${p.url}`,
  },
  /** A thing the request names does not exist (a model on a model route). */
  RESOURCE_NOT_FOUND: {
    status: 404,
    type: 'not_found_error',
    message: (p: { detail: string }) => p.detail,
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
  // The upstream side of an attempt (rendered like an upstream's own error, see toWire).
  NO_UPSTREAM: {
    status: 502,
    type: 'api_error',
    message: () => 'No upstream answered',
  },
  UPSTREAM_FAILED: {
    status: 502,
    type: 'api_error',
    message: (p: { upstream: string; detail: string }) =>
      `Upstream ${p.upstream} failed: ${p.detail}`,
  },
  UPSTREAM_TIMEOUT: {
    status: 504,
    type: 'timeout_error',
    message: (p: { detail: string }) => p.detail,
  },
  UPSTREAM_UNREADABLE: {
    status: 502,
    type: 'api_error',
    message: (p: { upstream: string; detail: string }) =>
      `Upstream ${p.upstream} returned an unreadable response: ${p.detail}`,
  },
  UPSTREAM_STREAM_FAILED: {
    status: 502,
    type: 'api_error',
    message: (p: { detail?: string }) =>
      p.detail === undefined
        ? 'The upstream stream failed'
        : `The upstream stream failed: ${p.detail}`,
  },
  UPSTREAM_CANNOT_SERVE: {
    status: 400,
    type: 'invalid_request_error',
    message: (p: { upstream: string; detail: string }) =>
      `${p.upstream} cannot serve this request: ${p.detail}`,
  },
} as const;

/**
 * The cluster API's codes (docs/cluster.md): the name is the `code` field clients read. The
 * last three answer what the cluster controllers did not throw themselves.
 */
const CLUSTER = {
  PROCESS_NOT_FOUND: 404,
  PROCESS_ALREADY_RUNNING: 409,
  PROCESS_NOT_RUNNING: 409,
  INVALID_PATTERN: 400,
  INVALID_PARAMETER: 400,
  SHUTDOWN_IN_PROGRESS: 503,
  PROCESS_UNREACHABLE: 504,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  REDIS_UNAVAILABLE: 503,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  INTERNAL: 500,
} as const;

/** A log or request-log query that cannot run (the cluster API answers with the name as code). */
const LOGS = {
  INVALID_PATTERN: 400,
  INVALID_PARAMETER: 400,
} as const;

/**
 * Management, control and login errors carry free text and no machine code on the wire (their
 * envelopes are CLIProxyAPI's and the dashboard's): one code per HTTP status, `FAILED` for a
 * status passed through from elsewhere (an upstream's, a probe's).
 */
const BY_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  BAD_GATEWAY: 502,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
  FAILED: 500,
} as const;

type ProxyName = keyof typeof PROXY;
type ByStatusName = keyof typeof BY_STATUS;

/** Every code in the registry. */
export type ErrorCode =
  | `proxy.${ProxyName}`
  | `cluster.${keyof typeof CLUSTER}`
  | `logs.${keyof typeof LOGS}`
  | `${'management' | 'control' | 'login'}.${ByStatusName}`
  // The management API is off: its routes answer exactly like an unknown route.
  | 'management.DISABLED';

/** What the registry says about a code. */
export interface ErrorDef {
  status: number;
  type: string;
  /** The machine code on the wire (OpenAI `error.code`, the cluster API's `code`). */
  code?: string;
}

/** The normalised error type of an HTTP status. */
export function errorTypeOf(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

function registry(): Readonly<Record<ErrorCode, ErrorDef>> {
  const out: Record<string, ErrorDef> = {};
  for (const [name, def] of Object.entries(PROXY)) {
    out[`proxy.${name}`] = {
      status: def.status,
      type: def.type,
      ...('code' in def ? { code: def.code } : {}),
    };
  }
  for (const [name, status] of Object.entries(CLUSTER)) {
    out[`cluster.${name}`] = { status, type: errorTypeOf(status), code: name };
  }
  for (const [name, status] of Object.entries(LOGS)) {
    out[`logs.${name}`] = { status, type: errorTypeOf(status), code: name };
  }
  for (const surface of ['management', 'control', 'login']) {
    for (const [name, status] of Object.entries(BY_STATUS)) {
      out[`${surface}.${name}`] = { status, type: errorTypeOf(status) };
    }
  }
  out['management.DISABLED'] = { status: 404, type: 'not_found_error' };
  return out as Record<ErrorCode, ErrorDef>;
}

/** The registry: every code with its status, type and wire code. */
export const ERRORS: Readonly<Record<ErrorCode, ErrorDef>> = registry();

/** A cluster API code. */
export type ClusterErrorCode = keyof typeof CLUSTER;
/** A log query code. */
export type LogQueryErrorCode = keyof typeof LOGS;

type ParamsOf<N extends ProxyName> = Parameters<(typeof PROXY)[N]['message']>[0];

/** Options every error may carry. */
export interface ErrorOptions {
  /** The HTTP status when it is not the code's own (a status passed through). */
  status?: number;
  /** Extra fields for the envelope (`reset_seconds`, a control title, `existing_file`). */
  details?: Record<string, unknown>;
  /** Response headers to set (e.g. Retry-After). */
  headers?: Record<string, string>;
}

/** An error from the registry, carrying what rendering needs. */
export class AppError extends Error {
  readonly surface: ErrorSurface;
  readonly status: number;
  readonly type: string;
  /** The machine code on the wire, if the code has one. */
  readonly code: string | undefined;
  /** Extra fields merged into the rendered error (e.g. reset_seconds). */
  readonly details: Record<string, unknown>;
  /** Response headers to set (e.g. Retry-After). */
  readonly headers: Record<string, string>;

  constructor(
    readonly errorCode: ErrorCode,
    message: string,
    opts: ErrorOptions = {},
  ) {
    super(message);
    const def = ERRORS[errorCode];
    this.name = 'AppError';
    this.surface = errorCode.slice(0, errorCode.indexOf('.')) as ErrorSurface;
    this.status = opts.status ?? def.status;
    this.type = opts.status === undefined ? def.type : errorTypeOf(opts.status);
    this.code = def.code;
    this.details = opts.details ?? {};
    this.headers = opts.headers ?? {};
  }

  /** A proxy error, its message made from the registry's template. */
  static of<N extends ProxyName>(
    name: N,
    ...args: ParamsOf<N> extends undefined
      ? [params?: undefined, opts?: ErrorOptions]
      : [params: ParamsOf<N>, opts?: ErrorOptions]
  ): AppError {
    const [params, opts] = args;
    const make = PROXY[name].message as (p: unknown) => string;
    return new AppError(`proxy.${name}`, make(params), opts);
  }

  /**
   * The error as plain data (status, type, message, code): what the proxy pipeline passes
   * between attempts and logs, and the codecs render like an upstream's error.
   */
  toWire(): { status: number; type: string; message: string; code?: string } {
    const out: { status: number; type: string; message: string; code?: string } = {
      status: this.status,
      type: this.type,
      message: this.message,
    };
    if (this.code !== undefined) out.code = this.code;
    return out;
  }

  /** Whether `e` is an AppError of `surface`. */
  static is(e: unknown, surface: ErrorSurface): e is AppError {
    return e instanceof AppError && e.surface === surface;
  }
}

const NAME_BY_STATUS: ReadonlyMap<number, ByStatusName> = new Map(
  (Object.entries(BY_STATUS) as [ByStatusName, number][])
    .filter(([name]) => name !== 'FAILED')
    .map(([name, status]) => [status, name]),
);

function byStatus(
  surface: 'management' | 'control' | 'login',
  status: number,
  message: string,
  opts: Omit<ErrorOptions, 'status'>,
): AppError {
  const name = NAME_BY_STATUS.get(status);
  if (name) return new AppError(`${surface}.${name}`, message, opts);
  return new AppError(`${surface}.FAILED`, message, { ...opts, status });
}

/** A management API error: `{"error": message}` with its status (CLIProxyAPI's shape). */
export function managementError(
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): AppError {
  return byStatus('management', status, message, { headers: { ...headers } });
}

/**
 * The management API is off: answered exactly like an unknown route (Nest's own text), so
 * nothing tells a scanner it exists.
 */
export function managementDisabled(method: string, url: string): AppError {
  return new AppError('management.DISABLED', `Cannot ${method} ${url}`);
}

/**
 * A control API error: `{"error": <short title>, "message": <what to do>}`, `extra` fields
 * (`success: false` for quota answers) first.
 */
export function controlError(
  status: number,
  title: string,
  message: string,
  extra: Readonly<Record<string, unknown>> = {},
  headers: Readonly<Record<string, string>> = {},
): AppError {
  return byStatus('control', status, message, {
    details: { ...extra, error: title },
    headers: { ...headers },
  });
}

/**
 * A login request that cannot go on: `{"status":"error","error":message}` (CLIProxyAPI's shape
 * for its OAuth routes), `extra` fields (`existing_file`) first, or the callback page.
 */
export function loginError(
  status: number,
  message: string,
  extra: Readonly<Record<string, string>> = {},
): AppError {
  return byStatus('login', status, message, { details: { ...extra } });
}

/** A cluster API failure: `{"error": message, "code": code}`. */
export function clusterError(code: ClusterErrorCode, message: string): AppError {
  return new AppError(`cluster.${code}`, message);
}

/** A log query parameter that cannot be used; the message says which and why. */
export function logQueryError(code: LogQueryErrorCode, message: string): AppError {
  return new AppError(`logs.${code}`, message);
}
