import type { TranslationContext } from '@app/llm/codec';
import type { IRRequest } from '@app/llm/ir/types';
import { isRecord } from '@app/llm/util/json';
import { buildResponsesRequest } from '@app/llm/formats/openai-responses/request';

type Json = Record<string, unknown>;

/** Fields the Codex backend rejects ("Unsupported parameter"), removed even from passthrough. */
const CODEX_UNSUPPORTED = [
  'max_output_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'truncation',
  'user',
  'context_management',
  'prompt_cache_options',
  'prompt_cache_retention',
];

/** Encrypted reasoning is the only way to carry reasoning across turns with `store: false`. */
const ENCRYPTED_REASONING = 'reasoning.encrypted_content';

/** Preview names of built-in tools the Codex backend only knows by their stable name. */
const BUILTIN_ALIASES: Readonly<Record<string, string>> = {
  web_search_preview: 'web_search',
  web_search_preview_2025_03_11: 'web_search',
};

function normaliseBuiltin(tool: unknown): unknown {
  if (!isRecord(tool) || typeof tool.type !== 'string') return tool;
  const stable = BUILTIN_ALIASES[tool.type];
  return stable ? { ...tool, type: stable } : tool;
}

/**
 * Build a request for the ChatGPT Codex backend (`/backend-api/codex/responses`): a Responses
 * body with `instructions` always present, `store: false`, `stream: true` (the backend only
 * streams; non-stream clients are served by collecting the stream), encrypted reasoning included,
 * and without the sampling and limit fields the backend rejects.
 */
export function buildCodexRequest(ir: IRRequest, ctx: TranslationContext): Json {
  const out = buildResponsesRequest(ir, ctx, { alwaysInstructions: true, omitReasoningIds: true });
  return applyCodexRules(out);
}

/**
 * What the Codex backend requires of a Responses body, applied to a built one and to a Responses
 * client's body forwarded as it came: `instructions` present, `store: false`, `stream: true`,
 * encrypted reasoning included, the refused sampling and limit fields removed, `system` input
 * roles as `developer`, and preview tool names by their stable name. Mutates and returns `out`
 * (the caller's own copy; nested values are replaced, never edited).
 */
export function applyCodexRules(out: Json): Json {
  if (typeof out.instructions !== 'string') out.instructions = '';
  // The backend takes input items only; a Responses shorthand string is one user message.
  if (typeof out.input === 'string') {
    out.input = [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: out.input }] },
    ];
  }
  for (const key of CODEX_UNSUPPORTED) delete out[key];
  out.stream = true;
  out.store = false;

  const include = Array.isArray(out.include) ? (out.include as unknown[]) : [];
  out.include = include.includes(ENCRYPTED_REASONING) ? include : [...include, ENCRYPTED_REASONING];

  // Only the priority tier exists there; anything else is refused.
  if (out.service_tier !== undefined && out.service_tier !== 'priority') delete out.service_tier;
  if (out.parallel_tool_calls === undefined) out.parallel_tool_calls = true;

  // Passthrough input and tools from Responses clients may use names Codex refuses.
  if (Array.isArray(out.input)) {
    out.input = (out.input as unknown[]).map((item) =>
      isRecord(item) && item.role === 'system' ? { ...item, role: 'developer' } : item,
    );
  }
  if (Array.isArray(out.tools)) out.tools = (out.tools as unknown[]).map(normaliseBuiltin);
  if (isRecord(out.tool_choice)) out.tool_choice = normaliseBuiltin(out.tool_choice);
  return out;
}
