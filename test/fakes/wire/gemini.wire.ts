import { asArray, asString, isObject, type JsonObject } from '../json.util';
import {
  CharTally,
  base62Id,
  estimateTokens,
  splitText,
  type FakeAnswer,
  type FakeUsage,
  type Prompt,
} from '../scenario';
import { invalidRequest } from './errors.wire';
import {
  ID_MARK,
  jsonBody,
  type OutgoingHeaders,
  type Outgoing,
  type RenderOptions,
} from './wire.types';

// Gemini generateContent / streamGenerateContent (AI Studio and Vertex), and the Code Assist
// envelope (`/v1internal:*`, used by Gemini CLI and Antigravity) that wraps the same bodies.

const GOOGLE_JSON: OutgoingHeaders = { 'content-type': 'application/json; charset=UTF-8' };
const GOOGLE_SSE: OutgoingHeaders = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
};

/** Text of a functionResponse: the usual single-string wrappers are unwrapped, else the JSON. */
function functionResponseText(response: unknown): string {
  if (typeof response === 'string') return response;
  if (isObject(response)) {
    for (const key of ['result', 'output', 'content', 'text']) {
      const v = response[key];
      if (typeof v === 'string') return v;
    }
  }
  return JSON.stringify(response ?? null);
}

function pick(o: JsonObject, camel: string, snake: string): unknown {
  return o[camel] ?? o[snake];
}

/** Reduce a GenerateContentRequest (the inner `request` for Code Assist) to the fake's Prompt. */
export function parseGemini(body: JsonObject, model: string): Prompt {
  const tally = new CharTally();
  const system = pick(body, 'systemInstruction', 'system_instruction');
  if (isObject(system)) for (const p of asArray(system.parts)) if (isObject(p)) tally.add(p.text);
  const contents = asArray(body.contents);
  let lastUserText = '';
  let toolResults: string[] | undefined;
  for (const c of contents) {
    if (!isObject(c)) continue;
    const texts: string[] = [];
    let results: string[] | undefined;
    for (const p of asArray(c.parts)) {
      if (!isObject(p)) continue;
      if (typeof p.text === 'string') {
        tally.add(p.text);
        if (p.thought !== true) texts.push(p.text);
      }
      const call = pick(p, 'functionCall', 'function_call');
      if (isObject(call)) tally.add(JSON.stringify(call.args ?? {}));
      const resp = pick(p, 'functionResponse', 'function_response');
      if (isObject(resp)) (results ??= []).push(tally.add(functionResponseText(resp.response)));
    }
    const fromUser = c.role === undefined || c.role === 'user' || c.role === 'function';
    toolResults = fromUser ? results : undefined;
    if (fromUser && texts.length > 0) lastUserText = texts.join('\n');
  }
  const toolNames: string[] = [];
  for (const t of asArray(body.tools)) {
    if (!isObject(t)) continue;
    for (const d of asArray(pick(t, 'functionDeclarations', 'function_declarations'))) {
      const name = isObject(d) ? asString(d.name) : undefined;
      if (name) toolNames.push(name);
    }
  }
  const gen = pick(body, 'generationConfig', 'generation_config');
  const thinking = isObject(gen) ? pick(gen, 'thinkingConfig', 'thinking_config') : undefined;
  const reasoning =
    isObject(thinking) && pick(thinking, 'includeThoughts', 'include_thoughts') === true;
  return {
    model,
    lastUserText,
    toolNames,
    toolResults,
    reasoning,
    promptChars: tally.chars,
    turns: contents.length,
  };
}

/** The 400 the real API gives for a request without contents, if so. */
export function validateGemini(
  body: JsonObject,
  dialect: 'gemini' | 'code-assist',
): Outgoing | undefined {
  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    return invalidRequest(
      dialect,
      '* GenerateContentRequest.contents: contents is not specified\n',
    );
  }
  return undefined;
}

/** The Code Assist envelope `{model, project, request}`: the 400 when it is malformed, if so. */
export function validateEnvelope(body: JsonObject): Outgoing | undefined {
  if (typeof body.model !== 'string' || body.model === '') {
    return invalidRequest(
      'code-assist',
      'Invalid JSON payload received. Missing required field "model".',
    );
  }
  if (!isObject(body.request)) {
    return invalidRequest(
      'code-assist',
      'Invalid JSON payload received. Missing required field "request".',
    );
  }
  return validateGemini(body.request, 'code-assist');
}

