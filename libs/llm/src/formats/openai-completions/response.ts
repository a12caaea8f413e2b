import type { TranslationContext } from '@app/llm/codec';
import type { IRResponse, IRStopReason } from '@app/llm/ir/types';
import { buildUsage, parseOpenAIResponse } from '@app/llm/formats/openai/response';
import { idWithPrefix } from '@app/llm/formats/openai/wire';
import { STATE_ECHO } from '@app/llm/formats/openai-completions/request';
import { nowSeconds } from '@app/llm/util/ids';

/** IR stop reason → legacy finish_reason (the legacy API knows stop, length, content_filter). */
export function toCompletionFinishReason(reason: IRStopReason | undefined): string {
  switch (reason) {
    case 'length':
      return 'length';
    case 'content_filter':
    case 'refusal':
      return 'content_filter';
    case 'stop':
    case 'stop_sequence':
    case 'tool_calls':
    case 'pause':
    case 'error':
    case undefined:
      return 'stop';
  }
}

/** Parse a `text_completion` body (choices[].text) into the IR. */
export function parseCompletionsResponse(body: unknown, ctx: TranslationContext): IRResponse {
  return parseOpenAIResponse(body, ctx, 'openai-completions');
}

/** Build a `text_completion` body; the text is the candidate's text parts (after the echo). */
export function buildCompletionsResponse(
  ir: IRResponse,
  ctx: TranslationContext,
): Record<string, unknown> {
  const echo = typeof ctx.state[STATE_ECHO] === 'string' ? ctx.state[STATE_ECHO] : '';
  const out: Record<string, unknown> = {
    id: idWithPrefix(ir.id, 'cmpl-'),
    object: 'text_completion',
    created: ir.created || nowSeconds(),
    model: ir.model,
    choices: ir.candidates.map((c) => {
      let text = echo;
      for (const part of c.content) if (part.type === 'text') text += part.text;
      return {
        text,
        index: c.index,
        logprobs: null,
        finish_reason: toCompletionFinishReason(c.stopReason),
      };
    }),
  };
  if (ir.usage) out.usage = buildUsage(ir.usage);
  if (ir.sourceFormat === 'openai-completions') {
    for (const key in ir.extra) out[key] = ir.extra[key];
  }
  return out;
}
