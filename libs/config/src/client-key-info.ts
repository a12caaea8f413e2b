import { keyId } from '@app/common';
import type { AppConfig } from '@app/config/config.schema';

/** What config.yaml says about one client key, resolved against `api-keys`. */
export interface ClientKeyInfo {
  /** Short id of the key (`keyId`): how usage, the request log and this table name it. */
  readonly keyId: string;
  readonly label?: string;
  readonly owner?: string;
  /** ISO time, as written. */
  readonly created?: string;
  /** ISO time, as written. */
  readonly expires?: string;
  /** `expires` in ms since epoch (undefined: never expires). */
  readonly expiresAt?: number;
  readonly note?: string;
}

/** Every configured client key's info, by key id; names of `api-key-info` matching no key. */
export interface ClientKeyTable {
  readonly byKeyId: ReadonlyMap<string, ClientKeyInfo>;
  /** `api-key-info` entries that name no key of `api-keys` (left alone, listed as orphans). */
  readonly orphans: readonly string[];
  /** True when some key has an expiry (the proxy's check is a single branch otherwise). */
  readonly expiring: boolean;
}

const KEY_ID = /^[0-9a-f]{8}$/;
const tables = new WeakMap<object, ClientKeyTable>();

/**
 * Resolve `api-key-info` against `api-keys`: an entry is named by the client key itself or by
 * its key id (what the management API writes, so the secret is not stored twice). An entry
 * named both ways is merged, the key id's fields winning. Cached per loaded config.
 */
export function clientKeyTable(cfg: Pick<AppConfig, 'api-keys' | 'api-key-info'>): ClientKeyTable {
  const cached = tables.get(cfg);
  if (cached) return cached;
  const ids = new Map<string, string>();
  for (const k of cfg['api-keys']) ids.set(k, keyId(k));
  const known = new Set(ids.values());
  const merged = new Map<string, ClientKeyInfo>();
  const orphans: string[] = [];
  const info = cfg['api-key-info'] ?? {};
  // Names by key first, key ids second: an id entry then overrides field by field.
  const names = Object.keys(info).sort((a, b) => Number(KEY_ID.test(a)) - Number(KEY_ID.test(b)));
  for (const name of names) {
    const id = ids.get(name) ?? (KEY_ID.test(name) && known.has(name) ? name : undefined);
    if (id === undefined) {
      orphans.push(KEY_ID.test(name) ? name : keyId(name));
      continue;
    }
    const e = info[name];
    const prev = merged.get(id);
    const next: ClientKeyInfo = { ...prev, keyId: id, ...definedFields(e) };
    merged.set(id, withExpiry(next));
  }
  let expiring = false;
  for (const v of merged.values()) if (v.expiresAt !== undefined) expiring = true;
  const table: ClientKeyTable = { byKeyId: merged, orphans, expiring };
  tables.set(cfg, table);
  return table;
}

function definedFields(e: AppConfig['api-key-info'][string]): Partial<ClientKeyInfo> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(e)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out;
}

function withExpiry(i: ClientKeyInfo): ClientKeyInfo {
  if (!i.expires) return i;
  const ms = parseIsoTime(i.expires);
  return ms === undefined ? i : { ...i, expiresAt: ms };
}

/**
 * An ISO date or date-time as ms since epoch: a bare date is midnight UTC, a time without an
 * offset is UTC too (a config file is read on servers in every zone; one reading for all).
 */
export function parseIsoTime(text: string): number | undefined {
  const t = text.trim();
  const withZone = /(?:Z|[+-]\d{2}:?\d{2})$/.test(t) || !t.includes(':') ? t : `${t}Z`;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}

/** When the key expired, if it has at `now` (undefined: valid, or no info). */
export function expiredAt(
  table: ClientKeyTable,
  id: string,
  now = Date.now(),
): ClientKeyInfo | undefined {
  if (!table.expiring) return undefined;
  const i = table.byKeyId.get(id);
  return i?.expiresAt !== undefined && i.expiresAt <= now ? i : undefined;
}
