// Edits of the credential lists in config.yaml: the API-key lists (gemini-api-key…) and
// openai-compatibility (CLIProxyAPI's PATCH by index or match, DELETE by key or index).
import { API_KEY_SECTIONS, type ApiKeySection } from '@app/providers';
import {
  badRequest,
  cleanEntry,
  isEntry,
  listOf,
  mergeEntry,
  ok,
  onlyMatch,
  queryParam,
  readEntries,
  readIndex,
  readListBody,
  readPatchValue,
  replaced,
  textOf,
  without,
  type EditResult,
  type Entry,
  type Query,
} from '@app/management/config-routes/list-edit';

/** The config.yaml lists holding one provider API key per entry (one per registry row). */
export const KEY_LIST_SECTIONS: readonly ApiKeySection[] = API_KEY_SECTIONS;

/** One of KEY_LIST_SECTIONS. */
export type KeyListSection = ApiKeySection;

/** Text fields of a key entry stored trimmed (CLIProxyAPI trims them too). */
const KEY_FIELDS = ['api-key', 'base-url', 'proxy-url', 'prefix'] as const;
const COMPAT_FIELDS = ['name', 'base-url', 'prefix'] as const;
const COMPAT_KEY_FIELDS = ['api-key', 'proxy-url'] as const;

const KEY_PATCH_SHAPE =
  '{"index": <integer>, "value": {…}} or {"match": "<api-key>", "value": {…}}';
const COMPAT_PATCH_SHAPE = '{"name": "…", "value": {…}} or {"index": <integer>, "value": {…}}';

/** PUT body of a key list: `[…]` or `{"items": […]}`, each entry an object. */
export function readKeyList(body: unknown, section: string): EditResult<Entry[]> {
  const items = readListBody(body);
  return items.ok ? readEntries(items.value, section, KEY_FIELDS) : items;
}

/** Indexes of the entries whose api-key is `apiKey` (and base-url is `baseUrl`, when given). */
function keyMatches(list: readonly unknown[], apiKey: string, baseUrl?: string): number[] {
  const out: number[] = [];
  list.forEach((e, i) => {
    if (!isEntry(e) || textOf(e['api-key']) !== apiKey) return;
    if (baseUrl !== undefined && textOf(e['base-url']) !== baseUrl.trim()) return;
    out.push(i);
  });
  return out;
}

/**
 * PATCH of a key list: the entry at `index`, or the one whose api-key is `match` (narrowed by
 * `?base-url=`), gets the fields of `value`; an empty api-key removes the entry. 404 when no
 * entry matches, 400 when several do.
 */
export function patchKeyList(current: unknown, body: unknown, query: Query): EditResult<unknown[]> {
  const patch = readPatchValue(body, KEY_PATCH_SHAPE);
  if (!patch.ok) return patch;
  const b = body as Entry;
  const list = listOf(current);
  let target: EditResult<number>;
  if (b.index !== undefined) {
    target = readIndex(b.index, list.length);
  } else if (typeof b.match === 'string' && b.match.trim()) {
    const matches = keyMatches(list, b.match.trim(), queryParam(query, 'base-url'));
    target = onlyMatch(matches, 'multiple items match; index is required');
  } else {
    return badRequest(`invalid body: expected ${KEY_PATCH_SHAPE}`);
  }
  if (!target.ok) return target;
  const entry = list[target.value];
  const merged = cleanEntry(mergeEntry(isEntry(entry) ? entry : {}, patch.value), KEY_FIELDS);
  if (!textOf(merged['api-key'])) return ok(without(list, target.value));
  return ok(replaced(list, target.value, merged));
}

/**
 * DELETE from a key list: `?api-key=…` (with `&base-url=…` to tell entries sharing a key apart)
 * or `?index=n`. Nothing is deleted when the request is ambiguous (400) or matches nothing (404).
 */
export function deleteFromKeyList(current: unknown, query: Query): EditResult<unknown[]> {
  const list = listOf(current);
  const apiKey = queryParam(query, 'api-key')?.trim();
  if (apiKey) {
    const baseUrl = queryParam(query, 'base-url');
    const at = onlyMatch(
      keyMatches(list, apiKey, baseUrl),
      baseUrl === undefined
        ? 'multiple items match api-key; base-url is required'
        : 'multiple items match; index is required',
    );
    return at.ok ? ok(without(list, at.value)) : at;
  }
  const index = queryParam(query, 'index');
  if (index !== undefined && index !== '') {
    const at = readIndex(index, list.length);
    return at.ok ? ok(without(list, at.value)) : at;
  }
  return badRequest('missing api-key or index');
}

// ---- openai-compatibility ---------------------------------------------------------------------

function cleanCompat(entry: Entry): Entry {
  const out = cleanEntry(entry, COMPAT_FIELDS);
  const keys = out['api-key-entries'];
  if (Array.isArray(keys)) {
    out['api-key-entries'] = keys.map((k: unknown) =>
      isEntry(k) ? cleanEntry(k, COMPAT_KEY_FIELDS) : k,
    );
  }
  return out;
}

/** PUT body of openai-compatibility: `[…]` or `{"items": […]}`, each entry an object. */
export function readCompatList(body: unknown): EditResult<Entry[]> {
  const items = readListBody(body);
  if (!items.ok) return items;
  const entries = readEntries(items.value, 'openai-compatibility', []);
  return entries.ok ? ok(entries.value.map(cleanCompat)) : entries;
}

function nameMatches(list: readonly unknown[], name: string): number[] {
  const out: number[] = [];
  list.forEach((e, i) => {
    if (isEntry(e) && textOf(e.name) === name) out.push(i);
  });
  return out;
}

/**
 * PATCH of openai-compatibility: the entry at `index`, or the one called `name`, gets the fields
 * of `value`; an empty base-url removes the entry (CLIProxyAPI's convention).
 */
export function patchCompatList(current: unknown, body: unknown): EditResult<unknown[]> {
  const patch = readPatchValue(body, COMPAT_PATCH_SHAPE);
  if (!patch.ok) return patch;
  const b = body as Entry;
  const list = listOf(current);
  let target: EditResult<number>;
  if (b.index !== undefined) {
    target = readIndex(b.index, list.length);
  } else if (typeof b.name === 'string' && b.name.trim()) {
    target = onlyMatch(
      nameMatches(list, b.name.trim()),
      'multiple entries have that name; index is required',
    );
  } else {
    return badRequest(`invalid body: expected ${COMPAT_PATCH_SHAPE}`);
  }
  if (!target.ok) return target;
  const entry = list[target.value];
  const merged = cleanCompat(mergeEntry(isEntry(entry) ? entry : {}, patch.value));
  if (!textOf(merged['base-url'])) return ok(without(list, target.value));
  return ok(replaced(list, target.value, merged));
}

/** DELETE from openai-compatibility: `?name=…` or `?index=n`. */
export function deleteFromCompatList(current: unknown, query: Query): EditResult<unknown[]> {
  const list = listOf(current);
  const name = queryParam(query, 'name')?.trim();
  if (name) {
    const at = onlyMatch(
      nameMatches(list, name),
      'multiple entries have that name; index is required',
    );
    return at.ok ? ok(without(list, at.value)) : at;
  }
  const index = queryParam(query, 'index');
  if (index !== undefined && index !== '') {
    const at = readIndex(index, list.length);
    return at.ok ? ok(without(list, at.value)) : at;
  }
  return badRequest('missing name or index');
}
