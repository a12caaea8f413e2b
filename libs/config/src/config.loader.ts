import { homedir } from 'node:os';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import {
  childSchema,
  deepFreeze,
  isPlainObject,
  mapMarked,
  unwrap,
  type FieldMark,
  type Unwrapped,
} from '@app/config/config.marks';
import { configSchema, maskSecret, type AppConfig } from '@app/config/config.schema';

/** One problem (or warning) in config.yaml, located by YAML path and 1-based line. */
export interface ConfigIssue {
  path: string;
  line?: number;
  column?: number;
  message: string;
}

/** The outcome of parsing config.yaml text. */
export type ConfigParseResult =
  | { ok: true; config: Readonly<AppConfig>; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[] };

type Segment = string | number;

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;
const HOME_PREFIX = /^~(?=$|[\\/])/;

/** Replace a leading `~` with the user's home directory. */
export function expandHome(p: string): string {
  if (!HOME_PREFIX.test(p)) return p;
  return p.length === 1 ? homedir() : join(homedir(), p.slice(2));
}

/**
 * Render a path the way it reads in YAML: `gemini-api-key[1].api-key`. Keys of maps whose keys
 * are secrets (per-client `limits`) are masked so the path can be logged.
 */
export function displayPath(segments: readonly Segment[]): string {
  let out = '';
  let schema: z.ZodTypeAny | undefined = configSchema;
  for (const seg of segments) {
    const u: Unwrapped | undefined = schema ? unwrap(schema) : undefined;
    let text = String(seg);
    if (u?.mark.secret === 'map-keys' && typeof seg === 'string') text = maskSecret(seg);
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(text)) out += out ? `.${text}` : text;
    else out += `[${JSON.stringify(text)}]`;
    schema = u ? childSchema(u.core, seg) : undefined;
  }
  return out;
}

/**
 * Where `segments` points in the YAML: the line of the key (for a map entry) or of the item
 * (for a list entry). A path into something the file does not contain (a missing required
 * field) resolves to its nearest ancestor that exists.
 */
function locate(root: unknown, segments: readonly Segment[], lc: LineCounter) {
  let node: unknown = root;
  let offset: number | undefined = isNodeWithRange(root) ? root.range[0] : undefined;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && scalarText(p.key) === String(seg));
      if (!pair) break;
      if (isNodeWithRange(pair.key)) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (!isNodeWithRange(item)) break;
      offset = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  if (offset === undefined) return {};
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function isNodeWithRange(v: unknown): v is Node & { range: [number, number, number] } {
  return typeof v === 'object' && v !== null && Array.isArray((v as { range?: unknown }).range);
}

function scalarText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

interface UnknownKey {
  segments: Segment[];
  value: unknown;
  known: readonly string[];
}

/**
 * Walk the raw YAML data along the schema before validation: note keys the schema does not know
 * (they are put back after validation) and drop `key:` entries left empty, which Go's decoder
 * reads as "absent" (users comment out the items of a list and keep its key).
 */
function prepare(schema: z.ZodTypeAny, raw: unknown, segments: Segment[], out: UnknownKey[]) {
  const { core } = unwrap(schema);
  if (Array.isArray(raw)) {
    const element = childSchema(core, 0);
    if (element) raw.forEach((item, i) => prepare(element, item, [...segments, i], out));
    return;
  }
  if (!isPlainObject(raw)) return;
  for (const key of Object.keys(raw)) {
    const field = childSchema(core, key);
    if (!field) {
      if (core instanceof z.ZodObject) {
        const known = Object.keys(core.shape as Record<string, unknown>);
        out.push({ segments: [...segments, key], value: raw[key], known });
      }
      continue;
    }
    if (raw[key] === null && !unwrap(field).nullable) {
      delete raw[key];
      continue;
    }
    prepare(field, raw[key], [...segments, key], out);
  }
}

function setIn(target: unknown, segments: readonly Segment[], value: unknown): void {
  let node = target;
  for (const seg of segments.slice(0, -1)) {
    node = (node as Record<Segment, unknown> | undefined)?.[seg];
  }
  if (isPlainObject(node)) node[segments[segments.length - 1]] = value;
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys (short strings only). */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  const hint = best ? ` (did you mean "${best}"?)` : '';
  return `unknown key, kept but not used by Switchboard${hint}`;
}

const expandPaths = {
  value: (m: FieldMark, v: unknown) => (m.path && typeof v === 'string' ? expandHome(v) : v),
};

function byLine(a: ConfigIssue, b: ConfigIssue): number {
  return (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
}

/**
 * Parse and validate config.yaml text. Every problem is reported at once, each with its YAML
 * path and line; unknown keys become warnings and stay in the returned (deep-frozen) config.
 */
export function parseConfig(text: string): ConfigParseResult {
  const lc = new LineCounter();
  // `merge: true` honours `<<: *anchor` as yaml.v3 (CLIProxyAPI) does.
  const doc = parseDocument(text, {
    lineCounter: lc,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
  });

  // A syntax error makes the rest of the tree unreliable: report the syntax errors alone.
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e): ConfigIssue => {
      const pos = lc.linePos(e.pos[0]);
      return { path: '', line: pos.line, column: pos.col, message: `YAML syntax: ${e.message}` };
    });
    return { ok: false, errors };
  }

  const warnings: ConfigIssue[] = doc.warnings.map((w) => {
    const pos = lc.linePos(w.pos[0]);
    return { path: '', line: pos.line, column: pos.col, message: `YAML: ${w.message}` };
  });

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  } catch (err) {
    return { ok: false, errors: [{ path: '', message: (err as Error).message }] };
  }
  if (!isPlainObject(raw)) {
    const where = locate(doc.contents, [], lc);
    return {
      ok: false,
      errors: [{ path: '', ...where, message: 'config.yaml must be a mapping of keys to values' }],
    };
  }

  const unknown: UnknownKey[] = [];
  prepare(configSchema, raw, [], unknown);

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue): ConfigIssue => ({
      path: displayPath(issue.path),
      ...locate(doc.contents, issue.path, lc),
      message: issue.message,
    }));
    return { ok: false, errors: errors.sort(byLine) };
  }

  for (const u of unknown) {
    setIn(parsed.data, u.segments, u.value);
    const key = String(u.segments[u.segments.length - 1]);
    warnings.push({
      path: displayPath(u.segments),
      ...locate(doc.contents, u.segments, lc),
      message: unknownKeyMessage(key, u.known),
    });
  }

  const config = mapMarked(configSchema, parsed.data, expandPaths) as AppConfig;
  return { ok: true, config: deepFreeze(config), warnings: warnings.sort(byLine) };
}

/**
 * One message listing every issue:
 * `config.yaml: 2 problems:\n  - line 4: port: Expected number, received string\n  - …`.
 */
export function formatConfigIssues(issues: ConfigIssue[], file: string, noun = 'problem'): string {
  const head = `${file}: ${issues.length} ${noun}${issues.length === 1 ? '' : 's'}:`;
  const lines = issues.map((i) => {
    const where = i.line !== undefined ? `line ${i.line}: ` : '';
    const path = i.path ? `${i.path}: ` : '';
    return `  - ${where}${path}${i.message}`;
  });
  return [head, ...lines].join('\n');
}
