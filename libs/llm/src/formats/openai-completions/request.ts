import type { TranslationContext } from '@app/llm/codec';
import type { IRRequest, IRTextPart } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { str } from '@app/llm/formats/openai/wire';
import {
  readCommonSampling,
  writeCommonSampling,
  writeStreamFlags,
} from '@app/llm/formats/openai/sampling';

/**
 * ctx.state key: the prompt text to repeat before the completion (`echo: true`), so responses
 * and streams can render it as the legacy API does.
 */
export const STATE_ECHO = 'openai-completions.echo';

/** Fields the IR models; suffix, logprobs, best_of, logit_bias… travel in `ir.extra`. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'prompt',
  'max_tokens',
  'temperature',
  'top_p',
  'n',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'stream',
  'user',
  'echo',
]);

/** Parse a legacy `/v1/completions` body into a chat-shaped IR (one user message). */
export function parseCompletionsRequest(body: unknown, ctx: TranslationContext): IRRequest {
  if (!isRecord(body)) throw new TranslationError('The request body must be a JSON object');
  const model = body.model;
  if (typeof model !== 'string' || model === '') {
    throw new TranslationError('model must be a non-empty string', 'model');
  }
  const prompts = readPrompt(body.prompt);
  const content: IRTextPart[] = [];
  for (const text of prompts) if (text !== '') content.push({ type: 'text', text });

  const ir: IRRequest = {
    model,
    system: [],
    messages: [{ role: 'user', content }],
    sampling: readCommonSampling(body),
    stream: body.stream === true,
    sourceFormat: 'openai-completions',
    extra: {},
  };
  const user = str(body.user);
  if (user !== undefined) ir.user = user;
  if (body.echo === true) ctx.state[STATE_ECHO] = prompts.join('');
  const streamOptions = body.stream_options;
  if (isRecord(streamOptions) && streamOptions.include_usage === true) ctx.includeUsage = true;
  for (const key in body) {
    if (!KNOWN_FIELDS.has(key)) ir.extra[key] = body[key];
  }
  return ir;
}

function readPrompt(prompt: unknown): string[] {
  if (typeof prompt === 'string') return [prompt];
  if (Array.isArray(prompt) && prompt.every((p): p is string => typeof p === 'string')) {
    return prompt;
  }
  if (Array.isArray(prompt)) {
    // Token-id prompts only mean something to the tokenizer of one OpenAI model.
    throw new TranslationError('prompt must be a string or an array of strings', 'prompt');
  }
  throw new TranslationError('prompt is required (a string or an array of strings)', 'prompt');
}

/**
 * Build a legacy completions body. A request that came from this format gets its prompts back;
 * a chat conversation is flattened to its texts, one paragraph each.
 */
export function buildCompletionsRequest(
  ir: IRRequest,
  ctx: TranslationContext,
): Record<string, unknown> {
  const sameFormat = ir.sourceFormat === 'openai-completions';
  const out: Record<string, unknown> = { model: ir.model };
  if (sameFormat) {
    for (const key in ir.extra) out[key] = ir.extra[key];
  }
  const texts: string[] = [];
  for (const part of ir.system) texts.push(part.text);
  for (const msg of ir.messages) {
    for (const part of msg.content) if (part.type === 'text') texts.push(part.text);
  }
  out.prompt = sameFormat && texts.length > 1 ? texts : texts.join('\n\n');
  const s = ir.sampling;
  if (s.maxTokens !== undefined) out.max_tokens = s.maxTokens;
  if (s.temperature !== undefined) out.temperature = s.temperature;
  if (s.topP !== undefined) out.top_p = s.topP;
  writeCommonSampling(out, s);
  if (sameFormat && typeof ctx.state[STATE_ECHO] === 'string') out.echo = true;
  writeStreamFlags(out, ir.stream);
  if (ir.user !== undefined) out.user = ir.user;
  return out;
}
