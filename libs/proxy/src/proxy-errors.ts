import { renderError, type ErrorFormat, type RenderableError } from '@app/common';
import { codecFor, type WireError, type WireFormat } from '@app/llm';
import { maskSecrets } from '@app/logs';

/** The error envelope of each client wire format. */
export function errorFormatOf(format: WireFormat): ErrorFormat {
  switch (format) {
    case 'claude':
      return 'claude';
    case 'gemini':
    case 'gemini-cli':
    case 'antigravity':
      return 'gemini';
    case 'openai':
    case 'openai-completions':
    case 'openai-responses':
    case 'codex':
      return 'openai';
  }
}

/**
 * Render a gateway-made error in the client's envelope. OpenAI bodies carry `code` natively;
 * Claude's envelope has no code field, so it rides along as `error.code`; Gemini's `code` is the
 * HTTP status, so the machine code goes into a `google.rpc.ErrorInfo` detail and a reset time
 * into `google.rpc.RetryInfo`, which Google clients already read.
 */
export function renderGatewayError(
  format: ErrorFormat,
  e: RenderableError,
): Record<string, unknown> {
  const code = e.code;
  if (!code || format === 'openai' || format === 'plain') return renderError(format, e);
  const details: Record<string, unknown> = { ...e.details };
  // Spelled out: an AppError's message is not an own enumerable field, so a spread drops it.
  const base: RenderableError = { status: e.status, type: e.type, message: e.message, code };
  if (format === 'claude') {
    details.code = code;
    return renderError(format, { ...base, details });
  }
  // `param` is OpenAI's field; Google errors name the offending field inside their details.
  delete details.param;
  const info: Record<string, unknown>[] = [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: code, domain: 'switchboard' },
  ];
  const reset = e.details?.reset_seconds;
  if (typeof reset === 'number') {
    info.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${reset}s` });
  }
  details.details = info;
  return renderError(format, { ...base, details });
}

/**
 * Render an upstream error (status and message kept) in the client's wire format. The message
 * is the upstream's own text: some upstreams quote the credential they were sent ("Incorrect
 * API key provided: sk-…"), which is the gateway's secret, not the client's; it is masked.
 */
export function renderUpstreamError(
  clientFormat: WireFormat,
  e: WireError,
): Record<string, unknown> {
  const safe: WireError = { ...e, message: maskSecrets(e.message) };
  try {
    return codecFor(clientFormat).buildError(safe);
  } catch {
    return renderError(errorFormatOf(clientFormat), safe);
  }
}
