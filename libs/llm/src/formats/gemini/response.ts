import type { TranslationContext } from '@app/llm/codec';
import type { IRCandidate, IRResponse, WireFormat } from '@app/llm/ir/types';
import type { GeminiCandidate, GeminiResponseBody } from '@app/llm/formats/gemini/gemini.types';
import {
  CANDIDATE_EXTRA_KEY,
  ENVELOPE_EXTRA_KEY,
  geminiFinishToIR,
  irFinishToGemini,
  irUsageToGemini,
  isGeminiFamily,
  num,
  pick,
  readUsage,
  str,
  timestampSeconds,
} from '@app/llm/formats/gemini/common';
import { geminiPartsToIR, irPartsToGemini, randomCallIds } from '@app/llm/formats/gemini/parts';
import { TranslationError } from '@app/llm/util/errors';
import { newId, nowSeconds } from '@app/llm/util/ids';
import { isRecord } from '@app/llm/util/json';

/** Top-level response fields the IR maps; everything else is extra. */
const MAPPED_RESPONSE_KEYS: ReadonlySet<string> = new Set([
  'candidates',
  'usageMetadata',
  'usage_metadata',
  'modelVersion',
  'model_version',
  'responseId',
  'response_id',
  'createTime',
  'create_time',
]);

const MAPPED_CANDIDATE_KEYS: ReadonlySet<string> = new Set([
  'content',
  'finishReason',
  'finish_reason',
  'index',
]);

/** Random id in the style of Gemini's responseId. */
export function newResponseId(): string {
  return newId('', 22);
}

/** Parse a Gemini GenerateContentResponse into the IR. */
export function parseGeminiResponse(
  body: unknown,
  ctx: TranslationContext,
  sourceFormat: WireFormat,
): IRResponse {
  if (!isRecord(body)) throw new TranslationError('A Gemini response body must be a JSON object');
  const raw = body.candidates;
  if (raw !== undefined && !Array.isArray(raw)) {
    throw new TranslationError('candidates must be an array', 'candidates');
  }

  const candidates: IRCandidate[] = [];
  const candidateExtras: (Record<string, unknown> | null)[] = [];
  let hasCandidateExtras = false;
  if (raw) {
    for (let i = 0; i < raw.length; i++) {
      const c: unknown = raw[i];
      if (!isRecord(c)) continue;
      candidates.push(parseCandidate(c, i, ctx));
      let rest: Record<string, unknown> | null = null;
      for (const key in c) {
        if (!MAPPED_CANDIDATE_KEYS.has(key)) (rest ??= {})[key] = c[key];
      }
      if (rest) hasCandidateExtras = true;
      candidateExtras.push(rest);
    }
  }
  if (candidates.length === 0) {
    // No candidates: the prompt itself was blocked (promptFeedback.blockReason), or nothing came.
    const feedback = pick(body, 'promptFeedback', 'prompt_feedback');
    const blocked =
      isRecord(feedback) && pick(feedback, 'blockReason', 'block_reason') !== undefined;
    candidates.push({ index: 0, content: [], stopReason: blocked ? 'content_filter' : 'stop' });
  }

  const extra: Record<string, unknown> = {};
  for (const key in body) if (!MAPPED_RESPONSE_KEYS.has(key)) extra[key] = body[key];
  if (hasCandidateExtras) extra[CANDIDATE_EXTRA_KEY] = candidateExtras;

  const ir: IRResponse = {
    id: str(pick(body, 'responseId', 'response_id')) || newResponseId(),
    model: str(pick(body, 'modelVersion', 'model_version')) || ctx.upstreamModel,
    created: timestampSeconds(pick(body, 'createTime', 'create_time')) ?? nowSeconds(),
    candidates,
    sourceFormat,
    extra,
  };
  const usage = readUsage(body);
  if (usage) ir.usage = usage;
  return ir;
}

function parseCandidate(c: Record<string, unknown>, position: number, ctx: TranslationContext) {
  const content = isRecord(c.content) ? c.content : undefined;
  const parts = content && Array.isArray(content.parts) ? content.parts : [];
  const irParts = geminiPartsToIR(parts, randomCallIds, ctx, true);
  const candidate: IRCandidate = { index: num(c.index) ?? position, content: irParts };
  const finish = str(pick(c, 'finishReason', 'finish_reason'));
  if (finish) {
    candidate.stopReason = geminiFinishToIR(
      finish,
      irParts.some((p) => p.type === 'tool_call'),
    );
  }
  return candidate;
}

/** Build a Gemini GenerateContentResponse from the IR. */
export function buildGeminiResponse(
  ir: IRResponse,
  ctx: TranslationContext,
  target: WireFormat,
): GeminiResponseBody {
  const family = isGeminiFamily(ir.sourceFormat) && isGeminiFamily(target);
  const opts = { ctx, names: new Map<string, string>(), history: false, family };
  const extras = family ? ir.extra[CANDIDATE_EXTRA_KEY] : undefined;

  const candidates: GeminiCandidate[] = [];
  for (let i = 0; i < ir.candidates.length; i++) {
    const c = ir.candidates[i];
    const candidate: GeminiCandidate = {
      content: { role: 'model', parts: irPartsToGemini(c.content, opts) },
      index: c.index,
    };
    if (c.stopReason) candidate.finishReason = irFinishToGemini(c.stopReason);
    const rest: unknown = Array.isArray(extras) ? extras[i] : undefined;
    if (isRecord(rest)) for (const key in rest) candidate[key] = rest[key];
    candidates.push(candidate);
  }

  const out: GeminiResponseBody = { candidates };
  if (ir.usage) out.usageMetadata = irUsageToGemini(ir.usage);
  out.modelVersion = ir.model;
  out.responseId = ir.id;
  if (family) {
    for (const key in ir.extra) {
      if (key !== CANDIDATE_EXTRA_KEY && key !== ENVELOPE_EXTRA_KEY) out[key] = ir.extra[key];
    }
  }
  return out;
}
