import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, parseDocument, stringify, Scalar, type Document } from 'yaml';

/** A path into the YAML document: `['remote-management', 'secret-key']`. */
export type YamlPath = readonly (string | number)[];

/** The outcome of editing one key. */
export type YamlEditResult = { ok: true; text: string } | { ok: false; error: string };

function parse(text: string): Document | string {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length) return `config.yaml does not parse: ${doc.errors[0].message}`;
  return doc;
}

/** The value at `path` of a YAML text (undefined when absent or unparseable). */
export function readYamlValue(text: string, path: YamlPath): unknown {
  const doc = parse(text);
  return typeof doc === 'string' ? undefined : toJs(doc.getIn(path));
}

function toJs(node: unknown): unknown {
  if (node && typeof node === 'object' && 'toJSON' in node) {
    return (node as { toJSON(): unknown }).toJSON();
  }
  return node;
}

/** The source text of a scalar value in the style of the scalar it replaces. */
function scalarText(
  value: string | number | boolean | null,
  style: Scalar['type'],
): string | undefined {
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  if (style === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  if (style === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
  const plain = stringify(value, { lineWidth: 0 }).trimEnd();
  // Multi-line or block output would not fit where a one-line scalar was.
  return plain.includes('\n') ? JSON.stringify(value) : plain;
}

/**
 * Set one key of a YAML text. When the key already holds a scalar and the new value is one, only
 * that scalar's characters change (comments, quoting, indentation and key order stay as they
 * were); a new top-level scalar is appended; anything else goes through the YAML document model,
 * which keeps comments but may re-indent.
 */
export function setYamlValue(text: string, path: YamlPath, value: unknown): YamlEditResult {
  const doc = parse(text);
  if (typeof doc === 'string') return { ok: false, error: doc };
  const node = doc.getIn(path, true);
  const isScalarValue = value === null || ['string', 'number', 'boolean'].includes(typeof value);
  if (isScalar(node) && isScalarValue && node.range) {
    const replacement = scalarText(value as string | number | boolean | null, node.type);
    if (replacement !== undefined) {
      const [start, end] = node.range;
      const next = text.slice(0, start) + replacement + text.slice(end);
      // Trust the splice only when the result reads back as intended.
      if (isDeepStrictEqual(readYamlValue(next, path), value)) return { ok: true, text: next };
    }
  }
  // A new top-level scalar key goes at the end of the file, leaving the rest byte for byte.
  if (
    path.length === 1 &&
    node === undefined &&
    isScalarValue &&
    (doc.contents === null || isMap(doc.contents))
  ) {
    const line = stringify({ [path[0]]: value }, { lineWidth: 0 });
    const next = `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}`;
    if (isDeepStrictEqual(readYamlValue(next, path), value)) return { ok: true, text: next };
  }
  if (doc.contents === null) doc.contents = doc.createNode({});
  doc.setIn(path, value);
  return { ok: true, text: doc.toString({ lineWidth: 0 }) };
}
