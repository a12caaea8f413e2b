import type { IRReasoning, IRRequest, ReasoningLevel } from '@app/llm/ir/types';

/** Token budget for each effort level (CLIProxyAPI's table). */
export const LEVEL_BUDGETS: Readonly<Record<ReasoningLevel, number>> = {
  none: 0,
  auto: -1,
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
  max: 128000,
};

const LEVELS = Object.keys(LEVEL_BUDGETS) as ReasoningLevel[];

export function isReasoningLevel(value: unknown): value is ReasoningLevel {
  return typeof value === 'string' && (LEVELS as string[]).includes(value);
}

/** Budget for a level. */
export function levelToBudget(level: ReasoningLevel): number {
  return LEVEL_BUDGETS[level];
}

/**
 * Level for a budget by the same thresholds: 0 → none, negative → auto, otherwise the smallest
 * level whose budget is at least the given one (anything above xhigh is max).
 */
export function budgetToLevel(budget: number): ReasoningLevel {
  if (budget === 0) return 'none';
  if (budget < 0) return 'auto';
  if (budget <= LEVEL_BUDGETS.minimal) return 'minimal';
  if (budget <= LEVEL_BUDGETS.low) return 'low';
  if (budget <= LEVEL_BUDGETS.medium) return 'medium';
  if (budget <= LEVEL_BUDGETS.high) return 'high';
  if (budget <= LEVEL_BUDGETS.xhigh) return 'xhigh';
  return 'max';
}

/** Effective budget of an IR reasoning setting (budget wins over level). */
export function reasoningBudget(r: IRReasoning | undefined): number | undefined {
  if (!r) return undefined;
  if (r.budget !== undefined) return r.budget;
  if (r.level !== undefined) return levelToBudget(r.level);
  return undefined;
}

/** Effective level of an IR reasoning setting (level wins over budget). */
export function reasoningLevel(r: IRReasoning | undefined): ReasoningLevel | undefined {
  if (!r) return undefined;
  if (r.level !== undefined) return r.level;
  if (r.budget !== undefined) return budgetToLevel(r.budget);
  return undefined;
}

export interface ModelSuffix {
  /** Model name without the suffix. */
  model: string;
  /** The reasoning the suffix asks for, if any. */
  reasoning?: IRReasoning;
}

const SUFFIX = /^(.*)\(([^()]+)\)$/;

/**
 * Split `model(8192)` / `model(high)` into the base model and the reasoning it asks for.
 * Unknown suffix text is left on the model name.
 */
export function parseModelSuffix(model: string): ModelSuffix {
  const m = SUFFIX.exec(model);
  if (!m) return { model };
  const [, base, arg] = m;
  const value = arg.trim().toLowerCase();
  if (/^-?\d+$/.test(value)) {
    const budget = Number(value);
    return { model: base, reasoning: { budget, includeThoughts: budget !== 0 } };
  }
  if (isReasoningLevel(value)) {
    return { model: base, reasoning: { level: value, includeThoughts: value !== 'none' } };
  }
  return { model };
}

/** Apply a model-name suffix to a parsed request: the suffix overrides the body's reasoning. */
export function applyModelSuffix(ir: IRRequest): IRRequest {
  const { model, reasoning } = parseModelSuffix(ir.model);
  if (!reasoning) return ir;
  // The suffix replaces level and budget from the body; other reasoning settings stay.
  return { ...ir, model, reasoning: { summary: ir.reasoning?.summary, ...reasoning } };
}
