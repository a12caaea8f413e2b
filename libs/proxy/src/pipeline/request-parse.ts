import { AppError } from '@app/common';
import type { AppConfig } from '@app/config';
import {
  applyModelSuffix,
  createContext,
  estimateTokens,
  isRecord,
  parseClientRequest,
  TranslationError,
  type IRRequest,
  type IRUsage,
  type TranslationContext,
  parseClaudeCountTokensRequest,
  parseGeminiCountTokensRequest,
} from '@app/llm';
import type { CandidateSource } from '@app/proxy/candidate-source';
import type { ClientCall } from '@app/proxy/client-routes';
import { refuse } from '@app/proxy/pipeline/error-answers';
import type { Exchange, RequestScope } from '@app/proxy/pipeline/exchange';

// Parsing: the checks a body must pass before any credential is tried, the model it asks for,
// and its IR, made once and only when a cross-format attempt or an estimate needs it.

/**
 * Validate the request and decide its model: the exchange the attempts share, or undefined when
 * the request was refused (already answered in the client's format).
 */
export function prepareExchange(
  s: RequestScope,
  cfg: Readonly<AppConfig>,
  started: number,
  candidates: CandidateSource,
): Exchange | undefined {
  const { call, outcome } = s;
  const body: unknown = s.req.body;
  if (!isRecord(body)) return invalid(s, 'Request body must be a JSON object');

  const bodyModel = typeof body.model === 'string' ? body.model : undefined;
  const model = call.model ?? bodyModel ?? '';
  outcome.model = model;
  if (!model) return invalid(s, 'model is required');
  if (call.action === 'compact' && body.stream === true) {
    return invalid(s, 'Streaming is not supported for /v1/responses/compact');
  }
  // The model is decided before the body is parsed: a model nobody serves is the client's
  // mistake, answered as CLIProxyAPI does (clients do not retry a 400), never a translation
  // error. A known model nothing can serve right now is a 503 later (plan 'none').
  if (!candidates.knows(model, { provider: call.provider })) {
    const named = call.provider ? `${model} (provider ${call.provider})` : model;
    refuse(s, AppError.of('MODEL_NOT_FOUND', { model: named }, { details: { param: 'model' } }));
    return undefined;
  }

  const ctx = createContext({ upstreamModel: model });
  ctx.stream = call.stream;
  ctx.geminiStreamMode = call.geminiAlt;
  ctx.requestedModel = call.responseModel ?? model;
  const clientStreams =
    call.action === 'generate' && (call.stream !== undefined ? call.stream : body.stream === true);
  outcome.stream = clientStreams;

  // CLIProxyAPI's nonstream-keepalive-interval: blank lines while a JSON answer is pending.
  if (!clientStreams) s.res.startJsonKeepalive(cfg['nonstream-keepalive-interval'] * 1000);

  return {
    req: s.req,
    call,
    res: s.res,
    outcome,
    cfg,
    body,
    ctx,
    model,
    clientStreams,
    started,
  };
}

function invalid(s: RequestScope, detail: string): undefined {
  refuse(s, AppError.of('INVALID_REQUEST', { detail }));
  return undefined;
}

/** The body in the IR (parsed on first use); throws the TranslationError that refused it. */
export function irOf(x: Exchange): IRRequest | undefined {
  const p = (x.parsed ??= parseOnce(x));
  if ('error' in p) throw p.error;
  return p.ir;
}

/** Why the body cannot be translated, if it cannot (parsed on first use). */
export function irError(x: Exchange): TranslationError | undefined {
  const p = (x.parsed ??= parseOnce(x));
  return 'error' in p ? p.error : undefined;
}

/**
 * Input tokens of a request cut short before the upstream reported them: the local estimate
 * of the parsed body, or of its JSON size when it does not parse (0 when usage has them).
 */
export function estimateFor(x: Exchange, seen: IRUsage | undefined): number {
  if (seen?.inputTokens) return 0;
  const p = (x.parsed ??= parseOnce(x));
  if (!('error' in p) && p.ir) return estimateTokens(p.ir);
  return Math.ceil(JSON.stringify(x.body).length / 4);
}

/** Parse the body once: the IR, or why it cannot be read. */
function parseOnce(x: Exchange): { ir: IRRequest | undefined } | { error: TranslationError } {
  try {
    return { ir: parseRequest(x.call, x.body, x.ctx) };
  } catch (err) {
    return {
      error:
        err instanceof TranslationError
          ? err
          : new TranslationError('Request body is not valid for this endpoint'),
    };
  }
}

/** Parse the client body for its action (count-tokens bodies have their own shape). */
function parseRequest(
  call: ClientCall,
  body: Record<string, unknown>,
  ctx: TranslationContext,
): IRRequest | undefined {
  if (call.action === 'compact') return undefined;
  if (call.action === 'count_tokens') {
    if (call.format === 'claude') return applyModelSuffix(parseClaudeCountTokensRequest(body, ctx));
    if (call.format === 'gemini') return applyModelSuffix(parseGeminiCountTokensRequest(body, ctx));
  }
  return parseClientRequest(call.format, body, ctx);
}
