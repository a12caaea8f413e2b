import { z } from 'zod';

/**
 * How a secret field is hidden in listings:
 * - `token`: the whole string (API keys, management secret),
 * - `url`: only the password inside a URL (`redis://user:****@host`),
 * - `header`: a header value, hidden only when the header name looks sensitive,
 * - `map-keys`: the KEYS of a map are secrets (per-client-key limits are keyed by the key).
 */
export type SecretKind = 'token' | 'url' | 'header' | 'map-keys';

/** What the schema says about one field beyond its type. */
export interface FieldMark {
  secret?: SecretKind;
  /** A filesystem path: `~` is expanded when the config is loaded. */
  path?: boolean;
}

// Marks live beside the schema objects rather than inside them so zod stays untouched and a
// marked schema can be reused anywhere.
const marks = new WeakMap<z.ZodTypeAny, FieldMark>();

function mark<T extends z.ZodTypeAny>(schema: T, add: FieldMark): T {
  marks.set(schema, { ...marks.get(schema), ...add });
  return schema;
}

/** Mark a field as secret so `maskConfig` hides it in every listing. */
export function secret<T extends z.ZodTypeAny>(schema: T, kind: SecretKind = 'token'): T {
  return mark(schema, { secret: kind });
}

/** Mark a field as a filesystem path (`~` is expanded on load). */
export function filePath<T extends z.ZodTypeAny>(schema: T): T {
  return mark(schema, { path: true });
}

/** A schema stripped of its wrappers (default, optional, effects…), with the marks found on the way. */
export interface Unwrapped {
  core: z.ZodTypeAny;
  mark: FieldMark;
  nullable: boolean;
}

/** Peel default/optional/nullable/effects wrappers off a schema, collecting marks on every layer. */
export function unwrap(schema: z.ZodTypeAny): Unwrapped {
  let s = schema;
  let found: FieldMark = {};
  let nullable = false;
  for (;;) {
    const m = marks.get(s);
    if (m) found = { ...found, ...m };
    if (s instanceof z.ZodDefault || s instanceof z.ZodCatch || s instanceof z.ZodReadonly) {
      s = (s._def as { innerType: z.ZodTypeAny }).innerType;
    } else if (s instanceof z.ZodOptional) {
      s = s.unwrap() as z.ZodTypeAny;
    } else if (s instanceof z.ZodNullable) {
      nullable = true;
      s = s.unwrap() as z.ZodTypeAny;
    } else if (s instanceof z.ZodEffects) {
      s = s.innerType() as z.ZodTypeAny;
    } else if (s instanceof z.ZodBranded) {
      s = s.unwrap() as z.ZodTypeAny;
    } else if (s instanceof z.ZodLazy) {
      s = s.schema as z.ZodTypeAny;
    } else if (s instanceof z.ZodPipeline) {
      s = (s._def as { in: z.ZodTypeAny }).in;
    } else {
      break;
    }
  }
  if (s instanceof z.ZodNull || s instanceof z.ZodUnknown || s instanceof z.ZodAny) nullable = true;
  return { core: s, mark: found, nullable };
}

/** True for `{…}` values (not arrays, not null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schema of a child field/item/entry, or undefined when the schema does not know it. */
export function childSchema(core: z.ZodTypeAny, key: string | number): z.ZodTypeAny | undefined {
  if (core instanceof z.ZodObject) {
    const shape = core.shape as Record<string, z.ZodTypeAny>;
    return typeof key === 'string' && Object.hasOwn(shape, key) ? shape[key] : undefined;
  }
  if (core instanceof z.ZodArray) return core.element as z.ZodTypeAny;
  if (core instanceof z.ZodRecord) return core.valueSchema as z.ZodTypeAny;
  return undefined;
}

/** Callbacks for `mapMarked`. */
export interface MarkVisitor {
  /** Replace a marked scalar; `key` is its key in the parent (header name for `header`). */
  value: (mark: FieldMark, value: unknown, key: string | number | undefined) => unknown;
  /** Rename a key of a map marked `map-keys`. */
  key?: (key: string) => string;
}

/** Deep copy of plain data (JSON-like values from YAML). */
export function cloneData(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneData);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = cloneData(v[k]);
    return out;
  }
  return v;
}

/**
 * Deep copy of `value` guided by `schema`, letting `visitor` replace marked fields. Values the
 * schema does not describe (unknown keys) are copied unchanged.
 */
export function mapMarked(
  schema: z.ZodTypeAny,
  value: unknown,
  visitor: MarkVisitor,
  key?: string | number,
): unknown {
  const { core, mark: m } = unwrap(schema);
  if (Array.isArray(value) && core instanceof z.ZodArray) {
    const element = core.element as z.ZodTypeAny;
    return value.map((item, i) => mapMarked(element, item, visitor, i));
  }
  if (isPlainObject(value) && core instanceof z.ZodObject) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      const field = childSchema(core, k);
      out[k] = field ? mapMarked(field, value[k], visitor, k) : cloneData(value[k]);
    }
    return out;
  }
  if (isPlainObject(value) && core instanceof z.ZodRecord) {
    const out: Record<string, unknown> = {};
    const inner = core.valueSchema as z.ZodTypeAny;
    const rename = m.secret === 'map-keys' ? visitor.key : undefined;
    for (const k of Object.keys(value)) {
      let outKey = rename ? rename(k) : k;
      // Two masked keys can look alike; keep both entries visible.
      for (let n = 2; rename && Object.hasOwn(out, outKey); n++) outKey = `${rename(k)} #${n}`;
      out[outKey] = mapMarked(inner, value[k], visitor, k);
    }
    return out;
  }
  if ((m.secret && m.secret !== 'map-keys') || m.path) return visitor.value(m, value, key);
  return cloneData(value);
}

/** Freeze an object graph in place and return it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
