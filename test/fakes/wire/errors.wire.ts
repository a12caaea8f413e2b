import { ID_MARK, JSON_HEADERS, jsonBody, type ErrorDialect, type Outgoing } from './wire.types';

// Error bodies in each provider's real shape, so a gateway's error parsing and retry-hint
// extraction (Retry-After, google.rpc.RetryInfo, Codex resets_in_seconds) meet the real thing.

/** What an error answer may be told. */
export interface ErrorOptions {
  /** Seconds put in Retry-After / retryDelay / resets_in_seconds on 429s. */
  readonly retryAfterSeconds: number;
  readonly model?: string;
  /** Replaces the provider's stock message. */
  readonly message?: string;
  /** Extra headers (win over the defaults). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Gemini `streamGenerateContent` without `alt=sse` wraps errors in a JSON array. */
  readonly arrayWrapped?: boolean;
}

function openaiError(
  status: number,
  o: ErrorOptions,
): { body: unknown; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'x-request-id': `req_${ID_MARK}` };
  const model = o.model ?? 'unknown';
  let message: string;
  let type = 'invalid_request_error';
  let code: string | null = null;
  switch (status) {
    case 400:
      message = 'Invalid request.';
      break;
    case 401:
      message =
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.';
      code = 'invalid_api_key';
      break;
    case 403:
      message = `You are not allowed to sample from the model ${model}.`;
      type = 'permission_error';
      code = 'model_not_allowed';
      break;
    case 404:
      message = `The model \`${model}\` does not exist or you do not have access to it.`;
      code = 'model_not_found';
      break;
    case 429:
      message = `Rate limit reached for ${model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${o.retryAfterSeconds}s.`;
      type = 'requests';
      code = 'rate_limit_exceeded';
      headers['retry-after'] = String(o.retryAfterSeconds);
      headers['x-ratelimit-reset-requests'] = `${o.retryAfterSeconds}s`;
      break;
    case 500:
      message = 'The server had an error while processing your request. Sorry about that!';
      type = 'server_error';
      break;
    default:
      message =
        status >= 500
          ? 'The server is overloaded or not ready yet.'
          : `Request failed with status ${status}.`;
      type = status >= 500 ? 'server_error' : type;
  }
  return { body: { error: { message: o.message ?? message, type, param: null, code } }, headers };
}

function codexError(
  status: number,
  o: ErrorOptions,
): { body: unknown; headers: Record<string, string> } {
  if (status !== 429) return openaiError(status, o);
  return {
    body: {
      error: {
        type: 'usage_limit_reached',
        message: o.message ?? 'The usage limit has been reached',
        plan_type: 'plus',
        resets_at: Math.floor(Date.now() / 1000) + o.retryAfterSeconds,
        resets_in_seconds: o.retryAfterSeconds,
      },
    },
    headers: {},
  };
}

const CLAUDE_TYPES: Readonly<Record<number, [string, string]>> = {
  400: ['invalid_request_error', 'Invalid request.'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: ['billing_error', 'Your credit balance is too low to access the Anthropic API.'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'model: not found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: [
    'rate_limit_error',
    'This request would exceed the rate limit for your organization of 50 requests per minute.',
  ],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
};

function claudeError(
  status: number,
  o: ErrorOptions,
): { body: unknown; headers: Record<string, string> } {
  const [type, message] =
    CLAUDE_TYPES[status] ?? (status >= 500 ? CLAUDE_TYPES[500] : CLAUDE_TYPES[400]);
  const headers: Record<string, string> = { 'request-id': `req_011C${ID_MARK}` };
  if (status === 429) headers['retry-after'] = String(o.retryAfterSeconds);
  if (status === 429 || status >= 500) headers['x-should-retry'] = 'true';
  return {
    body: {
      type: 'error',
      error: { type, message: o.message ?? message },
      request_id: `req_011C${ID_MARK}`,
    },
    headers,
  };
}

const GOOGLE_STATUS: Readonly<Record<number, [string, string]>> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: [
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  ],
  403: ['PERMISSION_DENIED', 'The caller does not have permission'],
  404: ['NOT_FOUND', 'Requested entity was not found.'],
  409: ['ABORTED', 'The operation was aborted.'],
  429: [
    'RESOURCE_EXHAUSTED',
    'You exceeded your current quota, please check your plan and billing details.',
  ],
  499: ['CANCELLED', 'The operation was cancelled.'],
  500: [
    'INTERNAL',
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  ],
  501: ['UNIMPLEMENTED', 'Method not implemented.'],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  504: ['DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'],
};

function googleError(
  status: number,
  o: ErrorOptions,
  codeAssist: boolean,
): { body: unknown; headers: Record<string, string> } {
  const [name, stock] =
    GOOGLE_STATUS[status] ?? (status >= 500 ? GOOGLE_STATUS[500] : GOOGLE_STATUS[400]);
  let message = stock;
  const error: Record<string, unknown> = { code: status, message, status: name };
  if (status === 404 && o.model && !codeAssist) {
    message = `models/${o.model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`;
  }
  if (status === 429) {
    const retryInfo = {
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: `${o.retryAfterSeconds}s`,
    };
    if (codeAssist) {
      message = `You have exhausted your capacity on this model. Your quota will reset after ${o.retryAfterSeconds}s.`;
      error.details = [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'RATE_LIMIT_EXCEEDED',
          domain: 'cloudcode-pa.googleapis.com',
          metadata: { model: o.model ?? 'unknown', quotaResetDelay: `${o.retryAfterSeconds}s` },
        },
        retryInfo,
      ];
    } else {
      message = `${stock} For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.`;
      error.details = [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            {
              quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
              quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
              quotaDimensions: { location: 'global', model: o.model ?? 'unknown' },
              quotaValue: '10',
            },
          ],
        },
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [
            {
              description: 'Learn more about Gemini API quotas',
              url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
            },
          ],
        },
        retryInfo,
      ];
    }
  }
  error.message = o.message ?? message;
  return { body: { error }, headers: { 'content-type': 'application/json; charset=UTF-8' } };
}

/** Default error body and headers of a dialect for a status code. */
export function errorParts(
  dialect: ErrorDialect,
  status: number,
  o: ErrorOptions,
): { body: unknown; headers: Record<string, string> } {
  switch (dialect) {
    case 'openai':
      return openaiError(status, o);
    case 'codex':
      return codexError(status, o);
    case 'claude':
      return claudeError(status, o);
    case 'gemini':
      return googleError(status, o, false);
    case 'code-assist':
      return googleError(status, o, true);
  }
}

/** A ready error response; `body` overrides the dialect's stock body. */
export function errorOutgoing(
  dialect: ErrorDialect,
  status: number,
  o: ErrorOptions,
  body?: unknown,
): Outgoing {
  const parts = errorParts(dialect, status, o);
  let text =
    body === undefined
      ? JSON.stringify(parts.body)
      : typeof body === 'string'
        ? body
        : JSON.stringify(body);
  if (o.arrayWrapped && body === undefined) text = `[${text}]`;
  return jsonBody(status, text, { ...JSON_HEADERS, ...parts.headers, ...o.headers });
}

/** A 400 with the dialect's invalid-request shape and a specific message. */
export function invalidRequest(dialect: ErrorDialect, message: string): Outgoing {
  return errorOutgoing(dialect, 400, { retryAfterSeconds: 0, message });
}
