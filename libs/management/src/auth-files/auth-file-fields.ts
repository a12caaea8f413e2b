import { maskSecret, maskUrlPassword } from '@app/config';
import { checkProxyUrl } from '@app/upstream';

type JsonObject = Record<string, unknown>;

/** Fields `PATCH /auth-files/fields` may change (CLIProxyAPI's editable auth-file metadata). */
export const PATCHABLE_FIELDS = [
  'prefix',
  'proxy_url',
  'priority',
  'note',
  'headers',
  'excluded_models',
  'disable_cooling',
] as const;

/** Alternative spellings the credential parser also reads; a patch writes the canonical key. */
const ALIASES: Readonly<Record<string, string>> = {
  'excluded-models': 'excluded_models',
  'disable-cooling': 'disable_cooling',
  'proxy-url': 'proxy_url',
};

const PATCHABLE: ReadonlySet<string> = new Set(PATCHABLE_FIELDS);
const INTEGER = /^-?\d+$/;

/** The patched file content, or why the patch is refused. */
export type FieldPatchResult =
  { ok: true; data: JsonObject; changed: string[] } | { ok: false; error: string };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Remove `key` and its alias spellings. */
function drop(out: JsonObject, key: string): void {
  delete out[key];
  for (const [alias, canonical] of Object.entries(ALIASES))
    if (canonical === key) delete out[alias];
}

/** A string field: `null` or blank removes it. */
function setString(out: JsonObject, key: string, v: unknown): string | undefined {
  if (v === null) {
    drop(out, key);
    return undefined;
  }
  if (typeof v !== 'string') return `${key} must be a string or null`;
  const t = v.trim();
  drop(out, key);
  if (t) out[key] = t;
  return undefined;
}

/** The stored value when `sent` is only its masked listing form, else what was sent. */
function unmasked(sent: unknown, stored: unknown, mask: (s: string) => string): unknown {
  if (typeof sent !== 'string' || typeof stored !== 'string') return sent;
  const shown = mask(stored);
  return shown !== stored && sent.trim() === shown ? stored : sent;
}

/**
 * Put back the stored proxy password and header values a patch sends in masked form: a panel
 * that shows them masked must not write the mask over the secret.
 */
function keepStoredSecrets(data: JsonObject, key: string, v: unknown): unknown {
  if (key === 'proxy_url') {
    const stored = data.proxy_url ?? data['proxy-url'];
    return unmasked(v, stored, maskUrlPassword);
  }
  if (key === 'headers' && isObject(v) && isObject(data.headers)) {
    const stored = data.headers;
    const out: JsonObject = {};
    for (const [name, value] of Object.entries(v)) {
      const same = Object.keys(stored).find((k) => k.toLowerCase() === name.trim().toLowerCase());
      out[name] = same === undefined ? value : unmasked(value, stored[same], maskSecret);
    }
    return out;
  }
  return v;
}

function applyOne(out: JsonObject, key: string, v: unknown): string | undefined {
  switch (key) {
    case 'prefix':
    case 'note':
      return setString(out, key, v);
    case 'proxy_url': {
      if (typeof v === 'string') {
        const t = v.trim();
        const special = t === '' || ['direct', 'none'].includes(t.toLowerCase());
        const problem = special ? undefined : checkProxyUrl(t);
        if (problem) return problem;
      }
      return setString(out, key, v);
    }
    case 'priority': {
      if (v === null) {
        drop(out, key);
        return undefined;
      }
      const ok =
        (typeof v === 'number' && Number.isInteger(v)) ||
        (typeof v === 'string' && INTEGER.test(v.trim()));
      if (!ok) return 'priority must be an integer or null';
      out.priority = typeof v === 'number' ? v : Number(v.trim());
      return undefined;
    }
    case 'headers': {
      if (v === null) {
        drop(out, key);
        return undefined;
      }
      if (!isObject(v)) return 'headers must be an object of strings (a blank value removes one)';
      const merged: Record<string, unknown> = isObject(out.headers) ? { ...out.headers } : {};
      for (const [name, value] of Object.entries(v)) {
        if (typeof value !== 'string') return `headers.${name} must be a string`;
        const n = name.trim();
        if (!n) continue;
        // A blank value deletes the header (CLIProxyAPI's merge rule).
        if (value.trim()) merged[n] = value.trim();
        else delete merged[n];
      }
      if (Object.keys(merged).length) out.headers = merged;
      else delete out.headers;
      return undefined;
    }
    case 'excluded_models': {
      if (v === null) {
        drop(out, key);
        return undefined;
      }
      if (!Array.isArray(v) || !v.every((m) => typeof m === 'string'))
        return 'excluded_models must be a list of strings or null';
      drop(out, key);
      const list = v.map((m) => m.trim()).filter(Boolean);
      if (list.length) out.excluded_models = list;
      return undefined;
    }
    case 'disable_cooling': {
      if (v === null) {
        drop(out, key);
        return undefined;
      }
      if (typeof v !== 'boolean') return 'disable_cooling must be true, false or null';
      drop(out, key);
      out.disable_cooling = v;
      return undefined;
    }
    default:
      return `unsupported field "${key}"`;
  }
}

/**
 * Apply a `PATCH /auth-files/fields` body (without `name`) to an auth file's JSON. Every field is
 * checked before anything changes; the input object is not modified. The caller still runs the
 * result through the credential parser before writing it.
 */
export function applyFieldPatch(data: JsonObject, patch: JsonObject): FieldPatchResult {
  const keys = Object.keys(patch);
  if (keys.length === 0) return { ok: false, error: 'no fields to update' };
  const out: JsonObject = { ...data };
  const changed: string[] = [];
  for (const raw of keys) {
    const key = ALIASES[raw] ?? raw;
    if (!PATCHABLE.has(key)) {
      return {
        ok: false,
        error: `unsupported field "${raw}"; supported: ${PATCHABLE_FIELDS.join(', ')}`,
      };
    }
    const problem = applyOne(out, key, keepStoredSecrets(data, key, patch[raw]));
    if (problem) return { ok: false, error: problem };
    changed.push(key);
  }
  return { ok: true, data: out, changed };
}
