// The Gemini request codec; its parts live in parts, tools and config.
import type { TranslationContext } from '@app/llm/codec';
import type { IRMessage, IRRequest, IRTextPart, WireFormat } from '@app/llm/ir/types';
import type { GeminiContent } from '@app/llm/formats/gemini/gemini.types';
import { ENVELOPE_EXTRA_KEY, isGeminiFamily, str } from '@app/llm/formats/gemini/common';
import { PairingCallIds, geminiPartsToIR, irPartsToGemini } from '@app/llm/formats/gemini/parts';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';
import { buildGenerationConfig, parseGenerationConfig } from '@app/llm/formats/gemini/config';
import {
  buildToolConfig,
  declaration,
  parseToolConfig,
  parseTools,
} from '@app/llm/formats/gemini/tools';

/** Inner-request fields only the Code Assist API knows; the public Gemini API rejects them. */
const CODE_ASSIST_ONLY_KEYS: ReadonlySet<string> = new Set(['session_id', 'sessionId']);

/** IR extra keys holding the leftovers of Gemini fields the IR maps only in part. */
const LEFTOVER_KEYS: ReadonlySet<string> = new Set([
  'tools',
  'toolConfig',
  'generationConfig',
  ENVELOPE_EXTRA_KEY,
]);

const MODELS_PREFIX = 'models/';

/**
 * Parse a Gemini generateContent body into the IR. The model comes from the URL
 * (ctx.requestedModel), the stream flag from the URL action (ctx.stream).
 */
export function parseGeminiRequest(
  body: unknown,
  ctx: TranslationContext,
  sourceFormat: WireFormat,
): IRRequest {
  if (!isRecord(body)) throw new TranslationError('A Gemini request body must be a JSON object');
  const contents = body.contents;
  if (!Array.isArray(contents)) throw new TranslationError('contents must be an array', 'contents');

  const ids = new PairingCallIds();
  const messages: IRMessage[] = [];
  for (let i = 0; i < contents.length; i++) {
    const c: unknown = contents[i];
    if (!isRecord(c)) throw new TranslationError('a content must be an object', `contents[${i}]`);
    const parts = c.parts;
    if (!Array.isArray(parts)) {
      throw new TranslationError('parts must be an array', `contents[${i}].parts`);
    }
    const content = geminiPartsToIR(parts, ids, ctx, false);
    if (content.length > 0)
      messages.push({ role: c.role === 'model' ? 'assistant' : 'user', content });
  }

  const bodyModel = str(body.model);
  const ir: IRRequest = {
    model:
      ctx.requestedModel ||
      (bodyModel?.startsWith(MODELS_PREFIX) ? bodyModel.slice(MODELS_PREFIX.length) : bodyModel) ||
      '',
    system: [],
    messages,
    sampling: {},
    stream: ctx.stream ?? false,
    sourceFormat,
    extra: {},
  };

  for (const key in body) {
    const value = body[key];
    switch (key) {
      case 'contents':
      case 'model':
        break;
      case 'systemInstruction':
      case 'system_instruction':
        ir.system = parseSystem(value, key);
        break;
      case 'tools':
        parseTools(value, ir);
        break;
      case 'toolConfig':
      case 'tool_config':
        parseToolConfig(value, ir);
        break;
      case 'generationConfig':
      case 'generation_config':
        parseGenerationConfig(value, ir, key);
        break;
      default:
        ir.extra[key] = value;
    }
  }
  return ir;
}

function parseSystem(value: unknown, path: string): IRTextPart[] {
  if (typeof value === 'string') return value ? [{ type: 'text', text: value }] : [];
  let parts: unknown = value;
  if (isRecord(value)) parts = value.parts;
  if (!Array.isArray(parts)) throw new TranslationError('must be a Content with parts', path);
  const out: IRTextPart[] = [];
  for (const p of parts) {
    if (typeof p === 'string') out.push({ type: 'text', text: p });
    else if (isRecord(p) && typeof p.text === 'string') out.push({ type: 'text', text: p.text });
  }
  return out;
}

/**
 * Build a Gemini generateContent body from the IR (no `model`: it goes in the URL). `target` is
 * the format the body is for (gemini, or the inner request of gemini-cli / antigravity).
 */
export function buildGeminiRequest(
  ir: IRRequest,
  ctx: TranslationContext,
  target: WireFormat,
): Record<string, unknown> {
  const family = isGeminiFamily(ir.sourceFormat) && isGeminiFamily(target);
  const opts = { ctx, names: new Map<string, string>(), history: true, family };

  const contents: GeminiContent[] = [];
  for (const m of ir.messages) {
    const parts = irPartsToGemini(m.content, opts);
    // Gemini rejects a content with no parts.
    if (parts.length > 0) contents.push({ role: m.role === 'assistant' ? 'model' : 'user', parts });
  }
  const out: Record<string, unknown> = { contents };

  const system: { text: string }[] = [];
  for (const t of ir.system) if (t.text) system.push({ text: t.text });
  if (system.length > 0) out.systemInstruction = { parts: system };

  const tools: Record<string, unknown>[] = [];
  if (ir.tools && ir.tools.length > 0) {
    tools.push({ functionDeclarations: ir.tools.map((t) => declaration(t, ctx)) });
  }
  const extraTools = family ? ir.extra.tools : undefined;
  if (Array.isArray(extraTools)) for (const t of extraTools) if (isRecord(t)) tools.push(t);
  if (tools.length > 0) out.tools = tools;

  const toolConfig = buildToolConfig(ir.toolChoice, ctx);
  const extraToolConfig = family ? ir.extra.toolConfig : undefined;
  if (toolConfig || isRecord(extraToolConfig)) {
    out.toolConfig = { ...toolConfig, ...(isRecord(extraToolConfig) ? extraToolConfig : {}) };
  }

  const generationConfig = buildGenerationConfig(ir, family);
  if (generationConfig) out.generationConfig = generationConfig;

  if (family) {
    for (const key in ir.extra) {
      if (LEFTOVER_KEYS.has(key)) continue;
      if (target === 'gemini' && CODE_ASSIST_ONLY_KEYS.has(key)) continue;
      out[key] = ir.extra[key];
    }
  }
  return out;
}
