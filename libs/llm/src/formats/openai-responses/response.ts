import type { TranslationContext } from '@app/llm/codec';
import type {
  IRPart,
  IRReasoningPart,
  IRResponse,
  IRStopReason,
  IRUsage,
  WireFormat,
} from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { newId, nowSeconds } from '@app/llm/util/ids';
import { isRecord, stringifyArguments } from '@app/llm/util/json';
import { restoreToolName } from '@app/llm/util/tool-names';
import {
  buildUsage,
  clientRequest,
  parseUsage,
  statusOf,
  stopReasonOf,
} from '@app/llm/formats/openai-responses/shared';

type Json = Record<string, unknown>;

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

// ---------------------------------------------------------------------------------------------
// parse: Responses `response` object → IR
// ---------------------------------------------------------------------------------------------

/** Read the summary (or raw reasoning text) of a reasoning item. */
export function reasoningText(item: Json): string {
  let text = '';
  if (Array.isArray(item.summary)) {
    for (const s of item.summary) {
      const t = isRecord(s) ? str(s.text) : '';
      if (t) text += text ? `\n\n${t}` : t;
    }
  }
  if (!text && Array.isArray(item.content)) {
    for (const c of item.content) if (isRecord(c)) text += str(c.text);
  }
  return text;
}

/** Parse a Responses `response` object (also accepts `{"response":{…}}` event payloads). */
export function parseResponsesResponse(
  body: unknown,
  ctx: TranslationContext,
  format: WireFormat = 'openai-responses',
): IRResponse {
  if (!isRecord(body)) throw new TranslationError('The response body must be a JSON object');
  const rsp = body.object !== 'response' && isRecord(body.response) ? body.response : body;
  if (!Array.isArray(rsp.output)) throw new TranslationError('output must be an array', 'output');

  const content: IRPart[] = [];
  let hasToolCalls = false;
  let refusal = false;
  for (const item of rsp.output) {
    if (!isRecord(item)) continue;
    switch (item.type) {
      case 'message': {
        if (!Array.isArray(item.content)) break;
        for (const c of item.content) {
          if (!isRecord(c)) continue;
          if (c.type === 'output_text') content.push({ type: 'text', text: str(c.text) });
          else if (c.type === 'refusal') {
            refusal = true;
            content.push({ type: 'text', text: str(c.refusal) });
          }
        }
        break;
      }
      case 'function_call':
        hasToolCalls = true;
        content.push({
          type: 'tool_call',
          id: str(item.call_id) || str(item.id),
          name: restoreToolName(str(item.name), ctx),
          arguments: stringifyArguments(item.arguments),
        });
        break;
      case 'reasoning': {
        const part: IRReasoningPart = { type: 'reasoning', text: reasoningText(item) };
        if (typeof item.encrypted_content === 'string') part.encrypted = item.encrypted_content;
        if (typeof item.id === 'string') part.id = item.id;
        content.push(part);
        break;
      }
      default:
        break; // built-in tool calls have no IR meaning
    }
  }
  let stopReason = stopReasonOf(rsp.status, rsp.incomplete_details, hasToolCalls);
  if (refusal && stopReason === 'stop') stopReason = 'refusal';

  const ir: IRResponse = {
    id: str(rsp.id) || newId('resp_'),
    model: str(rsp.model),
    created: typeof rsp.created_at === 'number' ? rsp.created_at : nowSeconds(),
    candidates: [{ index: 0, content, stopReason }],
    sourceFormat: format,
    extra: {},
  };
  const usage = parseUsage(rsp.usage);
  if (usage) ir.usage = usage;
  if (stopReason === 'error' && isRecord(rsp.error)) ir.extra.error = rsp.error;
  return ir;
}

// ---------------------------------------------------------------------------------------------
// build: IR → Responses `response` object
// ---------------------------------------------------------------------------------------------

function echo(req: Json | undefined, key: string, fallback: unknown): unknown {
  const v = req?.[key];
  return v === undefined ? fallback : v;
}

/**
 * The `response` object without output: the shape `response.created` carries and the base of
 * every later snapshot. Request settings are echoed from the client's body when we have it.
 */
