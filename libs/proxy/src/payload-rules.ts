import { Logger } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { type WireFormat, parseModelSuffix } from '@app/llm';
import { compileModelPatterns, type ModelMatcher } from '@app/routing';
import {
  deleteJsonPath,
  hasJsonPath,
  parseJsonPath,
  setJsonPath,
  underRoot,
  type JsonPath,
} from '@app/proxy/payload-rules.path';

/** The `payload:` section of config.yaml. */
export type PayloadConfig = AppConfig['payload'];

/** Which upstream call a body is for. */
export interface PayloadTarget {
  /** The model sent upstream (without a thinking suffix). */
  model: string;
  /** The model as the client named it (may carry a suffix, may be an alias). */
  requestedModel?: string;
  /** The upstream wire format: a rule's `protocol` is matched against it. */
  format: WireFormat;
}

interface ModelEntry {
  match: ModelMatcher;
  /** Normalised protocol, or undefined for "any". */
  protocol: string | undefined;
}

interface SetParam {
  path: JsonPath;
  key: string;
  value: unknown;
}

interface Rule<P> {
  models: readonly ModelEntry[];
  params: readonly P[];
}

/** What applies to one (format, model) pair, resolved once and cached. */
interface Plan {
  defaults: readonly SetParam[];
  overrides: readonly SetParam[];
  removals: readonly JsonPath[];
}

const EMPTY_PLAN: Plan = { defaults: [], overrides: [], removals: [] };

/** CLIProxyAPI names the Responses protocol `openai-response`. */
const PROTOCOL_ALIASES: Readonly<Record<string, string>> = {
  'openai-response': 'openai-responses',
};

/** Code Assist envelopes carry the Gemini request under `request`; rule paths are relative to it. */
const ROOTS: Partial<Record<WireFormat, JsonPath>> = {
  'gemini-cli': ['request'],
  antigravity: ['request'],
};
const NO_ROOT: JsonPath = [];

/** Plans cached per rule set; a config version rarely sees more distinct model names. */
const MAX_PLANS = 1024;

function normaliseProtocol(p: string | undefined): string | undefined {
  const v = p?.trim().toLowerCase();
  if (!v) return undefined;
  return PROTOCOL_ALIASES[v] ?? v;
}

/**
 * CLIProxyAPI's payload rules, compiled once per config version: `default` and `default-raw`
 * set a field only when the translated body lacks it (the first matching rule wins), `override`
 * and `override-raw` always set it (the last one wins), `filter` removes fields. A rule applies
 * when one of its `models` matches the upstream model or the client's model name (`*`
 * wildcards, case-insensitive) and, when the entry names a `protocol`, the upstream format.
 * Raw values are JSON text, parsed here once.
 */
export class PayloadRules {
  /** Problems found while compiling (a raw value that is not JSON, an unusable path). */
  readonly warnings: readonly string[];
  /** True when there is nothing to apply (the common case: one branch per request). */
  readonly empty: boolean;
  private readonly defaults: readonly Rule<SetParam>[];
  private readonly overrides: readonly Rule<SetParam>[];
  private readonly filters: readonly Rule<JsonPath>[];
  private readonly plans = new Map<string, Plan>();

  private constructor(cfg: PayloadConfig) {
    const warnings: string[] = [];
    const sets = (
      section: 'default' | 'default-raw' | 'override' | 'override-raw',
    ): Rule<SetParam>[] =>
      cfg[section].map((rule, i) => ({
        models: compileModels(rule.models),
        params: compileParams(
          rule.params,
          section.endsWith('-raw'),
          `payload.${section}[${i}]`,
          warnings,
        ),
      }));
    this.defaults = [...sets('default'), ...sets('default-raw')];
    this.overrides = [...sets('override'), ...sets('override-raw')];
    this.filters = cfg.filter.map((rule, i) => ({
      models: compileModels(rule.models),
      params: rule.params.flatMap((p, j) => {
        const path = parseJsonPath(p);
        if (!path) warnings.push(`payload.filter[${i}].params[${j}]: empty path ignored`);
        return path ? [path] : [];
      }),
    }));
    const usable = (r: Rule<unknown>) => r.models.length > 0 && r.params.length > 0;
    this.empty = ![...this.defaults, ...this.overrides, ...this.filters].some(usable);
    this.warnings = warnings;
  }

