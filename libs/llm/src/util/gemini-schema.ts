// JSON Schema ↔ Gemini Schema: the cleaning walk and the reverse conversion.
import { isRecord } from '@app/llm/util/json';
import {
  GEMINI_KEYWORDS,
  NOTED_KEYWORDS,
  NUMERIC_KEYWORDS,
  appendNotes,
  applyEnum,
  applyFormat,
  applyType,
  describe,
  finishObject,
  noteFor,
} from '@app/llm/util/gemini-schema-keywords';
import { type CleanState, mergeAllOf, refName } from '@app/llm/util/gemini-schema-refs';

/**
 * JSON Schema ↔ Gemini `Schema` (the OpenAPI 3.0 subset used by function declarations and
 * `responseSchema`).
 *
 * Gemini rejects keywords outside its subset with 400 INVALID_ARGUMENT, so tool schemas written
 * for OpenAI or Claude are cleaned before they go upstream: `$ref` is inlined, `const` becomes a
 * one-value `enum`, type arrays and `anyOf`/`oneOf` are simplified, and validation keywords Gemini
 * does not know are removed with a note in `description` so the model still sees the constraint.
 * The keyword tables and per-keyword steps live in gemini-schema-keywords.ts, `$ref` and `allOf`
 * handling in gemini-schema-refs.ts.
 */

/** Deeper schemas are cut rather than walked (protects against pathological input). */
const MAX_DEPTH = 48;

type Schema = Record<string, unknown>;

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
