// Reading one auth file's JSON: typed access that names the file and field of every problem,
// and CLIProxyAPI's expiry formats.

/** An auth file that cannot be used: names the file and the offending field. */
export class AuthFileError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`auth file ${file}: ${field}: ${detail}`);
    this.name = 'AuthFileError';
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The expiry keys CLIProxyAPI looks at, in its order (top level, then inside `token`). */
const EXPIRY_KEYS = ['expired', 'expire', 'expires_at', 'expiresAt', 'expiry', 'expires'] as const;
/** Google's own oauth_creds.json spelling (milliseconds), seen inside `token`. */
const NESTED_EXPIRY_KEYS = [...EXPIRY_KEYS, 'expiry_date'] as const;

const NUMERIC = /^-?\d+(\.\d+)?$/;
const DATE_TIME_NO_ZONE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$/;
const EDGE_SLASHES = /^\/+|\/+$/g;

/** Unix seconds or milliseconds (values above 1e12 are milliseconds) → epoch ms. */
export function fromUnix(raw: number): number | undefined {
  if (!Number.isFinite(raw) || raw <= 0) return undefined;
  return raw > 1_000_000_000_000 ? Math.trunc(raw) : Math.trunc(raw * 1000);
}

/**
 * Parse an expiry value as CLIProxyAPI accepts it: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC),
 * or Unix seconds / milliseconds as a number or numeric string. Returns epoch milliseconds,
 * undefined for an empty value, NaN when the value is present but unreadable.
 */
export function parseExpiry(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return fromUnix(value) ?? Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const s = value.trim();
  if (!s) return undefined;
  if (NUMERIC.test(s)) return fromUnix(Number(s)) ?? Number.NaN;
  const bare = DATE_TIME_NO_ZONE.exec(s);
  // Go parses zone-less layouts as UTC; Date.parse would read them as local time.
  const ms = Date.parse(bare ? `${bare[1]}T${bare[2]}Z` : s);
  return Number.isNaN(ms) ? Number.NaN : ms;
}

/** The claims of a JWT, unverified (used for display fields only); undefined if malformed. */
export function decodeJwtClaims(token: string | undefined): JsonObject | undefined {
  if (!token) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** Typed, field-named access to one auth file's JSON. */
export class FileFields {
  constructor(
    readonly file: string,
    readonly data: JsonObject,
  ) {}

  fail(field: string, detail: string): never {
    throw new AuthFileError(this.file, field, detail);
  }

  /** A trimmed string, or undefined when absent or empty. */
  str(key: string, obj: JsonObject = this.data, path = key): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(path, `must be a string, got ${typeName(v)}`);
    const t = v.trim();
    return t || undefined;
  }

  requiredStr(key: string, obj: JsonObject = this.data, path = key): string {
    return (
      this.str(key, obj, path) ?? this.fail(path, 'is required and must be a non-empty string')
    );
  }

  bool(key: string): boolean | undefined {
    const v = this.data[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${typeName(v)}`);
    return v;
  }

  /** Either spelling of a key (`excluded_models` / `excluded-models`). */
  either(a: string, b: string): string {
    return this.data[a] === undefined && this.data[b] !== undefined ? b : a;
  }

  priority(): number | undefined {
    const v = this.data.priority;
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
    return this.fail('priority', `must be an integer, got ${JSON.stringify(v)}`);
  }

  prefix(): string | undefined {
    const raw = this.str('prefix');
    if (!raw) return undefined;
    const p = raw.replace(EDGE_SLASHES, '');
    if (p.includes('/')) this.fail('prefix', `must be a single path segment, got "${raw}"`);
    return p || undefined;
  }

  headers(): Record<string, string> | undefined {
    const v = this.data.headers;
    if (v === undefined || v === null) return undefined;
    if (!isObject(v))
      return this.fail('headers', `must be an object of strings, got ${typeName(v)}`);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string')
        this.fail(`headers.${k}`, `must be a string, got ${typeName(val)}`);
      const name = k.trim();
      const value = val.trim();
      if (name && value) out[name] = value;
    }
    return Object.keys(out).length ? out : undefined;
  }

  stringList(key: string): string[] | undefined {
    const v = this.data[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return this.fail(key, `must be a list of strings, got ${typeName(v)}`);
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item !== 'string')
        this.fail(`${key}[${i}]`, `must be a string, got ${typeName(item)}`);
      const t = item.trim();
      if (t) out.push(t);
    });
    return out;
  }

  object(key: string): JsonObject | undefined {
    const v = this.data[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) return this.fail(key, `must be an object, got ${typeName(v)}`);
    return v;
  }

  /** The first expiry key present (top level, then inside `token`), as epoch ms. */
  expiry(): number | undefined {
    const scan = (obj: JsonObject, keys: readonly string[], path: string): number | undefined => {
      for (const key of keys) {
        const ms = parseExpiry(obj[key]);
        if (ms === undefined) continue;
        if (Number.isNaN(ms)) {
          this.fail(
            `${path}${key}`,
            `is not a timestamp (RFC 3339 or Unix time): ${JSON.stringify(obj[key])}`,
          );
        }
        return ms;
      }
      return undefined;
    };
    const top = scan(this.data, EXPIRY_KEYS, '');
    if (top !== undefined) return top;
    const token = this.data.token;
    return isObject(token) ? scan(token, NESTED_EXPIRY_KEYS, 'token.') : undefined;
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
