import type { TranslationContext } from '@app/llm/codec';
import type { IRPart, IRResponse } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { newId, nowSeconds } from '@app/llm/util/ids';
import { isRecord } from '@app/llm/util/json';
import {
  type BlockReader,
  type BlockWriter,
  type ClaudeBlock,
  readContent,
  writeBlock,
} from '@app/llm/formats/claude/content';
import {
  claudeOrigins,
  stopReasonFromClaude,
  stopReasonToClaude,
  usageFromClaude,
  usageToClaude,
} from '@app/llm/formats/claude/mapping';

const KNOWN_FIELDS = new Set([
  'id',
  'type',
  'role',
  'content',
  'model',
  'stop_reason',
  'stop_sequence',
  'usage',
]);

/** A Claude message id for an IR response id from any format. */
export function claudeMessageId(id: string | undefined): string {
  return id && id.startsWith('msg_') ? id : newId('msg_');
}

/** Parse a non-stream Claude Messages response into the IR. */
export function parseClaudeResponse(body: unknown, ctx: TranslationContext): IRResponse {
  if (!isRecord(body)) throw new TranslationError('response body must be a JSON object');
  if (!Array.isArray(body.content)) {
    throw new TranslationError('content must be an array of blocks', 'content');
  }
  const reader: BlockReader = { origins: claudeOrigins(ctx), toolNames: new Map() };
  const stopReason = stopReasonFromClaude(body.stop_reason);
  const ir: IRResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : '',
    created: nowSeconds(),
    candidates: [{ index: 0, content: readContent(reader, body.content) }],
    sourceFormat: 'claude',
    extra: {},
  };
  const candidate = ir.candidates[0];
  if (stopReason) candidate.stopReason = stopReason;
  if (typeof body.stop_sequence === 'string') candidate.stopSequence = body.stop_sequence;
  const usage = usageFromClaude(body.usage);
  if (usage) ir.usage = usage;
  for (const key in body) {
    if (!KNOWN_FIELDS.has(key)) ir.extra[key] = body[key];
  }
  return ir;
}

function writeResponseContent(parts: IRPart[], w: BlockWriter): ClaudeBlock[] {
  const out: ClaudeBlock[] = [];
  let lastPlainText: ClaudeBlock | undefined;
  for (const part of parts) {
    let block: ClaudeBlock | undefined;
    if (part.type === 'reasoning') {
      // A response always shows the model's reasoning to a Claude client; the signature is
      // whatever the upstream gave (Gemini's thought signature round-trips through it).
      block = part.encrypted
        ? { type: 'redacted_thinking', data: part.encrypted }
        : { type: 'thinking', thinking: part.text, signature: part.signature ?? '' };
    } else if (part.type === 'image' || part.type === 'file' || part.type === 'tool_result') {
      continue; // Claude answers carry no media or tool results
    } else {
      block = writeBlock(w, part, 'assistant');
      // Claude clients answer a call by its id; an upstream that gave none gets one here.
      if (block?.type === 'tool_use' && !block.id) block.id = newId('toolu_');
    }
    if (!block) continue;
    // Adjacent plain text parts (Gemini splits text freely) read better as one block.
    const plain = block.type === 'text' && Object.keys(block).length === 2;
    if (plain && lastPlainText) {
      lastPlainText.text = `${lastPlainText.text as string}${block.text as string}`;
      continue;
    }
    out.push(block);
    lastPlainText = plain ? block : undefined;
  }
  return out;
}

/** Build a non-stream Claude Messages response from the IR (first candidate). */
export function buildClaudeResponse(
  ir: IRResponse,
  ctx: TranslationContext,
): Record<string, unknown> {
  const sameFormat = ir.sourceFormat === 'claude';
  const w: BlockWriter = { sameFormat, origins: claudeOrigins(ctx) };
  const candidate = ir.candidates[0];
  const parts = candidate?.content ?? [];
  const content = writeResponseContent(parts, w);
  const hasToolCalls = content.some((b) => b.type === 'tool_use');
  const out: Record<string, unknown> = {
    id: claudeMessageId(ir.id),
    type: 'message',
    role: 'assistant',
    model: ir.model,
    content,
    stop_reason: stopReasonToClaude(candidate?.stopReason, hasToolCalls),
    stop_sequence: candidate?.stopSequence ?? null,
    usage: usageToClaude(ir.usage),
  };
  if (sameFormat) {
    for (const key in ir.extra) if (!(key in out)) out[key] = ir.extra[key];
  }
  return out;
}
