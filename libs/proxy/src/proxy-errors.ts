import { renderPlainError, type ErrorFormat, type RenderableError } from '@app/common';
import {
  buildGeminiError,
  codecFor,
  renderClaudeError,
  renderOpenAIError,
  type WireError,
  type WireFormat,
} from '@app/llm';
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
 * Render a gateway-made error in an envelope, through the codecs' envelope renderers. OpenAI
 * bodies carry `code` natively. With `machineCode` (the proxy pipeline's answers), Claude's
 * envelope, which has no code field, carries it as `error.code`, and Gemini's (whose `code` is
 * the HTTP status) as a `google.rpc.ErrorInfo` detail, with a reset time as
 * `google.rpc.RetryInfo`, which Google clients already read. Without it (the exception filter's
 * and the request gate's answers) those two envelopes carry the message alone.
 * `management` is CLIProxyAPI's `{"error":"message"}`.
 */
export function renderGatewayError(
  format: ErrorFormat,
  e: RenderableError,
  machineCode = true,
): Record<string, unknown> {
  // Spelled out: an AppError's message is not an own enumerable field, so a spread drops it.
  const wire: WireError = { status: e.status, type: e.type, message: e.message };
  if (e.code) wire.code = e.code;
  const details: Record<string, unknown> = { ...e.details };
  switch (format) {
    case 'openai':
      return renderOpenAIError(wire, { details });
    case 'plain':
      return renderPlainError(e);
    case 'management':
      return { error: e.message };
    case 'claude':
      if (machineCode && e.code) details.code = e.code;
      return renderClaudeError(e.type, e.message, details);
    case 'gemini':
      if (!machineCode || !e.code) return buildGeminiError(wire, details);
      return buildGeminiError(wire, googleDetails(e.code, details));
  }
}

function googleDetails(code: string, details: Record<string, unknown>): Record<string, unknown> {
  // `param` is OpenAI's field; Google errors name the offending field inside their details.
  const { param: _param, ...rest } = details;
  const info: Record<string, unknown>[] = [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: code, domain: 'switchboard' },
  ];
  const reset = details.reset_seconds;
  if (typeof reset === 'number') {
    info.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${reset}s` });
  }
  return { ...rest, details: info };
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
    return renderGatewayError(errorFormatOf(clientFormat), safe, false);
  }
}
