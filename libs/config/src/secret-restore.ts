import { isMap, isPair, isScalar, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { childSchema, isPlainObject, unwrap, type FieldMark } from '@app/config/config.marks';
import { configSchema, maskMapKey, maskMarkedValue } from '@app/config/config.schema';

/** A path into a config value: keys and list indexes. */
export type ConfigPath = readonly (string | number)[];

/** A masked value in an incoming config and the stored secret it stands for. */
export type MaskedSecret =
  /** The value at `path` is the listing form of `secret`. */
  | { kind: 'value'; path: ConfigPath; secret: string }
  /** The map at `path` has the key `masked`: the listing form of its stored key `secret`. */
  | { kind: 'key'; path: ConfigPath; masked: string; secret: string };

/** What to put back before an incoming config is written. */
export interface SecretRestorePlan {
  restore: MaskedSecret[];
  /** Masked values that stand for more than one stored secret: the writer must say which. */
  ambiguous: ConfigPath[];
}

/** A stored secret and the form listings showed it in. */
interface StoredSecret {
  path: ConfigPath;
  value: string;
  masked: string;
}

interface Visitor {
  /** A secret scalar (`key` is its key in the parent: a header name). */
  leaf(
    mark: FieldMark,
    value: string,
    key: string | number | undefined,
    path: ConfigPath,
    slot: string,
  ): void;
  /** A map whose keys are secrets (per-client `limits`). */
  secretKeys(keys: string[], path: ConfigPath, slot: string): void;
}

/**
 * Walk the secrets of `value` as `schema` marks them. `slot` names a place up to list indexes
 * (`gemini-api-key[*].api-key`): an entry may move in a list between a read and a write.
 */
function walk(
  schema: z.ZodTypeAny,
  value: unknown,
  path: ConfigPath,
  slot: string,
  visit: Visitor,
  key?: string | number,
): void {
  const { core, mark } = unwrap(schema);
  if (Array.isArray(value) && core instanceof z.ZodArray) {
    const element = core.element as z.ZodTypeAny;
    value.forEach((item, i) => walk(element, item, [...path, i], `${slot}[*]`, visit, i));
    return;
  }
  if (isPlainObject(value) && core instanceof z.ZodObject) {
    for (const k of Object.keys(value)) {
      const field = childSchema(core, k);
      if (field) walk(field, value[k], [...path, k], `${slot}.${k}`, visit, k);
    }
    return;
  }
  if (isPlainObject(value) && core instanceof z.ZodRecord) {
    if (mark.secret === 'map-keys') visit.secretKeys(Object.keys(value), path, slot);
    const inner = core.valueSchema as z.ZodTypeAny;
    // Header names are case-insensitive; other map keys are data and name the place as they are.
    for (const k of Object.keys(value))
      walk(inner, value[k], [...path, k], `${slot}.${JSON.stringify(k.toLowerCase())}`, visit, k);
    return;
  }
  if (typeof value === 'string' && mark.secret && mark.secret !== 'map-keys')
    visit.leaf(mark, value, key, path, slot);
}

function samePath(a: ConfigPath, b: ConfigPath): boolean {
  return a.length === b.length && a.every((seg, i) => seg === b[i]);
}

/**
 * The listing form of every key of a secret-keyed map, as `maskConfig` wrote it (two keys that
 * mask alike get ` #2`, ` #3`… in order): listing form → stored key.
 */
function listedKeys(keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of keys) {
    let shown = maskMapKey(k);
    for (let n = 2; out.has(shown); n++) shown = `${maskMapKey(k)} #${n}`;
    out.set(shown, k);
  }
  return out;
}

/**
 * Find the places where `incoming` holds the masked listing form of a secret `stored` holds
 * (what `GET /config` used to answer, and what older panels send back): each is to keep the
 * stored secret. A masked value matching one stored secret of the same place (any index of the
 * same list) stands for it; matching several, the one at the same index, else it is ambiguous.
 * A value equal to a stored secret, or matching none, is taken as sent.
 */