/** `usageMetadata`: candidatesTokenCount excludes thoughts, which are reported apart. */
export function geminiUsage(u: FakeUsage): JsonObject {
  const m: JsonObject = {
    promptTokenCount: u.inputTokens,
    candidatesTokenCount: u.outputTokens - u.reasoningTokens,
    totalTokenCount: u.totalTokens,
  };
  if (u.cachedTokens > 0) m.cachedContentTokenCount = u.cachedTokens;
  m.promptTokensDetails = [{ modality: 'TEXT', tokenCount: u.inputTokens }];
  if (u.cachedTokens > 0) m.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: u.cachedTokens }];
  if (u.reasoningTokens > 0) m.thoughtsTokenCount = u.reasoningTokens;
  return m;
}

const FINISH: Readonly<Record<FakeAnswer['finish'], string>> = {
  stop: 'STOP',
  tool_calls: 'STOP',
  length: 'MAX_TOKENS',
};

/** How the response is wrapped and who generates it. */
export interface GeminiShape {
  /** Bare (Gemini, Vertex) or in the Code Assist `{response, traceId}` envelope. */
  readonly envelope: boolean;
  /**
   * Claude served through Antigravity: function calls carry Claude ids (`toolu_vrtx_...`) and
   * the thinking signature rides on a thought part, not on the call
   * (test/fixtures/antigravity/stream-thinking-tool.sse).
   */
  readonly claudeInside: boolean;
}

function thinkingSignature(a: FakeAnswer): string {
  return base62Id(`tsig:${a.reasoning ?? ''}`, 64);
}

function callParts(a: FakeAnswer, shape: GeminiShape): JsonObject[] {
  return a.toolCalls.map((c, i) => {
    let args: unknown;
    try {
      args = JSON.parse(c.arguments) as unknown;
    } catch {
      args = {};
    }
    const call: JsonObject = shape.claudeInside
      ? { id: `toolu_vrtx_01${c.id.slice(0, 22)}`, name: c.name, args }
      : { name: c.name, args };
    const part: JsonObject = { functionCall: call };
    // Thinking Gemini models sign the first function call of a turn; clients must send it back.
    if (i === 0 && a.reasoning && !shape.claudeInside) part.thoughtSignature = thinkingSignature(a);
    return part;
  });
}

function chunk(
  a: FakeAnswer,
  parts: readonly JsonObject[],
  final: boolean,
  shape: GeminiShape,
): JsonObject {
  const candidate: JsonObject = { content: { parts, role: 'model' } };
  if (final) candidate.finishReason = FINISH[a.finish];
  candidate.index = 0;
  const usageMetadata: JsonObject = final
    ? geminiUsage(a.usage)
    : {
        promptTokenCount: a.usage.inputTokens,
        totalTokenCount: a.usage.inputTokens,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: a.usage.inputTokens }],
      };
  // Code Assist serves from provisioned capacity and says so in every usage block.
  if (shape.envelope) usageMetadata.trafficType = 'PROVISIONED_THROUGHPUT';
  const response: JsonObject = {
    candidates: [candidate],
    usageMetadata,
    modelVersion: a.model,
    responseId: ID_MARK,
  };
  return shape.envelope ? { response, traceId: ID_MARK.slice(0, 16) } : response;
}

/** A non-stream GenerateContentResponse. */
export function renderGemini(a: FakeAnswer, shape: GeminiShape): Outgoing {
  const parts: JsonObject[] = [];
  if (a.reasoning) {
    parts.push(
      shape.claudeInside
        ? { text: a.reasoning, thought: true, thoughtSignature: thinkingSignature(a) }
        : { text: a.reasoning, thought: true },
    );
  }
  if (a.text || a.toolCalls.length === 0) parts.push({ text: a.text });
  parts.push(...callParts(a, shape));
  return jsonBody(200, chunk(a, parts, true, shape), GOOGLE_JSON);
}

/**
 * A streamed answer: SSE (`?alt=sse`, `data:` events separated by CRLF pairs as Google sends
 * them) or, without alt=sse, one JSON array written element by element.
 */
export function renderGeminiStream(
  a: FakeAnswer,
  shape: GeminiShape,
  sse: boolean,
  o: RenderOptions,
): Outgoing {
  const pieces: JsonObject[][] = [];
  if (a.reasoning) {
    for (const t of splitText(a.reasoning, 2)) pieces.push([{ text: t, thought: true }]);
    if (shape.claudeInside) {
      pieces.push([{ text: '', thought: true, thoughtSignature: thinkingSignature(a) }]);
    }
  }
  for (const t of splitText(a.text, o.chunks)) pieces.push([{ text: t }]);
  // Gemini never splits a function call: all calls of the turn arrive whole, in one chunk.
  if (a.toolCalls.length > 0) pieces.push(callParts(a, shape));
  const bodies = pieces.map((parts) => JSON.stringify(chunk(a, parts, false, shape)));
  // The real stream closes with its own chunk: an empty text part, the finishReason and the
  // full usage (test/fixtures/gemini/stream-text.sse).
  bodies.push(JSON.stringify(chunk(a, [{ text: '' }], true, shape)));
  if (sse) {
    return {
      type: 'stream',
      status: 200,
      headers: GOOGLE_SSE,
      frames: bodies.map((b) => `data: ${b}\r\n\r\n`),
      framing: 'sse',
    };
  }
  const frames = bodies.map((b, i) => (i === 0 ? `[${b}` : `,\r\n${b}`));
  frames.push(']');
  return { type: 'stream', status: 200, headers: GOOGLE_JSON, frames, framing: 'json-array' };
}

