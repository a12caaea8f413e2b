import { isRecord } from '@app/llm/util/json';

/**
 * JSON Schema ↔ Gemini `Schema` (the OpenAPI 3.0 subset used by function declarations and
 * `responseSchema`).
 *
 * Gemini rejects keywords outside its subset with 400 INVALID_ARGUMENT, so tool schemas written
 * for OpenAI or Claude are cleaned before they go upstream: `$ref` is inlined, `const` becomes a
 * one-value `enum`, type arrays and `anyOf`/`oneOf` are simplified, and validation keywords Gemini
 * does not know are removed with a note in `description` so the model still sees the constraint.
 */

/** Keywords of Gemini's Schema object (ai.google.dev `Schema`, Vertex AI `Schema`). */
const GEMINI_KEYWORDS: ReadonlySet<string> = new Set([
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
const NOTED_KEYWORDS: ReadonlySet<string> = new Set([
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

const NUMERIC_KEYWORDS = [
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
] as const;

/** Deeper schemas are cut rather than walked (protects against pathological input). */
const MAX_DEPTH = 48;

const REF_PREFIXES = ['#/$defs/', '#/definitions/'] as const;

type Schema = Record<string, unknown>;

interface CleanState {
  defs: Schema;
  /** Refs being inlined right now (cycle detection). */
  resolving: string[];
}

/**
 * Clean a JSON Schema into Gemini's Schema subset. Never mutates the input; returns a new object.
 * Non-object input yields `{}`.
 */
export function cleanGeminiSchema(schema: unknown): Schema {
  if (!isRecord(schema)) return {};
  const defs: Schema = {};
  collectDefs(schema, defs);
  return cleanNode(schema, { defs, resolving: [] }, 0);
}

/**
 * Clean a tool's parameter schema: an object schema, or `undefined` when the tool takes no
 * arguments (Gemini rejects an OBJECT whose `properties` is empty).
 */
export function cleanGeminiParameters(schema: unknown): Schema | undefined {
  const cleaned = cleanGeminiSchema(schema);
  if (cleaned.type === undefined && cleaned.properties !== undefined) cleaned.type = 'object';
  if (cleaned.type === 'object' && cleaned.properties === undefined && !cleaned.anyOf) {
    return undefined;
  }
  if (cleaned.type === undefined && Object.keys(cleaned).length === 0) return undefined;
  return cleaned;
}

function collectDefs(root: Schema, into: Schema): void {
  for (const key of ['definitions', '$defs']) {
    const defs = root[key];
    if (isRecord(defs)) Object.assign(into, defs);
  }
}

function cleanNode(input: Schema, state: CleanState, depth: number): Schema {
  if (depth > MAX_DEPTH) return { type: 'object', description: '(schema truncated: too deep)' };

  const ref = input.$ref;
  if (typeof ref === 'string') return cleanRef(ref, input, state, depth);

  let node = input;
  if (Array.isArray(node.allOf)) node = mergeAllOf(node, state, 0);

  const out: Schema = {};
  const notes: string[] = [];

  // Composite keywords first: they can decide the node's type.
  const union = Array.isArray(node.anyOf) ? node.anyOf : node.oneOf;
  if (Array.isArray(union)) {
    const simplified = simplifyUnion(union, state, depth);
    if (simplified.nullable) out.nullable = true;
    if (simplified.single) Object.assign(out, simplified.single);
    else if (simplified.branches) out.anyOf = simplified.branches;
  }

  for (const key in node) {
    const value = node[key];
    switch (key) {
      case 'type':
      case 'anyOf':
      case 'oneOf':
      case 'allOf':
      case 'const':
      case 'enum':
      case 'examples':
      case 'format':
        break; // handled below
      case 'properties':
        if (isRecord(value)) {
          const props: Schema = {};
          for (const name in value) {
            const child = value[name];
            props[name] = isRecord(child) ? cleanNode(child, state, depth + 1) : {};
          }
          out.properties = props;
        }
        break;
      case 'items':
        if (isRecord(value)) out.items = cleanNode(value, state, depth + 1);
        else if (Array.isArray(value) && isRecord(value[0])) {
          // Draft-4 tuple form: keep the first item schema, note the rest.
          out.items = cleanNode(value[0], state, depth + 1);
          if (value.length > 1) notes.push(`items: tuple of ${value.length}`);
        }
        break;
      case 'additionalProperties':
        // false / true say nothing the model needs; a schema does.
        if (isRecord(value)) notes.push(`additionalProperties: ${describe(value)}`);
        break;
      case 'description':
        if (typeof value === 'string') out.description = value;
        break;
      default:
        if (GEMINI_KEYWORDS.has(key)) {
          if (out[key] === undefined) out[key] = value;
        } else if (NOTED_KEYWORDS.has(key)) {
          notes.push(key === 'deprecated' && value === true ? 'deprecated' : noteFor(key, value));
        }
      // Anything else ($schema, $id, $defs, $comment, readOnly, x-…) is dropped silently.
    }
  }

  applyType(node, out);
  applyEnum(node, out, notes);
  applyFormat(node, out, notes);

  const examples = node.examples;
  if (out.example === undefined && Array.isArray(examples) && examples.length > 0) {
    out.example = examples[0];
  }

  for (const key of NUMERIC_KEYWORDS) {
    const v = out[key];
    if (typeof v === 'string' && v !== '' && !Number.isNaN(Number(v))) out[key] = Number(v);
  }

  finishObject(out);
  if (notes.length > 0) appendNotes(out, notes);
  return out;
}

function cleanRef(ref: string, input: Schema, state: CleanState, depth: number): Schema {
  const name = refName(ref);
  const target = name === undefined ? undefined : state.defs[name];
  let resolved: Schema;
  if (name === undefined || !isRecord(target)) {
    resolved = { type: 'object', description: `(unresolved reference ${ref})` };
  } else if (state.resolving.includes(name)) {
    // A recursive type: stop here instead of inlining forever.
    resolved = { type: 'object', description: `(recursive ${name}, structure omitted)` };
  } else {
    state.resolving.push(name);
    resolved = cleanNode(target, state, depth + 1);
    state.resolving.pop();
  }
  // Sibling keywords of $ref (description, title…) override the referenced schema.
  let hasSiblings = false;
  for (const key in input) {
    if (key !== '$ref') {
      hasSiblings = true;
      break;
    }
  }
  if (!hasSiblings) return resolved;
  const { $ref: _ignored, ...siblings } = input;
  const extra = cleanNode(siblings, state, depth + 1);
  return { ...resolved, ...extra };
}

function refName(ref: string): string | undefined {
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
function mergeAllOf(node: Schema, state: CleanState, level: number): Schema {
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

interface SimplifiedUnion {
  nullable: boolean;
  /** One remaining branch, merged into the parent. */
  single?: Schema;
  /** Several branches, kept as anyOf. */
  branches?: Schema[];
}

function simplifyUnion(union: unknown[], state: CleanState, depth: number): SimplifiedUnion {
  let nullable = false;
  const branches: Schema[] = [];
  for (const raw of union) {
    if (!isRecord(raw)) continue;
    if (raw.type === 'null' || (raw.const === null && raw.type === undefined)) {
      nullable = true;
      continue;
    }
    branches.push(cleanNode(raw, state, depth + 1));
  }
  if (branches.length === 0) return { nullable };
  if (branches.length === 1) return { nullable, single: branches[0] };
  // A union of string constants is just an enum.
  const values: string[] = [];
  for (const b of branches) {
    if (b.type !== 'string' || !Array.isArray(b.enum) || b.anyOf) return { nullable, branches };
    for (const v of b.enum as unknown[]) values.push(String(v));
  }
  return { nullable, single: { type: 'string', enum: [...new Set(values)] } };
}

/** Resolve `type` (string or array) into Gemini's single type + nullable, or anyOf branches. */
function applyType(node: Schema, out: Schema): void {
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

function applyEnum(node: Schema, out: Schema, notes: string[]): void {
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

function applyFormat(node: Schema, out: Schema, notes: string[]): void {
  const format = node.format;
  if (typeof format !== 'string') return;
  const allowed = typeof out.type === 'string' ? FORMATS_BY_TYPE[out.type] : undefined;
  if (allowed?.has(format)) out.format = format;
  else notes.push(`format: ${format}`);
}

/** Drop an empty `properties` and required names that do not exist. */
function finishObject(out: Schema): void {
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

function appendNotes(out: Schema, notes: string[]): void {
  const text = notes.join('; ');
  const desc = out.description;
  out.description = typeof desc === 'string' && desc !== '' ? `${desc} (${text})` : text;
}

function noteFor(key: string, value: unknown): string {
  return `${key}: ${isRecord(value) ? describe(value) : JSON.stringify(value)}`;
}

/** Short human text for a sub-schema inside a note. */
function describe(schema: Schema): string {
  const text = JSON.stringify(schema);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Convert a Gemini Schema (OpenAPI subset: upper-case types, `nullable`, int64 counts as strings)
 * into plain JSON Schema for OpenAI / Claude targets. Returns a new object.
 */
export function geminiSchemaToJsonSchema(schema: unknown): Schema {
  if (!isRecord(schema)) return {};
  const out: Schema = {};
  let nullable = false;
  for (const key in schema) {
    const value = schema[key];
    switch (key) {
      case 'type':
        out.type = typeof value === 'string' ? value.toLowerCase() : value;
        break;
      case 'nullable':
        nullable = value === true;
        break;
      case 'properties':
        if (isRecord(value)) {
          const props: Schema = {};
          for (const name in value) props[name] = geminiSchemaToJsonSchema(value[name]);
          out.properties = props;
        }
        break;
      case 'items':
        out.items = geminiSchemaToJsonSchema(value);
        break;
      case 'anyOf':
        if (Array.isArray(value)) out.anyOf = value.map((v) => geminiSchemaToJsonSchema(v));
        break;
      case 'propertyOrdering':
        break; // Gemini-only hint
      case 'example':
        out.examples = [value];
        break;
      default:
        out[key] =
          typeof value === 'string' &&
          (NUMERIC_KEYWORDS as readonly string[]).includes(key) &&
          value !== '' &&
          !Number.isNaN(Number(value))
            ? Number(value)
            : value;
    }
  }
  if (out.format === 'enum') delete out.format;
  if (nullable) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (Array.isArray(out.anyOf)) out.anyOf = [...(out.anyOf as unknown[]), { type: 'null' }];
  }
  return out;
}
