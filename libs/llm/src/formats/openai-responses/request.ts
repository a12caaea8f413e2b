// The Responses request codec; its parts live in input, tools and sampling.
import type { TranslationContext } from '@app/llm/codec';
import type { IRRequest, IRTextPart, WireFormat } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { reasoningLevel } from '@app/llm/util/thinking';
import { shortenToolName } from '@app/llm/util/tool-names';
import {
  RESPONSES_REQUEST_STATE,
  isResponsesFamily,
} from '@app/llm/formats/openai-responses/shared';
import {
  type ResponsesBuildOptions,
  parseInput,
  pushMessageItems,
} from '@app/llm/formats/openai-responses/input';
import {
  buildTextFormat,
  parseReasoning,
  parseTextFormat,
} from '@app/llm/formats/openai-responses/sampling';
import {
  buildToolChoice,
  parseToolChoice,
  parseTools,
} from '@app/llm/formats/openai-responses/tools';

type Json = Record<string, unknown>;

/** Top-level fields with an IR slot; everything else goes to `ir.extra`. */
const KNOWN_FIELDS = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning',
  'max_output_tokens',
  'temperature',
  'top_p',
  'text',
  'stream',
  'user',
  'metadata',
]);

/** Parse a `POST /v1/responses` body into the IR. */
export function parseResponsesRequest(
  body: unknown,
  ctx: TranslationContext,
  format: WireFormat = 'openai-responses',
): IRRequest {
  if (!isRecord(body)) throw new TranslationError('The request body must be a JSON object');
  if (body.model !== undefined && typeof body.model !== 'string') {
    throw new TranslationError('model must be a string', 'model');
  }
  const extra: Json = {};
  for (const key in body) if (!KNOWN_FIELDS.has(key)) extra[key] = body[key];

  const parsed = parseInput(body.input);
  if (parsed.opaque) extra.input = body.input;
  const system: IRTextPart[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') {
    system.push({ type: 'text', text: body.instructions });
  }
  for (const s of parsed.system) system.push(s);

  const ir: IRRequest = {
    model: typeof body.model === 'string' ? body.model : '',
    system,
    messages: parsed.messages,
    sampling: {},
    stream: body.stream === true,
    sourceFormat: format,
    extra,
  };
  const tools = parseTools(body.tools, extra);
  if (tools) ir.tools = tools;
  const toolChoice = parseToolChoice(body.tool_choice, extra);
  if (toolChoice) ir.toolChoice = toolChoice;
  if (typeof body.parallel_tool_calls === 'boolean')
    ir.parallelToolCalls = body.parallel_tool_calls;
  const reasoning = parseReasoning(body.reasoning);
  if (reasoning) ir.reasoning = reasoning;
  if (typeof body.max_output_tokens === 'number') ir.sampling.maxTokens = body.max_output_tokens;
  if (typeof body.temperature === 'number') ir.sampling.temperature = body.temperature;
  if (typeof body.top_p === 'number') ir.sampling.topP = body.top_p;
  const responseFormat = parseTextFormat(body.text, extra);
  if (responseFormat) ir.responseFormat = responseFormat;
  if (typeof body.user === 'string') ir.user = body.user;
  if (isRecord(body.metadata)) ir.metadata = body.metadata;

  // Responses echo request settings in the response object; keep the body for the response side.
  ctx.state[RESPONSES_REQUEST_STATE] = body;
  return ir;
}

function allStrings(value: Record<string, unknown>): boolean {
  for (const k in value) if (typeof value[k] !== 'string') return false;
  return true;
}

/** Build a `POST /v1/responses` body from the IR. */
export function buildResponsesRequest(
  ir: IRRequest,
  ctx: TranslationContext,
  opts: ResponsesBuildOptions = {},
): Json {
  const sameFamily = isResponsesFamily(ir.sourceFormat);
  const out: Json = { model: ir.model };

  // System text: the first part is `instructions`, the rest travel as developer messages.
  const input: Json[] = [];
  if (ir.system.length > 0) out.instructions = ir.system[0].text;
  else if (opts.alwaysInstructions) out.instructions = '';
  for (let i = 1; i < ir.system.length; i++) {
    input.push({
      type: 'message',
      role: 'developer',
      content: [{ type: 'input_text', text: ir.system[i].text }],
    });
  }
  for (const msg of ir.messages) pushMessageItems(msg, input, ctx, opts);
  // Items the IR cannot carry (compaction, item references …) only survive within the family.
  out.input = sameFamily && Array.isArray(ir.extra.input) ? ir.extra.input : input;

  const tools: unknown[] = [];
  if (ir.tools) {
    for (const t of ir.tools) {
      const tool: Json = { type: 'function', name: shortenToolName(t.name, ctx) };
      if (t.description !== undefined) tool.description = t.description;
      tool.parameters = t.parameters;
      // Responses defaults `strict` to true, which rejects most non-OpenAI schemas.
      tool.strict = t.strict ?? false;
      tools.push(tool);
    }
  }
  if (sameFamily && Array.isArray(ir.extra.tools)) for (const t of ir.extra.tools) tools.push(t);
  if (tools.length > 0) out.tools = tools;
  if (ir.toolChoice) out.tool_choice = buildToolChoice(ir.toolChoice, ctx);
  if (ir.parallelToolCalls !== undefined) out.parallel_tool_calls = ir.parallelToolCalls;

  if (ir.reasoning) {
    const reasoning: Json = {};
    const level = reasoningLevel(ir.reasoning);
    if (level !== undefined && level !== 'auto') reasoning.effort = level;
    const summary = ir.reasoning.summary ?? (ir.reasoning.includeThoughts ? 'auto' : undefined);
    if (summary !== undefined && level !== 'none') reasoning.summary = summary;
    if (Object.keys(reasoning).length > 0) out.reasoning = reasoning;
  }

  const s = ir.sampling;
  if (s.maxTokens !== undefined) out.max_output_tokens = s.maxTokens;
  if (s.temperature !== undefined) out.temperature = s.temperature;
  if (s.topP !== undefined) out.top_p = s.topP;

  const extraText = sameFamily && isRecord(ir.extra.text) ? ir.extra.text : undefined;
  if (ir.responseFormat || extraText) {
    const text: Json = extraText ? { ...extraText } : {};
    if (ir.responseFormat) text.format = buildTextFormat(ir.responseFormat);
    out.text = text;
  }
  out.stream = ir.stream;
  if (ir.user !== undefined) out.user = ir.user;
  // OpenAI metadata values must be strings; other formats' metadata (Claude user_id …) may not be.
  if (ir.metadata && (sameFamily || allStrings(ir.metadata))) out.metadata = ir.metadata;

  if (sameFamily) {
    for (const key in ir.extra) if (!(key in out) && key !== 'text') out[key] = ir.extra[key];
  }
  return out;
}