export function responseSkeleton(
  ctx: TranslationContext,
  id: string,
  model: string,
  createdAt: number,
  status: string,
): Json {
  const req = clientRequest(ctx);
  const reasoning = isRecord(req?.reasoning) ? req.reasoning : undefined;
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: echo(req, 'instructions', null),
    max_output_tokens: echo(req, 'max_output_tokens', null),
    max_tool_calls: echo(req, 'max_tool_calls', null),
    model,
    output: [],
    parallel_tool_calls: echo(req, 'parallel_tool_calls', true),
    previous_response_id: echo(req, 'previous_response_id', null),
    prompt_cache_key: echo(req, 'prompt_cache_key', null),
    reasoning: { effort: reasoning?.effort ?? null, summary: reasoning?.summary ?? null },
    safety_identifier: echo(req, 'safety_identifier', null),
    service_tier: echo(req, 'service_tier', 'default'),
    store: echo(req, 'store', true),
    temperature: echo(req, 'temperature', 1),
    text: echo(req, 'text', { format: { type: 'text' }, verbosity: 'medium' }),
    tool_choice: echo(req, 'tool_choice', 'auto'),
    tools: echo(req, 'tools', []),
    top_logprobs: echo(req, 'top_logprobs', 0),
    top_p: echo(req, 'top_p', 1),
    truncation: echo(req, 'truncation', 'disabled'),
    usage: null,
    user: echo(req, 'user', null),
    metadata: echo(req, 'metadata', {}),
  };
}

/** Fill the terminal fields of a response object for a stop reason and usage. */
export function finishResponse(
  rsp: Json,
  stop: IRStopReason | undefined,
  usage: IRUsage | undefined,
  error?: { code: string; message: string },
): void {
  const { status, incompleteDetails } = error
    ? { status: 'failed', incompleteDetails: null }
    : statusOf(stop);
  rsp.status = status;
  rsp.incomplete_details = incompleteDetails;
  if (status === 'failed') {
    rsp.error = error ?? { code: 'server_error', message: 'The upstream model failed' };
  }
  if (usage) rsp.usage = buildUsage(usage);
}

/** Output text part as the API renders it. */
export function outputText(text: string): Json {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

/** Build a Responses `response` object from the IR (candidate 0; Responses has no `n`). */
export function buildResponsesResponse(ir: IRResponse, ctx: TranslationContext): Json {
  const candidate = ir.candidates.find((c) => c.index === 0) ?? ir.candidates[0];
  const stop = candidate?.stopReason;
  const itemStatus = stop === 'length' || stop === 'content_filter' ? 'incomplete' : 'completed';
  const output: Json[] = [];
  let message: Json[] | null = null;
  for (const part of candidate?.content ?? []) {
    switch (part.type) {
      case 'text':
        if (!message) {
          message = [];
          output.push({
            id: newId('msg_'),
            type: 'message',
            status: itemStatus,
            content: message,
            role: 'assistant',
          });
        }
        message.push(outputText(part.text));
        break;
      case 'tool_call':
        message = null;
        output.push({
          id: newId('fc_'),
          type: 'function_call',
          status: 'completed',
          arguments: part.arguments,
          call_id: part.id,
          name: part.name,
        });
        break;
      case 'reasoning': {
        message = null;
        const item: Json = {
          id: part.id ?? newId('rs_'),
          type: 'reasoning',
          summary: part.text ? [{ type: 'summary_text', text: part.text }] : [],
        };
        if (part.encrypted !== undefined) item.encrypted_content = part.encrypted;
        output.push(item);
        break;
      }
      case 'image':
      case 'file':
      case 'tool_result':
        break; // not output content in Responses
    }
  }
  const id = ir.id.startsWith('resp_') ? ir.id : newId('resp_');
  const rsp = responseSkeleton(ctx, id, ir.model || ctx.requestedModel, ir.created, 'completed');
  rsp.output = output;
  const error = isRecord(ir.extra.error)
    ? { code: str(ir.extra.error.code) || 'server_error', message: str(ir.extra.error.message) }
    : undefined;
  finishResponse(rsp, stop, ir.usage, stop === 'error' ? error : undefined);
  return rsp;
}
