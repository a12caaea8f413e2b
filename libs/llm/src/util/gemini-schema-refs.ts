// Gemini Schema cleaning: $ref lookup in $defs/definitions and allOf merging.
import { isRecord } from '@app/llm/util/json';
import { stringArray } from '@app/llm/util/gemini-schema-keywords';

const REF_PREFIXES = ['#/$defs/', '#/definitions/'] as const;

type Schema = Record<string, unknown>;

export interface CleanState {
  defs: Schema;
  /** Refs being inlined right now (cycle detection). */
  resolving: string[];
}

export function refName(ref: string): string | undefined {
  for (const prefix of REF_PREFIXES) {
    if (ref.startsWith(prefix)) {
      const raw = ref.slice(prefix.length);
      if (raw.includes('/')) return undefined; // nested pointers are not supported
      return decodePointer(raw);
    }
  }
  return undefined;
}

const ESCAPED_SLASH = /~1/g;
const ESCAPED_TILDE = /~0/g;

function decodePointer(token: string): string {
  let out = token;
  if (out.includes('%')) {
    try {
      out = decodeURIComponent(out);
    } catch {
      // keep the raw token
    }
  }
  return out.includes('~') ? out.replace(ESCAPED_SLASH, '/').replace(ESCAPED_TILDE, '~') : out;
}

/** Nested allOf chains deeper than this are left unmerged. */
const MAX_ALLOF_LEVEL = 8;

/**
 * Shallow-merge allOf branches into their parent (properties and required are unioned). `$ref`
 * branches are expanded first, since `allOf: [{$ref: Base}, {…}]` is how schemas say "extends".
 */
export function mergeAllOf(node: Schema, state: CleanState, level: number): Schema {
  const { allOf, ...rest } = node;
  const merged: Schema = { ...rest };
  const props: Schema = isRecord(rest.properties) ? { ...rest.properties } : {};
  const required = new Set<string>(stringArray(rest.required));
  let sawProps = isRecord(rest.properties);
  for (const raw of allOf as unknown[]) {
    if (!isRecord(raw)) continue;
    let branch = raw;
    if (typeof branch.$ref === 'string') {
      const name = refName(branch.$ref);
      const target = name === undefined ? undefined : state.defs[name];
      const usable = isRecord(target) && name !== undefined && !state.resolving.includes(name);
      const { $ref: _ref, ...siblings } = branch;
      branch = usable ? { ...target, ...siblings } : siblings;
    }
    if (Array.isArray(branch.allOf) && level < MAX_ALLOF_LEVEL) {
      branch = mergeAllOf(branch, state, level + 1);
    }
    for (const key in branch) {
      const value = branch[key];
      if (key === 'properties' && isRecord(value)) {
        Object.assign(props, value);
        sawProps = true;
      } else if (key === 'required') {
        for (const r of stringArray(value)) required.add(r);
      } else if (merged[key] === undefined) {
        merged[key] = value;
      }
    }
  }
  if (sawProps) merged.properties = props;
  if (required.size > 0) merged.required = [...required];
  return merged;
}
