// Claude request sampling, thinking (reasoning) and output format, both directions.
import type { IRReasoning, IRResponseFormat, IRSampling } from '@app/llm/ir/types';
import { isRecord } from '@app/llm/util/json';
import { isReasoningLevel, levelToBudget } from '@app/llm/util/thinking';
import type { BlockReader } from '@app/llm/formats/claude/content';
import {
  CLAUDE_DEFAULT_MAX_TOKENS,
  CLAUDE_MIN_THINKING_BUDGET,
} from '@app/llm/formats/claude/mapping';
import type { ClaudeMessage } from '@app/llm/formats/claude/messages';

const finite = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/**
 * thinking / output_config.effort → IR reasoning. Enabled keeps its budget, adaptive is budget -1
 * ("the model decides"), disabled is budget 0; an effort level rides along as `level`, so adaptive
 * + effort high reads as {budget: -1, level: 'high'} (OpenAI targets see "high").
 */
export function readReasoning(
  thinking: unknown,
  outputConfig: unknown,
  reader: BlockReader,
): IRReasoning | undefined {
  const effort = isRecord(outputConfig) ? outputConfig.effort : undefined;
  const hasThinking = isRecord(thinking);
  if (!hasThinking && effort === undefined) return undefined;
  const r: IRReasoning = {};
  if (hasThinking) {
    switch (thinking.type) {
      case 'enabled':
        r.budget = finite(thinking.budget_tokens) ?? CLAUDE_MIN_THINKING_BUDGET;
        r.includeThoughts = thinking.display !== 'omitted';
        break;
      case 'adaptive':
        r.budget = -1;
        r.includeThoughts = thinking.display !== 'omitted';
        break;
      case 'disabled':
        r.budget = 0;
        r.includeThoughts = false;
        break;
      default:
        break;
    }
  }
  if (isReasoningLevel(effort)) r.level = effort;
  reader.origins.set(r, { thinking: hasThinking ? thinking : undefined, effort });
  return r;
}

export function readResponseFormat(outputConfig: unknown): IRResponseFormat | undefined {
  if (!isRecord(outputConfig)) return undefined;
  const format = outputConfig.format;
  if (!isRecord(format) || format.type !== 'json_schema' || !isRecord(format.schema)) {
    return undefined;
  }
  return { type: 'json_schema', schema: format.schema };
}

export function readSampling(body: Record<string, unknown>): IRSampling {
  const s: IRSampling = {};
  const maxTokens = finite(body.max_tokens);
  if (maxTokens !== undefined) s.maxTokens = maxTokens;
  const temperature = finite(body.temperature);
  if (temperature !== undefined) s.temperature = temperature;
  const topP = finite(body.top_p);
  if (topP !== undefined) s.topP = topP;
  const topK = finite(body.top_k);
  if (topK !== undefined) s.topK = topK;
  if (Array.isArray(body.stop_sequences)) {
    const stop = body.stop_sequences.filter((x): x is string => typeof x === 'string');
    if (stop.length > 0) s.stop = stop;
  }
  return s;
}

/** Thinking for a Claude upstream, derived from the IR (not restored from a Claude body). */
interface DerivedThinking {
  thinking: Record<string, unknown>;
  /** Enabled budget; 0 for adaptive. */
  budget: number;
}

/**
 * IR reasoning → Claude thinking. A positive budget (or a level's budget) is `enabled` with at
 * least Claude's minimum of 1024; budget -1 / level auto is `adaptive` (the model sizes its own
 * reasoning, the closest match for "dynamic"); budget 0 / level none omits thinking, which every
 * model treats as off.
 */
export function deriveThinking(r: IRReasoning): DerivedThinking | undefined {
  const budget = r.budget ?? (r.level !== undefined ? levelToBudget(r.level) : undefined);
  if (budget === undefined || budget === 0) return undefined;
  if (budget < 0) return { thinking: { type: 'adaptive' }, budget: 0 };
  const clamped = Math.max(CLAUDE_MIN_THINKING_BUDGET, Math.floor(budget));
  return { thinking: { type: 'enabled', budget_tokens: clamped }, budget: clamped };
}

/**
 * When thinking is on, Claude insists that the assistant turn which made the pending tool calls
 * starts with its (signed) thinking block. Histories from other formats never have one, so
 * thinking is turned off for such a request rather than failing it.
 */
export function toolTurnLacksThinking(messages: ClaudeMessage[]): boolean {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'assistant') continue;
    if (!m.content.some((b) => b.type === 'tool_use')) return false;
    const first = m.content[0]?.type;
    return first !== 'thinking' && first !== 'redacted_thinking';
  }
  return false;
}

/**
 * A thinking suffix on the model name (`claude-x(high)`, `claude-x(8192)`) applied to a Claude
 * body forwarded as the client sent it: `thinking` replaced as buildClaudeRequest derives it,
 * max_tokens raised to leave room for the answer, and the sampling fields Claude refuses with
 * thinking removed. A forced tool choice keeps thinking off (Claude rejects the pair). Mutates
 * `body`, which must be the caller's own copy (nested objects are replaced, never edited).
 */
export function applyClaudeThinkingSuffix(
  body: Record<string, unknown>,
  reasoning: IRReasoning,
): void {
  const choice = isRecord(body.tool_choice) ? body.tool_choice.type : undefined;
  const derived = choice === 'any' || choice === 'tool' ? undefined : deriveThinking(reasoning);
  if (!derived) {
    delete body.thinking;
    return;
  }
  body.thinking = derived.thinking;
  const maxTokens = finite(body.max_tokens) ?? CLAUDE_DEFAULT_MAX_TOKENS;
  if (derived.budget > 0 && maxTokens <= derived.budget)
    body.max_tokens = derived.budget + maxTokens;
  if (typeof body.temperature === 'number' && body.temperature !== 1) delete body.temperature;
  if (typeof body.top_p === 'number' && body.top_p < 0.95) delete body.top_p;
  delete body.top_k;
}
