// Edits of the Amp CLI lists under `ampcode:`: model-mappings (keyed by `from`) and
// upstream-api-keys (keyed by `upstream-api-key`). PUT replaces, PATCH upserts by key, DELETE
// removes the keys listed in `{"value": [...]}` (CLIProxyAPI's bodies).
import { RE2JS } from 're2js';
import {
  badRequest,
  isEntry,
  listOf,
  ok,
  readListBody,
  textOf,
  type EditResult,
  type Entry,
} from '@app/management/config-routes/list-edit';

/** One `ampcode.model-mappings` item. */
export type AmpModelMapping = { from: string; to: string; regex?: boolean };

/** One `ampcode.upstream-api-keys` item: the Amp key used for the listed client keys. */
export type AmpUpstreamKey = { 'upstream-api-key': string; 'api-keys': string[] };

const WRAPPERS = ['value', 'items'];

/** The list of a PUT/PATCH body: `{"value": […]}` (CLIProxyAPI), `{"items": […]}` or `[…]`. */
function readItems(body: unknown): EditResult<unknown[]> {
  return readListBody(body, WRAPPERS);
}

function isRe2(pattern: string): boolean {
  try {
    // Go's regexp (CLIProxyAPI) is RE2: check the pattern with the same syntax.
    RE2JS.compile(pattern);
    return true;
  } catch {
    return false;
  }
}

/** Model mappings of a PUT/PATCH body; 400 naming the first bad item. */
export function readModelMappings(body: unknown): EditResult<AmpModelMapping[]> {
  const items = readItems(body);
  if (!items.ok) return items;
  const out: AmpModelMapping[] = [];
  for (let i = 0; i < items.value.length; i++) {
    const item = items.value[i];
    const where = `model-mappings[${i}]`;
    if (!isEntry(item)) return badRequest(`${where} must be {"from": "…", "to": "…"}`);
    const from = typeof item.from === 'string' ? item.from.trim() : '';
    const to = typeof item.to === 'string' ? item.to.trim() : '';
    if (!from || !to) return badRequest(`${where} needs non-empty "from" and "to" strings`);
    if (item.regex !== undefined && typeof item.regex !== 'boolean') {
      return badRequest(`${where}.regex must be a boolean`);
    }
    if (item.regex === true && !isRe2(from)) {
      return badRequest(`${where}.from is not a valid regular expression`);
    }
    out.push(item.regex === true ? { from, to, regex: true } : { from, to });
  }
  return ok(out);
}

/** Upstream key entries of a PUT/PATCH body: keys trimmed, entries without a key dropped. */
export function readUpstreamKeys(body: unknown): EditResult<AmpUpstreamKey[]> {
  const items = readItems(body);
  if (!items.ok) return items;
  const out: AmpUpstreamKey[] = [];
  for (let i = 0; i < items.value.length; i++) {
    const item = items.value[i];
    const where = `upstream-api-keys[${i}]`;
    if (!isEntry(item)) {
      return badRequest(`${where} must be {"upstream-api-key": "…", "api-keys": ["…"]}`);
    }
    const key: unknown = item['upstream-api-key'];
    if (key !== undefined && typeof key !== 'string') {
      return badRequest(`${where}.upstream-api-key must be a string`);
    }
    const clientKeys: unknown = item['api-keys'] ?? [];
    if (!Array.isArray(clientKeys) || clientKeys.some((k) => typeof k !== 'string')) {
      return badRequest(`${where}.api-keys must be a list of strings`);
    }
    const upstream = typeof key === 'string' ? key.trim() : '';
    if (!upstream) continue;
    const keys = [...new Set((clientKeys as string[]).map((k) => k.trim()).filter(Boolean))];
    out.push({ 'upstream-api-key': upstream, 'api-keys': keys });
  }
  return ok(out);
}

/**
 * `items` merged into the list read from the file by their `field`: an item whose key is
 * already there replaces that entry, any other is appended.
 */
export function upsertBy(current: unknown, items: readonly Entry[], field: string): unknown[] {
  const out = [...listOf(current)];
  const at = new Map<string, number>();
  out.forEach((e, i) => {
    if (isEntry(e)) at.set(textOf(e[field]), i);
  });
  for (const item of items) {
    const key = textOf(item[field]);
    const i = at.get(key);
    if (i === undefined) {
      at.set(key, out.length);
      out.push(item);
    } else {
      out[i] = item;
    }
  }
  return out;
}

/** The list read from the file without the entries whose `field` is one of `keys`. */
export function removeBy(current: unknown, keys: ReadonlySet<string>, field: string): unknown[] {
  return listOf(current).filter((e) => !isEntry(e) || !keys.has(textOf(e[field])));
}

/**
 * The keys of a DELETE body `{"value": ["…"]}`: an empty list means "remove every entry" (an
 * empty set here). A missing list is a 400 rather than "remove all", so a bodiless DELETE never
 * wipes the list by accident.
 */
export function readDeleteKeys(body: unknown, what: string): EditResult<Set<string>> {
  const value: unknown = isEntry(body) ? body.value : undefined;
  if (!Array.isArray(value)) {
    return badRequest(
      `missing value: send {"value": ["<${what}>", …]}, or {"value": []} to remove every entry`,
    );
  }
  if (value.some((v) => typeof v !== 'string')) return badRequest('value must list strings');
  const keys = new Set((value as string[]).map((v) => v.trim()).filter(Boolean));
  if (value.length > 0 && keys.size === 0) return badRequest('empty value');
  return ok(keys);
}
