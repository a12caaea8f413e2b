import { managementError } from '@app/common';
// Pure edits of config.yaml lists for the management API (CLIProxyAPI semantics). Each function
// takes the value read from the file and the request, and returns the new value or a refusal;
// nothing here touches the file, so the rules are tested without a gateway.

/** The outcome of an edit: the new value, or why nothing changes. */
export type EditResult<T> =
  { ok: true; value: T } | { ok: false; status: 400 | 404; error: string };

/** A parsed query string (`?index=1`); repeated parameters arrive as arrays. */
export type Query = Readonly<Record<string, unknown>>;

/** A config list item or map, as read from YAML or JSON. */
export type Entry = Record<string, unknown>;

/** The new value. */
export function ok<T>(value: T): EditResult<T> {
  return { ok: true, value };
}

/** A 400: the request itself is wrong. */
export function badRequest<T = never>(error: string): EditResult<T> {
  return { ok: false, status: 400, error };
}

/** A 404: the request names something the list does not hold. */
export function notFound<T = never>(error = 'item not found'): EditResult<T> {
  return { ok: false, status: 404, error };
}

/** True for `{…}` (not arrays, not null). */
export function isEntry(v: unknown): v is Entry {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The items of a list read from config.yaml; an absent key is an empty list. */
export function listOf(current: unknown): unknown[] {
  return Array.isArray(current) ? current : [];
}

/** The entries of a map read from config.yaml; an absent key is an empty map. */
export function mapOf(current: unknown): Entry {
  return isEntry(current) ? current : {};
}

/** A value compared the way CLIProxyAPI compares keys: as text, surrounding blanks ignored. */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** One query parameter: its first value when repeated, undefined when absent. */
export function queryParam(query: Query, name: string): string | undefined {
  const v = query[name];
  const first: unknown = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : undefined;
}

const WHOLE_NUMBER = /^-?\d+$/;

/**
 * An index into a list of `length` items, from a JSON number or query text: 400 when it is not
 * a whole number, 404 when no item sits there.
 */
export function readIndex(raw: unknown, length: number): EditResult<number> {
  const n = typeof raw === 'string' && WHOLE_NUMBER.test(raw.trim()) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    return badRequest(`index must be a whole number, got ${JSON.stringify(raw)}`);
  }
  if (n < 0 || n >= length) {
    return notFound(`item not found: no item at index ${n} (the list has ${length})`);
  }
  return ok(n);
}

/** The one index in `matches`: 404 when there is none, 400 (`ambiguous`) when there are more. */
export function onlyMatch(matches: readonly number[], ambiguous: string): EditResult<number> {
  if (matches.length === 0) return notFound();
  if (matches.length > 1) return badRequest(ambiguous);
  return ok(matches[0]);
}

/** A copy of `list` without the item at `index`. */
export function without<T>(list: readonly T[], index: number): T[] {
  return [...list.slice(0, index), ...list.slice(index + 1)];
}

/** A copy of `list` with the item at `index` replaced. */
export function replaced<T>(list: readonly T[], index: number, item: T): T[] {
  const out = [...list];
  out[index] = item;
  return out;
}

/**
 * The list of a PUT body: a raw array, or an object wrapping it in one of `wrappers`
 * (CLIProxyAPI accepts `{"items": […]}`, and `{"value": […]}` on the ampcode routes).
 */
export function readListBody(
  body: unknown,
  wrappers: readonly string[] = ['items'],
): EditResult<unknown[]> {
  if (Array.isArray(body)) return ok(body);
  if (isEntry(body)) {
    for (const w of wrappers) if (Array.isArray(body[w])) return ok(body[w]);
  }
  const shapes = ['[…]', ...wrappers.map((w) => `{"${w}": […]}`)].join(' or ');
  return badRequest(`invalid body: expected ${shapes}`);
}

// ---- string lists (api-keys) ------------------------------------------------------------------