export function planSecretRestore(
  schema: z.ZodTypeAny,
  incoming: unknown,
  stored: unknown,
): SecretRestorePlan {
  const secrets = new Map<string, StoredSecret[]>();
  const keyMaps = new Map<string, { path: ConfigPath; keys: string[] }[]>();
  walk(schema, stored, [], '', {
    leaf(mark, value, key, path, slot) {
      const masked = maskMarkedValue(mark, value, key);
      if (typeof masked !== 'string' || masked === value) return;
      const list = secrets.get(slot) ?? [];
      list.push({ path, value, masked });
      secrets.set(slot, list);
    },
    secretKeys(keys, path, slot) {
      const list = keyMaps.get(slot) ?? [];
      list.push({ path, keys });
      keyMaps.set(slot, list);
    },
  });

  const plan: SecretRestorePlan = { restore: [], ambiguous: [] };
  if (secrets.size === 0 && keyMaps.size === 0) return plan;
  walk(schema, incoming, [], '', {
    leaf(_mark, value, _key, path, slot) {
      const pool = secrets.get(slot);
      if (!pool || pool.some((s) => s.value === value)) return;
      const matches = pool.filter((s) => s.masked === value);
      const distinct = new Set(matches.map((s) => s.value));
      if (distinct.size === 0) return;
      const pick = distinct.size === 1 ? matches[0] : matches.find((s) => samePath(s.path, path));
      if (pick) plan.restore.push({ kind: 'value', path, secret: pick.value });
      else plan.ambiguous.push(path);
    },
    secretKeys(keys, path, slot) {
      const maps = keyMaps.get(slot);
      if (!maps) return;
      // The stored map at the same place, else the only one there is.
      const same =
        maps.find((m) => samePath(m.path, path)) ?? (maps.length === 1 ? maps[0] : undefined);
      if (!same) return;
      const shown = listedKeys(same.keys);
      const present = new Set(keys);
      for (const k of keys) {
        if (same.keys.includes(k)) continue;
        const secret = shown.get(k);
        if (secret === undefined || secret === k) continue;
        if (present.has(secret)) plan.ambiguous.push([...path, k]);
        else plan.restore.push({ kind: 'key', path, masked: k, secret });
      }
    },
  });
  return plan;
}

function containerAt(root: unknown, path: ConfigPath): unknown {
  let node = root;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

/** A copy of `value` with the plan's stored secrets put back. */
export function applySecretRestore(value: unknown, plan: SecretRestorePlan): unknown {
  if (plan.restore.length === 0) return value;
  const out = structuredClone(value);
  for (const r of plan.restore) {
    if (r.kind === 'value') {
      const parent = containerAt(out, r.path.slice(0, -1));
      if (parent !== null && typeof parent === 'object')
        (parent as Record<string | number, unknown>)[r.path[r.path.length - 1]] = r.secret;
      continue;
    }
    const map = containerAt(out, r.path);
    if (!isPlainObject(map)) continue;
    // Rebuild in order so the renamed key keeps its place.
    const entries = Object.entries(map);
    for (const k of Object.keys(map)) delete map[k];
    for (const [k, v] of entries) map[k === r.masked ? r.secret : k] = v;
  }
  return out;
}

/** The outcome of `restoreSecretsInText`. */
export interface TextRestoreResult {
  text: string;
  /** How many masked values were replaced by their stored secret. */
  restored: number;
  ambiguous: ConfigPath[];
}

function parse(text: string): Document | undefined {
  const doc = parseDocument(text, { merge: true, uniqueKeys: false });
  return doc.errors.length > 0 ? undefined : doc;
}

function toJs(doc: Document): unknown {
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch {
    return undefined;
  }
}

/** The source range of the node a restore rewrites (a scalar value, or a map key). */
function rangeOf(doc: Document, r: MaskedSecret): [number, number] | undefined {
  if (r.kind === 'value') {
    const node = doc.getIn(r.path, true);
    return isScalar(node) && node.range ? [node.range[0], node.range[1]] : undefined;
  }
  const map = r.path.length === 0 ? doc.contents : doc.getIn(r.path, true);
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    if (isPair(pair) && isScalar(pair.key) && pair.key.value === r.masked && pair.key.range)
      return [pair.key.range[0], pair.key.range[1]];
  }
  return undefined;
}

/**
 * config.yaml text with every masked secret (see `planSecretRestore`) replaced by the secret
 * `storedText` holds. Only those scalars change, so comments and layout stay; should a splice
 * not read back as intended (an unusual scalar style), the document is re-serialised instead.
 * Text that does not parse is returned unchanged (the validation that follows reports it).
 */
export function restoreSecretsInText(
  text: string,
  storedText: string | undefined,
  schema: z.ZodTypeAny = configSchema,
): TextRestoreResult {
  const unchanged = { text, restored: 0, ambiguous: [] };
  if (storedText === undefined) return unchanged;
  const doc = parse(text);
  const storedDoc = parse(storedText);
  if (!doc || !storedDoc) return unchanged;
  const plan = planSecretRestore(schema, toJs(doc), toJs(storedDoc));
  if (plan.restore.length === 0) return { ...unchanged, ambiguous: plan.ambiguous };

  const wanted = applySecretRestore(toJs(doc), plan);
  // Splice from the end so earlier ranges stay valid; trust the result only if it reads back.
  const splices = plan.restore.map((r) => ({ r, range: rangeOf(doc, r) }));
  let next: string | undefined;
  if (splices.every((s) => s.range)) {
    let spliced = text;
    for (const { r, range } of splices.sort((a, b) => b.range![0] - a.range![0])) {
      spliced = spliced.slice(0, range![0]) + JSON.stringify(r.secret) + spliced.slice(range![1]);
    }
    const back = parse(spliced);
    // JSON text compares the data alone (YAML maps may come without a prototype).
    if (back && JSON.stringify(toJs(back)) === JSON.stringify(wanted)) next = spliced;
  }
  if (next === undefined) {
    doc.contents = doc.createNode(wanted);
    next = doc.toString({ lineWidth: 0 });
  }
  return { text: next, restored: plan.restore.length, ambiguous: plan.ambiguous };
}
