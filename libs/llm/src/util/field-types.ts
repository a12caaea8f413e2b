import type { WireFormat } from '@app/llm/ir/types';
import { TranslationError } from '@app/llm/util/errors';
import { isRecord } from '@app/llm/util/json';

/** The JSON type a request field must have. */
type Kind = 'boolean' | 'number' | 'integer' | 'string' | 'object' | 'array';

/** A field's accepted types (any of them); null always passes (an absent optional field). */
type Rule = Kind | readonly Kind[];

type Rules = Readonly<Record<string, Rule>>;

// What each client format's own API refuses with a 400 when the type is wrong. Only top-level
// scalars and containers: the codecs check the insides of messages, contents and tools.
const SAMPLING: Rules = {
  temperature: 'number',
  top_p: 'number',
  presence_penalty: 'number',
  frequency_penalty: 'number',
  seed: 'integer',
  n: 'integer',
  stop: ['string', 'array'],
  user: 'string',
};

const OPENAI_CHAT: Rules = {
  ...SAMPLING,
  model: 'string',
  messages: 'array',
  stream: 'boolean',
  stream_options: 'object',
  max_tokens: 'integer',
  max_completion_tokens: 'integer',
  top_k: 'integer',
  tools: 'array',
  tool_choice: ['string', 'object'],
  functions: 'array',
  function_call: ['string', 'object'],
  parallel_tool_calls: 'boolean',
  response_format: 'object',
  reasoning_effort: 'string',
  metadata: 'object',
  logprobs: 'boolean',
  top_logprobs: 'integer',
  logit_bias: 'object',
};

const OPENAI_COMPLETIONS: Rules = {
  ...SAMPLING,
  model: 'string',
  prompt: ['string', 'array'],
  stream: 'boolean',
  stream_options: 'object',
  max_tokens: 'integer',
  echo: 'boolean',
  best_of: 'integer',
  logprobs: 'integer',
  suffix: 'string',
  logit_bias: 'object',
};

const RESPONSES: Rules = {
  model: 'string',
  input: ['string', 'array'],
  instructions: 'string',
  stream: 'boolean',
  max_output_tokens: 'integer',
  max_tool_calls: 'integer',
  temperature: 'number',
  top_p: 'number',
  tools: 'array',
  tool_choice: ['string', 'object'],
  parallel_tool_calls: 'boolean',
  store: 'boolean',
  background: 'boolean',
  reasoning: 'object',
  text: 'object',
  metadata: 'object',
  include: 'array',
  previous_response_id: 'string',
  user: 'string',
};

const CLAUDE: Rules = {
  model: 'string',
  messages: 'array',
  max_tokens: 'integer',
  system: ['string', 'array'],
  stream: 'boolean',
  temperature: 'number',
  top_p: 'number',
  top_k: 'integer',
  stop_sequences: 'array',
  tools: 'array',
  tool_choice: 'object',
  metadata: 'object',
  thinking: 'object',
};

const GEMINI: Rules = {
  contents: 'array',
  systemInstruction: ['object', 'string'],
  system_instruction: ['object', 'string'],
  generationConfig: 'object',
  generation_config: 'object',
  tools: 'array',
  toolConfig: 'object',
  tool_config: 'object',
  safetySettings: 'array',
  safety_settings: 'array',
  cachedContent: 'string',
  cached_content: 'string',
};

const GENERATION_CONFIG: Rules = {
  temperature: 'number',
  topP: 'number',
  top_p: 'number',
  topK: 'number',
  top_k: 'number',
  maxOutputTokens: 'integer',
  max_output_tokens: 'integer',
  candidateCount: 'integer',
  candidate_count: 'integer',
  stopSequences: 'array',
  stop_sequences: 'array',
  seed: 'integer',
  presencePenalty: 'number',
  presence_penalty: 'number',
  frequencyPenalty: 'number',
  frequency_penalty: 'number',
  responseMimeType: 'string',
  response_mime_type: 'string',
  thinkingConfig: 'object',
  thinking_config: 'object',
};

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

function matches(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'string':
      return typeof value === 'string';
    case 'object':
      return isRecord(value);
    case 'array':
      return Array.isArray(value);
  }
}

const ARTICLE: Readonly<Record<Kind, string>> = {
  boolean: 'a boolean',
  number: 'a number',
  integer: 'an integer',
  string: 'a string',
  object: 'an object',
  array: 'an array',
};

function check(body: Record<string, unknown>, rules: Rules, prefix: string): void {
  for (const field in rules) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    const rule = rules[field];
    const kinds: readonly Kind[] = typeof rule === 'string' ? [rule] : rule;
    if (kinds.some((k) => matches(value, k))) continue;
    const expected = kinds.map((k) => ARTICLE[k]).join(' or ');
    throw new TranslationError(
      `Invalid type for '${prefix}${field}': expected ${expected}, but got ${kindOf(value)} instead`,
    );
  }
}

function checkGemini(body: Record<string, unknown>, prefix: string): void {
  check(body, GEMINI, prefix);
  for (const key of ['generationConfig', 'generation_config']) {
    const config = body[key];
    if (isRecord(config)) check(config, GENERATION_CONFIG, `${prefix}${key}.`);
  }
}

/**
 * Refuse a client request whose top-level fields have the wrong JSON type (`"stream": "yes"`,
 * `"max_tokens": {…}`), with the message the caller's own API would give. For the translated
 * (cross-format) path only: the codecs would otherwise read such a field as absent and change
 * the meaning of the request (a stream asked for as `"yes"` answered whole), where the client's
 * own API refuses it. A request relayed to an upstream of its own format is left for that
 * upstream to judge.
 */
export function checkFieldTypes(format: WireFormat, body: unknown): void {
  if (!isRecord(body)) return; // the codec says what is wrong with it
  switch (format) {
    case 'openai':
      return check(body, OPENAI_CHAT, '');
    case 'openai-completions':
      return check(body, OPENAI_COMPLETIONS, '');
    case 'openai-responses':
    case 'codex':
      return check(body, RESPONSES, '');
    case 'claude':
      return check(body, CLAUDE, '');
    case 'gemini':
      return checkGemini(body, '');
    case 'gemini-cli':
    case 'antigravity':
      if (isRecord(body.request)) checkGemini(body.request, 'request.');
      return;
  }
}