/** A list of non-empty strings (trimmed); 400 naming the first bad item. */
export function readStringList(items: readonly unknown[], what: string): EditResult<string[]> {
  const out: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v !== 'string') return badRequest(`${what}[${i}] must be a string`);
    if (!v.trim()) return badRequest(`${what}[${i}] must not be empty`);
    out.push(v.trim());
  }
  return ok(out);
}

/**
 * PATCH of a string list: `{"index": n, "value": "…"}` replaces item n; `{"old": "…", "new": "…"}`
 * replaces the first item equal to `old`, or appends `new` when there is none.
 */
export function patchStringList(current: unknown, body: unknown): EditResult<unknown[]> {
  const list = listOf(current);
  const b = isEntry(body) ? body : {};
  if (b.index !== undefined && b.value !== undefined) {
    const value = readStringList([b.value], 'value');
    if (!value.ok) return value;
    const at = readIndex(b.index, list.length);
    return at.ok ? ok(replaced(list, at.value, value.value[0])) : at;
  }
  if (b.old !== undefined && b.new !== undefined) {
    const next = readStringList([b.new], 'new');
    if (!next.ok) return next;
    if (typeof b.old !== 'string') return badRequest('old must be a string');
    const old = b.old.trim();
    const at = list.findIndex((v) => textOf(v) === old);
    return ok(at >= 0 ? replaced(list, at, next.value[0]) : [...list, next.value[0]]);
  }
  return badRequest(
    'invalid body: expected {"old": "…", "new": "…"} or {"index": <integer>, "value": "…"}',
  );
}

/**
 * DELETE from a string list: `?index=n` removes item n; `?value=…` removes every item equal to
 * it (none is not an error, as in CLIProxyAPI).
 */
export function deleteFromStringList(current: unknown, query: Query): EditResult<unknown[]> {
  const list = listOf(current);
  const index = queryParam(query, 'index');
  if (index !== undefined && index !== '') {
    const at = readIndex(index, list.length);
    return at.ok ? ok(without(list, at.value)) : at;
  }
  const value = queryParam(query, 'value')?.trim();
  if (value) return ok(list.filter((v) => textOf(v) !== value));
  return badRequest('missing index or value');
}

// ---- entries ----------------------------------------------------------------------------------

// GET answers add `auth-index` to each entry; a client that sends an entry back must not store it.
const READ_ONLY_FIELDS: ReadonlySet<string> = new Set(['auth-index']);

/** A copy of `entry` with `fields` trimmed (when strings) and read-only fields left out. */
export function cleanEntry(entry: Entry, fields: readonly string[]): Entry {
  const out: Entry = {};
  for (const [k, v] of Object.entries(entry)) {
    if (READ_ONLY_FIELDS.has(k)) continue;
    out[k] = fields.includes(k) && typeof v === 'string' ? v.trim() : v;
  }
  return out;
}

/**
 * Partial update of one entry: each field of `patch` replaces the entry's field (objects and
 * lists whole), and `null` removes the field.
 */
export function mergeEntry(entry: Entry, patch: Entry): Entry {
  const out: Entry = { ...entry };
  for (const [k, v] of Object.entries(patch)) {
    if (READ_ONLY_FIELDS.has(k)) continue;
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Every item of a PUT list as an entry (trimmed `fields`); 400 naming the first non-object. */
export function readEntries(
  items: readonly unknown[],
  what: string,
  fields: readonly string[],
): EditResult<Entry[]> {
  const out: Entry[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isEntry(item)) return badRequest(`${what}[${i}] must be an object`);
    out.push(cleanEntry(item, fields));
  }
  return ok(out);
}

/** The `value` object of a PATCH body, or a 400 describing the expected shape. */
export function readPatchValue(body: unknown, shape: string): EditResult<Entry> {
  if (isEntry(body) && isEntry(body.value)) return ok(body.value);
  return badRequest(`invalid body: expected ${shape}`);
}

/** The value of an edit, or its refusal thrown as an AppError (`{"error": …}`). */
export function valueOrThrow<T>(result: EditResult<T>): T {
  if (!result.ok) throw managementError(result.status, result.error);
  return result.value;
}
