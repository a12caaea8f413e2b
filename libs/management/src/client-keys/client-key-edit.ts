// Pure rules of the client-key routes (`/v0/management/client-keys`): reading a request body into
// validated fields, and applying them to `api-key-info`. Every refusal names the setting.
import { randomBytes } from 'node:crypto';
import { keyId } from '@app/common';
import { parseIsoTime } from '@app/config';
import {
  badRequest,
  isEntry,
  mapOf,
  notFound,
  ok,
  type EditResult,
  type Entry,
} from '@app/management/config-routes/list-edit';

/** The fields of `api-key-info` a request may set (`null` or `""` clears one). */
export interface KeyInfoFields {
  label?: string | null;
  owner?: string | null;
  expires?: string | null;
  note?: string | null;
}

const LIMITS: Readonly<Record<keyof KeyInfoFields, number>> = {
  label: 80,
  owner: 120,
  expires: 40,
  note: 500,
};

const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
/** What a client key may look like: printable, no blanks (it travels in headers and `?key=`). */
const KEY_TEXT = /^[\x21-\x7e]{8,200}$/;
const KEY_ID = /^[0-9a-f]{8}$/;

/** A new key: `sk-` and 48 random hex digits (192 bits). */
export function generateClientKey(): string {
  return `sk-${randomBytes(24).toString('hex')}`;
}

/** The info fields of a body, validated; unknown fields are refused so a typo is not lost. */
export function readInfoFields(body: Entry, allowed: readonly string[]): EditResult<KeyInfoFields> {
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k))
      return badRequest(`${k}: unknown field (expected ${allowed.join(', ')})`);
  }
  const out: KeyInfoFields = {};
  for (const name of Object.keys(LIMITS) as (keyof KeyInfoFields)[]) {
    if (!(name in body)) continue;
    const v = body[name];
    if (v === null || v === '') {
      out[name] = null;
      continue;
    }
    if (typeof v !== 'string') return badRequest(`${name}: expected a string`);
    const text = name === 'note' ? v : v.trim();
    if (text.length > LIMITS[name])
      return badRequest(`${name}: at most ${LIMITS[name]} characters`);
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\x00-\x08\x0b-\x1f\x7f]/.test(text)) {
      return badRequest(`${name}: control characters are not allowed`);
    }
    if (name === 'expires' && (!ISO_TIME.test(text) || parseIsoTime(text) === undefined)) {
      return badRequest(
        `expires: expected an ISO 8601 date or time such as 2026-01-31 or 2026-01-31T18:00:00Z, got "${text.slice(0, 40)}"`,
      );
    }
    out[name] = text;
  }
  return ok(out);
}

/** The key a create request brings (or a new one when it brings none). */
export function readNewKey(body: Entry): EditResult<string> {
  const raw = body.key;
  if (raw === undefined || raw === null || raw === '') return ok(generateClientKey());
  if (typeof raw !== 'string') return badRequest('key: expected a string');
  const key = raw.trim();
  if (!KEY_TEXT.test(key)) {
    return badRequest('key: 8 to 200 printable characters without spaces');
  }
  return ok(key);
}

/** The key id a request names (`key_id`, or the key itself as `key`). */
export function readKeyRef(source: Entry): EditResult<string> {
  const id = source.key_id;
  if (typeof id === 'string' && id.trim()) {
    const t = id.trim().toLowerCase();
    return KEY_ID.test(t) ? ok(t) : badRequest('key_id: expected the 8 hex digits of a key id');
  }
  const key = source.key;
  if (typeof key === 'string' && key.trim()) return ok(keyId(key.trim()));
  return badRequest('key_id: name the key by its key_id (or send the key itself as key)');
}

/** The api-keys entry with this key id, if any. */
export function findKey(apiKeys: unknown, id: string): string | undefined {
  if (!Array.isArray(apiKeys)) return undefined;
  for (const k of apiKeys) if (typeof k === 'string' && keyId(k) === id) return k;
  return undefined;
}

/**
 * `api-key-info` with the entry of `id` updated by `fields` (an entry named by the key itself
 * moves to its key id, so the secret is written once, in api-keys). An entry left empty goes.
 */
export function applyInfo(
  current: unknown,
  id: string,
  key: string | undefined,
  fields: KeyInfoFields & { created?: string },
): EditResult<Entry> {
  const map: Entry = { ...mapOf(current) };
  const prior: Entry = {};
  for (const name of [key, id]) {
    if (name === undefined || !(name in map)) continue;
    const e = map[name];
    if (isEntry(e)) Object.assign(prior, e);
    delete map[name];
  }
  const next: Entry = { ...prior };
  for (const [k, v] of Object.entries(fields)) {
    if (v === null || v === undefined) delete next[k];
    else next[k] = v;
  }
  if (Object.keys(next).length > 0) map[id] = next;
  return ok(map);
}

/** `api-key-info` without the entries of `id` (and of the key, when named by it). */
export function removeInfo(
  current: unknown,
  id: string,
  key: string | undefined,
): EditResult<Entry> {
  const map: Entry = { ...mapOf(current) };
  delete map[id];
  if (key !== undefined) delete map[key];
  return ok(map);
}

/** api-keys with `key` appended; refused when it is already there. */
export function addKey(current: unknown, key: string): EditResult<unknown[]> {
  const list = Array.isArray(current) ? [...(current as unknown[])] : [];
  if (list.some((k) => typeof k === 'string' && k.trim() === key)) {
    return badRequest('key: this key is already in api-keys');
  }
  list.push(key);
  return ok(list);
}

/** api-keys without the key of `id`. */
export function dropKey(current: unknown, id: string): EditResult<unknown[]> {
  const list = Array.isArray(current) ? (current as unknown[]) : [];
  const next = list.filter((k) => !(typeof k === 'string' && keyId(k) === id));
  if (next.length === list.length) return notFound(`key_id: no key with id ${id} in api-keys`);
  return ok(next);
}