  /** Compile the `payload:` section. */
  static compile(cfg: PayloadConfig): PayloadRules {
    return new PayloadRules(cfg);
  }

  /**
   * Apply the rules to an upstream body. Never changes `body`: the result shares every branch
   * no rule touched (no deep copy), and is `body` itself when nothing applies.
   */
  apply(body: Record<string, unknown>, target: PayloadTarget): Record<string, unknown> {
    if (this.empty) return body;
    const plan = this.planFor(target);
    if (plan === EMPTY_PLAN) return body;
    const root = ROOTS[target.format] ?? NO_ROOT;
    let out = body;
    const applied = new Set<string>();
    for (const d of plan.defaults) {
      // Checked against the body as translated: a field the client sent is never defaulted.
      if (applied.has(d.key)) continue;
      const path = underRoot(root, d.path);
      if (hasJsonPath(body, path)) continue;
      out = setJsonPath(out, path, d.value);
      applied.add(d.key);
    }
    for (const o of plan.overrides) out = setJsonPath(out, underRoot(root, o.path), o.value);
    for (const path of plan.removals) out = deleteJsonPath(out, underRoot(root, path));
    return out;
  }

  private planFor(target: PayloadTarget): Plan {
    const key = `${target.format}\u0000${target.model}\u0000${target.requestedModel ?? ''}`;
    let plan = this.plans.get(key);
    if (plan) return plan;
    const names = modelCandidates(target.model, target.requestedModel);
    const protocol = target.format;
    const matches = (r: Rule<unknown>) =>
      r.models.some(
        (m) => (m.protocol === undefined || m.protocol === protocol) && names.some(m.match),
      );
    plan = {
      defaults: this.defaults.filter(matches).flatMap((r) => r.params),
      overrides: this.overrides.filter(matches).flatMap((r) => r.params),
      removals: this.filters.filter(matches).flatMap((r) => r.params),
    };
    if (plan.defaults.length + plan.overrides.length + plan.removals.length === 0)
      plan = EMPTY_PLAN;
    if (this.plans.size >= MAX_PLANS) this.plans.clear();
    this.plans.set(key, plan);
    return plan;
  }
}

function compileModels(models: PayloadConfig['default'][number]['models']): ModelEntry[] {
  return models
    .filter((m) => m.name.trim() !== '')
    .map((m) => ({
      match: compileModelPatterns([m.name]),
      protocol: normaliseProtocol(m.protocol),
    }));
}

function compileParams(
  params: Record<string, unknown>,
  raw: boolean,
  where: string,
  warnings: string[],
): SetParam[] {
  const out: SetParam[] = [];
  for (const [key, value] of Object.entries(params)) {
    const path = parseJsonPath(key);
    if (!path) {
      warnings.push(`${where}: empty path "${key}" ignored`);
      continue;
    }
    if (!raw) {
      out.push({ path, key: path.join('\u0000'), value });
      continue;
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'string') {
      // A YAML value instead of JSON text: use it as it is, as CLIProxyAPI marshals it.
      out.push({ path, key: path.join('\u0000'), value });
      continue;
    }
    try {
      out.push({ path, key: path.join('\u0000'), value: JSON.parse(value) as unknown });
    } catch {
      warnings.push(`${where}: "${key}" is not valid JSON text; ignored`);
    }
  }
  return out;
}

/** The names a rule may match: the upstream model, the client's base name, its full name. */
function modelCandidates(model: string, requested: string | undefined): string[] {
  const out: string[] = [];
  const add = (v: string | undefined) => {
    const t = v?.trim();
    if (t && !out.some((o) => o.toLowerCase() === t.toLowerCase())) out.push(t);
  };
  add(model);
  if (requested) {
    const base = parseModelSuffix(requested).model;
    add(base);
    if (base !== requested) add(requested);
  }
  return out;
}

const compiled = new WeakMap<PayloadConfig, PayloadRules>();
const logger = new Logger('PayloadRules');

/** The compiled rules of a config version (compiled on first use, then reused). */
export function payloadRulesFor(cfg: Readonly<AppConfig>): PayloadRules {
  let rules = compiled.get(cfg.payload);
  if (!rules) {
    rules = PayloadRules.compile(cfg.payload);
    compiled.set(cfg.payload, rules);
    for (const w of rules.warnings) logger.warn(w);
  }
  return rules;
}
