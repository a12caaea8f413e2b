import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { TranslationContext } from '@app/llm/codec';
import type { IRRequest } from '@app/llm/ir/types';
import type { EnvelopeSpec } from '@app/llm/formats/gemini-cli';
import { cleanGeminiSchema } from '@app/llm/util/gemini-schema';
import { isRecord } from '@app/llm/util/json';

/** Session ids are positive int64 values written with a leading '-', as the Antigravity IDE does. */
const INT63_MASK = 0x7fffffffffffffffn;

/**
 * Claude models behind Antigravity run tools in VALIDATED mode, which needs every declaration to
 * have at least one required property; argument-less tools get this one.
 */
function placeholderParameters(): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      reason: { type: 'string', description: 'Brief explanation of why you are calling this tool' },
    },
    required: ['reason'],
  };
}

/**
 * Antigravity differs from Gemini CLI only in the request envelope: `userAgent: "antigravity"`,
 * `requestType: "agent"`, a fresh `requestId` ("agent-<uuid>"), and `request.sessionId` derived
 * from the first user message so one conversation keeps one upstream session (prefix caching).
 * It also refuses `safetySettings`, and its Claude models need VALIDATED tool calling.
 */
export const ANTIGRAVITY_ENVELOPE: EnvelopeSpec = {
  format: 'antigravity',
  ownKeys: new Set(['model', 'project', 'request', 'requestId', 'userAgent', 'requestType']),
  finishRequest: finishAntigravityRequest,
};

function finishAntigravityRequest(
  envelope: Record<string, unknown>,
  request: Record<string, unknown>,
  ir: IRRequest,
  _ctx: TranslationContext,
): void {
  envelope.userAgent = 'antigravity';
  envelope.requestType = 'agent';
  envelope.requestId = `agent-${randomUUID()}`;
  delete request.safetySettings;
  if (request.sessionId === undefined && request.session_id === undefined) {
    request.sessionId = antigravitySessionId(ir);
  }
  const generationConfig = request.generationConfig;
  if (isRecord(generationConfig) && isRecord(generationConfig.responseJsonSchema)) {
    generationConfig.responseJsonSchema = cleanGeminiSchema(generationConfig.responseJsonSchema);
  }
  const model = typeof envelope.model === 'string' ? envelope.model.toLowerCase() : '';
  if (model.includes('claude')) adaptToolsForClaude(request);
}

function adaptToolsForClaude(request: Record<string, unknown>): void {
  const tools = request.tools;
  if (!Array.isArray(tools)) return;
  let declared = false;
  for (const tool of tools) {
    if (!isRecord(tool) || !Array.isArray(tool.functionDeclarations)) continue;
    for (const decl of tool.functionDeclarations) {
      if (!isRecord(decl)) continue;
      declared = true;
      if (decl.parameters === undefined) decl.parameters = placeholderParameters();
    }
  }
  if (!declared) return;
  const toolConfig = isRecord(request.toolConfig) ? request.toolConfig : {};
  const fcc = isRecord(toolConfig.functionCallingConfig) ? toolConfig.functionCallingConfig : {};
  // ANY / NONE are explicit client choices; only the default mode becomes VALIDATED.
  if (fcc.mode === undefined || fcc.mode === 'AUTO') {
    toolConfig.functionCallingConfig = { ...fcc, mode: 'VALIDATED' };
    request.toolConfig = toolConfig;
  }
}

/**
 * Stable session id: derived from the first user text so every turn of a conversation reuses the
 * same upstream session; random when there is no user text.
 */
export function antigravitySessionId(ir: IRRequest): string {
  for (const m of ir.messages) {
    if (m.role !== 'user') continue;
    const first = m.content[0];
    if (first?.type === 'text' && first.text) {
      const digest = createHash('sha256').update(first.text).digest();
      return `-${digest.readBigUInt64BE(0) & INT63_MASK}`;
    }
  }
  return `-${randomBytes(8).readBigUInt64BE(0) & INT63_MASK}`;
}
