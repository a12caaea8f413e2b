// config.yaml shown with its secrets masked until asked. The masked form is exactly the one the
// gateway lists (`sk-…1111`, `****`), because a save that still holds it keeps the stored secret
// (the gateway restores masked values it recognises), so editing around a masked key is safe.

/** The gateway's listing form of a secret. */
export function maskLikeGateway(value: string): string {
  if (!value) return '';
  if (value.length < 12) return '****';
  const head = value.length >= 20 ? value.slice(0, 3) : '';
  return `${head}…${value.slice(-4)}`;
}

const SECRET_FIELDS = new Set([
  'api-key',
  'secret-key',
  'client-secret',
  'upstream-api-key',
  'password',
  'token',
]);
const SECRET_LISTS = new Set(['api-keys']);
const SECRET_MAPS = new Set(['limits', 'api-key-info']);
const SENSITIVE_HEADER = /authorization|api[-_]?key|token|secret|password|cookie|credential/i;
const KEY_ID = /^[0-9a-f]{8}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A URL's password, if it has one (`redis://:pw@host`). */
function urlPassword(v: string): string | undefined {
  if (!v.includes('@') || !v.includes('://')) return undefined;
  try {
    const p = new URL(v).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every secret string in a config (the JSON of `GET /v0/management/config`): API keys, the
 * management key, client secrets, client keys (also as map keys), sensitive header values and
 * URL passwords, each with the form it is shown in.
 */
export function collectSecrets(config: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const add = (v: unknown, form?: string) => {
    if (typeof v === 'string' && v.length >= 4) out.set(v, form ?? maskLikeGateway(v));
  };
  const walk = (node: unknown, key: string | undefined): void => {
    if (Array.isArray(node)) {
      for (const item of node) {
        if (key && SECRET_LISTS.has(key)) add(item);
        else walk(item, undefined);
      }
      return;
    }
    if (!isRecord(node)) {
      if (typeof node === 'string') {
        const pw = urlPassword(node);
        if (pw) add(pw, '****');
      }
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      if (key && SECRET_MAPS.has(key) && k !== '*' && !KEY_ID.test(k)) add(k);
      if (SECRET_FIELDS.has(k) && typeof v === 'string') add(v);
      else if (k === 'headers' && isRecord(v)) {
        for (const [h, hv] of Object.entries(v)) if (SENSITIVE_HEADER.test(h)) add(hv);
      } else walk(v, k);
    }
  };
  walk(config, undefined);
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The YAML text with each secret replaced by its masked form wherever it stands as a whole
 * value (quoted or not, in a list, a map key or a URL password); other text is left alone.
 */
export function maskYaml(text: string, secrets: ReadonlyMap<string, string>): string {
  let out = text;
  // Longest first: a secret that contains another is replaced whole.
  const list = [...secrets.entries()].sort((a, b) => b[0].length - a[0].length);
  for (const [secret, masked] of list) {
    const re = new RegExp(`(^|[\\s:"'\\[,{/])${escapeRegExp(secret)}(?=$|[\\s"',\\]}@:])`, 'gm');
    out = out.replace(re, (_m, lead: string) => `${lead}${masked}`);
  }
  return out;
}
