// Gemini Schema keyword tables and the per-keyword steps of cleaning (type, enum, format, notes).
import { isRecord } from '@app/llm/util/json';

/** Keywords of Gemini's Schema object (ai.google.dev `Schema`, Vertex AI `Schema`). */
export const GEMINI_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

/** Validation keywords Gemini lacks; their value is kept as a note in `description`. */
export const NOTED_KEYWORDS: ReadonlySet<string> = new Set([
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'uniqueItems',
  'patternProperties',
  'propertyNames',
  'contains',
  'minContains',
  'maxContains',
  'prefixItems',
  'dependentRequired',
  'dependentSchemas',
  'dependencies',
  'contentEncoding',
  'contentMediaType',
  'not',
  'if',
  'then',
  'else',
  'deprecated',
]);

/** `format` values Gemini accepts per type; others move into the description. */
const FORMATS_BY_TYPE: Readonly<Record<string, ReadonlySet<string>>> = {
  string: new Set(['enum', 'date-time']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
};

/** Keywords that only make sense for one JSON type (used when a type array is split). */
const TYPE_OF_KEYWORD: Readonly<Record<string, string>> = {
  items: 'array',
  minItems: 'array',
  maxItems: 'array',
  properties: 'object',
  required: 'object',
  minProperties: 'object',
  maxProperties: 'object',
  propertyOrdering: 'object',
  minLength: 'string',
  maxLength: 'string',
  pattern: 'string',
  minimum: 'number',
  maximum: 'number',
};

export const NUMERIC_KEYWORDS = [
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
] as const;

type Schema = Record<string, unknown>;

/** Resolve `type` (string or array) into Gemini's single type + nullable, or anyOf branches. */
export function applyType(node: Schema, out: Schema): void {
  const type = node.type;
  if (typeof type === 'string') {
    if (type === 'null') out.nullable = true;
    else out.type = type;
    return;
  }
  if (!Array.isArray(type)) {
    if (out.type === undefined && !out.anyOf) {
      if (out.properties !== undefined) out.type = 'object';
      else if (out.items !== undefined) out.type = 'array';
    }
    return;
  }
  const types: string[] = [];
  for (const t of type) {
    if (t === 'null') out.nullable = true;
    else if (typeof t === 'string' && !types.includes(t)) types.push(t);
  }
  if (types.length === 1) {
    out.type = types[0];
    return;
  }
  if (types.length === 0) return;
  // Several real types: split keywords by the type they belong to.
  const branches: Schema[] = types.map((t) => ({ type: t }));
  for (const key of Object.keys(out)) {
    const owner = TYPE_OF_KEYWORD[key];
    if (owner === undefined) continue;
    const target = branches.find(
      (b) => b.type === owner || (owner === 'number' && b.type === 'integer'),
    );
    if (target) target[key] = out[key];
    delete out[key];
  }
  for (const b of branches) finishObject(b);
  out.anyOf = branches;
}

export function applyEnum(node: Schema, out: Schema, notes: string[]): void {
  let values: unknown[] | undefined;
  if (node.const !== undefined) values = [node.const];
  else if (Array.isArray(node.enum)) values = node.enum;
  if (!values) return;
  const nonNull = values.filter((v) => v !== null);
  if (nonNull.length < values.length) out.nullable = true;
  if (nonNull.length === 0) return;
  const allStrings = nonNull.every((v) => typeof v === 'string');
  if (out.type === undefined && !out.anyOf && allStrings) out.type = 'string';
  if (out.type === 'string') {
    out.enum = nonNull.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  } else {
    // Gemini enums hold strings only; for other types the allowed values become a note.
    notes.push(`allowed values: ${nonNull.map((v) => JSON.stringify(v)).join(', ')}`);
  }
}

export function applyFormat(node: Schema, out: Schema, notes: string[]): void {
  const format = node.format;
  if (typeof format !== 'string') return;
  const allowed = typeof out.type === 'string' ? FORMATS_BY_TYPE[out.type] : undefined;
  if (allowed?.has(format)) out.format = format;
  else notes.push(`format: ${format}`);
}

/** Drop an empty `properties` and required names that do not exist. */
export function finishObject(out: Schema): void {
  const props = out.properties;
  if (isRecord(props)) {
    let empty = true;
    for (const _ in props) {
      empty = false;
      break;
    }
    if (empty) {
      delete out.properties;
      delete out.required;
      delete out.propertyOrdering;
      return;
    }
    if (out.required !== undefined) {
      const required = stringArray(out.required).filter((r) => r in props);
      if (required.length > 0) out.required = required;
      else delete out.required;
    }
  } else if (out.required !== undefined) {
    delete out.required;
  }
}

export function appendNotes(out: Schema, notes: string[]): void {
  const text = notes.join('; ');
  const desc = out.description;
  out.description = typeof desc === 'string' && desc !== '' ? `${desc} (${text})` : text;
}

export function noteFor(key: string, value: unknown): string {
  return `${key}: ${isRecord(value) ? describe(value) : JSON.stringify(value)}`;
}

/** Short human text for a sub-schema inside a note. */
export function describe(schema: Schema): string {
  const text = JSON.stringify(schema);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

export function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
