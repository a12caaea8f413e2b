import type { StreamEncoder, TranslationContext } from '@app/llm/codec';
import type { IRStreamEvent, IRUsage } from '@app/llm/ir/types';
import { nowSeconds } from '@app/llm/util/ids';
import { openAIEndFrames, openAIErrorFrames } from '@app/llm/formats/openai/stream';
import { idWithPrefix } from '@app/llm/formats/openai/wire';
import { STATE_ECHO } from '@app/llm/formats/openai-completions/request';
import { toCompletionFinishReason } from '@app/llm/formats/openai-completions/response';

/** Encodes IR events as a legacy completions stream (`text_completion` chunks, then [DONE]). */
export class CompletionsStreamEncoder implements StreamEncoder {
  readonly contentType = 'text/event-stream';
  /** `data: {"id":…,"choices":[` — constant for the whole stream once started. */
  private prefix = '';
  private done = false;
  private usage: IRUsage | undefined;
  /** Choices that have started (echo sent) and finished. */
  private readonly opened = new Set<number>();
  private readonly finished = new Set<number>();
  private readonly echo: string;

  constructor(private readonly ctx: TranslationContext) {
    const echo = ctx.state[STATE_ECHO];
    this.echo = typeof echo === 'string' ? echo : '';
  }

  push(event: IRStreamEvent): string[] {
    if (this.done) return [];
    const out: string[] = [];
    if (this.prefix === '') this.begin(event.type === 'start' ? event : undefined);
    switch (event.type) {
      case 'text_delta': {
        const index = event.candidate ?? 0;
        if (this.finished.has(index)) break;
        this.open(index, out);
        out.push(this.frame(index, event.text, 'null'));
        break;
      }
      case 'finish': {
        const index = event.candidate ?? 0;
        if (this.finished.has(index)) break;
        this.open(index, out);
        this.finished.add(index);
        out.push(this.frame(index, '', JSON.stringify(toCompletionFinishReason(event.stopReason))));
        break;
      }
      case 'usage':
        this.usage = event.usage;
        break;
      case 'error':
        out.push(...openAIErrorFrames(event));
        this.done = true;
        break;
      case 'end':
        out.push(...openAIEndFrames(this.prefix, this.ctx.includeUsage ? this.usage : undefined));
        this.done = true;
        break;
      case 'start':
      case 'reasoning_delta':
      case 'reasoning_signature':
      case 'tool_call_start':
      case 'tool_call_delta':
      case 'tool_call_end':
        break; // the legacy format carries text only
    }
    return out;
  }

  private begin(start: Extract<IRStreamEvent, { type: 'start' }> | undefined): void {
    const id = idWithPrefix(start?.id, 'cmpl-');
    const model = this.ctx.requestedModel || start?.model || this.ctx.upstreamModel;
    const created = start?.created || nowSeconds();
    this.prefix =
      `data: {"id":${JSON.stringify(id)},"object":"text_completion","created":${created},` +
      `"model":${JSON.stringify(model)},"choices":[`;
  }

  /** The first output of a choice repeats the prompt when the client asked for echo. */
  private open(index: number, out: string[]): void {
    if (this.opened.has(index)) return;
    this.opened.add(index);
    if (this.echo !== '') out.push(this.frame(index, this.echo, 'null'));
  }

  private frame(index: number, text: string, finishReason: string): string {
    return `${this.prefix}{"text":${JSON.stringify(text)},"index":${index},"logprobs":null,"finish_reason":${finishReason}}]}\n\n`;
  }
}