/** `:countTokens` (plain Gemini: `{totalTokens, promptTokensDetails}`; Code Assist: `{totalTokens}`). */
export function renderGeminiCount(prompt: Prompt, envelope: boolean): Outgoing {
  const n = estimateTokens(prompt.promptChars);
  return jsonBody(
    200,
    envelope
      ? { totalTokens: n }
      : { totalTokens: n, promptTokensDetails: [{ modality: 'TEXT', tokenCount: n }] },
    GOOGLE_JSON,
  );
}

function displayName(id: string): string {
  return id
    .split('-')
    .map((w) => (w ? w[0].toUpperCase() + w.slice(1) : w))
    .join(' ');
}

/** One entry of `GET /v1beta/models`. */
export function geminiModel(id: string): JsonObject {
  return {
    name: `models/${id}`,
    version: '001',
    displayName: displayName(id),
    description: `Fake ${displayName(id)}`,
    inputTokenLimit: 1048576,
    outputTokenLimit: 65536,
    supportedGenerationMethods: [
      'generateContent',
      'countTokens',
      'createCachedContent',
      'batchGenerateContent',
    ],
    temperature: 1,
    topP: 0.95,
    topK: 64,
    maxTemperature: 2,
    thinking: true,
  };
}

/** `GET /v1beta/models`. */
export function renderGeminiModels(models: readonly string[]): Outgoing {
  return jsonBody(200, { models: models.map(geminiModel) }, GOOGLE_JSON);
}

/** `GET /v1beta/models/{model}`. */
export function renderGeminiModel(id: string): Outgoing {
  return jsonBody(200, geminiModel(id), GOOGLE_JSON);
}

// Code Assist account endpoints (Gemini CLI and Antigravity setup and quota).

function nextReset(): string {
  const d = new Date();
  d.setUTCHours(24, 0, 0, 0);
  return d.toISOString().replace('.000Z', 'Z');
}

/** `:loadCodeAssist`: the account's tier and its managed project. */
export function renderLoadCodeAssist(project: string): Outgoing {
  const tier = {
    id: 'free-tier',
    name: 'Gemini Code Assist for individuals',
    description: 'Gemini Code Assist for individuals, powered by Gemini.',
    userDefinedCloudaicompanionProject: false,
    privacyNotice: { showNotice: false },
  };
  return jsonBody(
    200,
    {
      currentTier: tier,
      allowedTiers: [{ ...tier, isDefault: true }],
      cloudaicompanionProject: project,
      gcpManaged: false,
    },
    GOOGLE_JSON,
  );
}

/** `:onboardUser`: a finished long-running operation naming the project. */
export function renderOnboardUser(project: string): Outgoing {
  return jsonBody(
    200,
    {
      name: `operations/onboard-${ID_MARK}`,
      done: true,
      response: {
        '@type': 'type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse',
        cloudaicompanionProject: { id: project, name: project },
      },
    },
    GOOGLE_JSON,
  );
}

/** `:fetchAvailableModels` (Antigravity): models keyed by id, each with its quota. */
export function renderFetchAvailableModels(models: readonly string[]): Outgoing {
  const out: JsonObject = {};
  const resetTime = nextReset();
  for (const id of models) {
    out[id] = {
      displayName: displayName(id),
      supportsImages: true,
      supportsThinking: true,
      maxTokens: 1048576,
      maxOutputTokens: 65536,
      quotaInfo: { remainingFraction: 1, resetTime },
    };
  }
  return jsonBody(200, { models: out }, GOOGLE_JSON);
}

/** `:retrieveUserQuota` (Gemini CLI): one bucket per model. */
export function renderRetrieveUserQuota(models: readonly string[]): Outgoing {
  const resetTime = nextReset();
  return jsonBody(
    200,
    {
      buckets: models.map((modelId) => ({
        remainingAmount: '1000',
        remainingFraction: 1,
        resetTime,
        tokenType: 'REQUESTS',
        modelId,
      })),
    },
    GOOGLE_JSON,
  );
}
