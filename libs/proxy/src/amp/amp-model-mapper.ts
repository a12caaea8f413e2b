import { Logger } from '@nestjs/common';
import { RE2JS } from 're2js';
import type { AppConfig } from '@app/config';
import { parseModelSuffix } from '@app/llm';

/** `ampcode.model-mappings` as config.yaml gives them. */
export type AmpModelMappings = AppConfig['ampcode']['model-mappings'];

interface RegexRule {
  re: RE2JS;
  to: string;
}

/**
 * `ampcode.model-mappings`, compiled once per config version: an exact `from` (case-insensitive)
 * is looked up first, then the `regex: true` entries in the order written (RE2 syntax, as Go's
 * regexp in CLIProxyAPI, case-insensitive, matched anywhere in the name). Both match the
 * requested model without its thinking suffix. A bad pattern is skipped and reported in
 * `warnings` (config validation normally refuses it first).
 */
export class AmpModelMapper {
  readonly warnings: readonly string[];
  /** True when no mapping is configured. */
  readonly empty: boolean;
  private readonly exact = new Map<string, string>();
  private readonly regex: readonly RegexRule[];

  private constructor(mappings: AmpModelMappings) {
    const warnings: string[] = [];
    const regex: RegexRule[] = [];
    for (const m of mappings) {
      const from = m.from.trim();
      const to = m.to.trim();
      if (!from || !to) continue;
      if (!m.regex) {
        // The first mapping for a name wins, as CLIProxyAPI's rule order does.
        const key = from.toLowerCase();
        if (!this.exact.has(key)) this.exact.set(key, to);
        continue;
      }
      try {
        regex.push({ re: RE2JS.compile(from, RE2JS.CASE_INSENSITIVE), to });
      } catch (err) {
        warnings.push(`ampcode.model-mappings: invalid regex ${from}: ${(err as Error).message}`);
      }
    }
    this.regex = regex;
    this.warnings = warnings;
    this.empty = this.exact.size === 0 && regex.length === 0;
  }

  /** Compile the mappings of one config version. */
  static compile(mappings: AmpModelMappings): AmpModelMapper {
    return new AmpModelMapper(mappings);
  }

  /**
   * The target for a requested model, or undefined when no mapping matches. A thinking suffix
   * on the request (`(high)`, `(8192)`) is carried over unless the target names its own.
   */
  map(requested: string): string | undefined {
    if (this.empty || !requested) return undefined;
    const parsed = parseModelSuffix(requested);
    const base = parsed.model.trim();
    let target = this.exact.get(base.toLowerCase());
    if (target === undefined) {
      for (const r of this.regex) {
        if (r.re.test(base)) {
          target = r.to;
          break;
        }
      }
    }
    if (target === undefined) return undefined;
    if (parsed.model === requested) return target;
    const targetHasSuffix = parseModelSuffix(target).model !== target;
    return targetHasSuffix ? target : target + requested.slice(parsed.model.length);
  }
}

const compiled = new WeakMap<AmpModelMappings, AmpModelMapper>();
const logger = new Logger('Amp');

/** The compiled mappings of a config version (compiled on first use). */
export function ampModelMapperFor(cfg: Readonly<AppConfig>): AmpModelMapper {
  const list = cfg.ampcode['model-mappings'];
  let mapper = compiled.get(list);
  if (!mapper) {
    mapper = AmpModelMapper.compile(list);
    compiled.set(list, mapper);
    for (const w of mapper.warnings) logger.warn(w);
  }
  return mapper;
}
