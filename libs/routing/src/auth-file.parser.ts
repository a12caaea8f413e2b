import { maskKey } from '@app/common/secrets';
import {
  Credential,
  type CredentialInit,
  type CredentialProvider,
  type CredentialSecret,
} from '@app/routing/credential.types';

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

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `type` in the file → executor and alias/exclusion channel. */
const FILE_TYPES: Readonly<Record<string, CredentialProvider>> = {
  // CLIProxyAPI writes Gemini CLI OAuth files with `"type": "gemini"`.
  gemini: 'gemini-cli',
  'gemini-cli': 'gemini-cli',
  vertex: 'vertex',
  aistudio: 'aistudio',
  antigravity: 'antigravity',
  claude: 'claude',
  codex: 'codex',
  qwen: 'qwen',
  iflow: 'iflow',
  kimi: 'kimi',
};

/** The expiry keys CLIProxyAPI looks at, in its order (top level, then inside `token`). */
const EXPIRY_KEYS = ['expired', 'expire', 'expires_at', 'expiresAt', 'expiry', 'expires'] as const;
/** Google's own oauth_creds.json spelling (milliseconds), seen inside `token`. */
const NESTED_EXPIRY_KEYS = [...EXPIRY_KEYS, 'expiry_date'] as const;

const NUMERIC = /^-?\d+(\.\d+)?$/;
const DATE_TIME_NO_ZONE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$/;
const EDGE_SLASHES = /^\/+|\/+$/g;
const CODEX_AUTH_CLAIM = 'https://api.openai.com/auth';

/** Unix seconds or milliseconds (values above 1e12 are milliseconds) → epoch ms. */
function fromUnix(raw: number): number | undefined {
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
class FileFields {
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

/** Per-provider secrets and display fields. */
interface ProviderFields {
  secret: CredentialSecret;
  email?: string;
  planType?: string;
}

function geminiCliFields(f: FileFields): ProviderFields {
  const token =
    f.object('token') ?? f.fail('token', 'is required (the Gemini CLI OAuth token object)');
  const accessToken = f.str('access_token', token, 'token.access_token');
  const refreshToken = f.str('refresh_token', token, 'token.refresh_token');
  if (!accessToken && !refreshToken) {
    f.fail('token.access_token', 'token needs an access_token or a refresh_token');
  }
  return {
    secret: { accessToken, refreshToken, expiresAt: f.expiry(), projectId: f.str('project_id') },
  };
}

function claudeFields(f: FileFields): ProviderFields {
  return {
    secret: {
      accessToken: f.requiredStr('access_token'),
      refreshToken: f.str('refresh_token'),
      idToken: f.str('id_token'),
      expiresAt: f.expiry(),
    },
  };
}

function codexFields(f: FileFields): ProviderFields {
  const accessToken = f.requiredStr('access_token');
  const idToken = f.str('id_token');
  const claims = decodeJwtClaims(idToken);
  const auth = claims && isObject(claims[CODEX_AUTH_CLAIM]) ? claims[CODEX_AUTH_CLAIM] : undefined;
  const claim = (key: string): string | undefined => {
    const v = auth?.[key];
    return typeof v === 'string' && v ? v : undefined;
  };
  // The access token's own `exp` is fresher than a stale `expired` field (CLIProxyAPI agrees).
  const exp = decodeJwtClaims(accessToken)?.exp;
  const expiresAt = typeof exp === 'number' ? exp * 1000 : f.expiry();
  const email = typeof claims?.email === 'string' ? claims.email : undefined;
  return {
    secret: {
      accessToken,
      refreshToken: f.str('refresh_token'),
      idToken,
      expiresAt,
      accountId: f.str('account_id') ?? claim('chatgpt_account_id'),
    },
    email,
    planType: claim('chatgpt_plan_type'),
  };
}

function qwenFields(f: FileFields): ProviderFields {
  return {
    secret: {
      accessToken: f.requiredStr('access_token'),
      refreshToken: f.str('refresh_token'),
      expiresAt: f.expiry(),
      resourceUrl: f.str('resource_url'),
    },
  };
}

function iflowFields(f: FileFields): ProviderFields {
  return {
    secret: {
      // iFlow's chat API takes the API key the OAuth login yields, not the access token.
      apiKey: f.requiredStr('api_key'),
      accessToken: f.str('access_token'),
      refreshToken: f.str('refresh_token'),
      expiresAt: f.expiry(),
      cookie: f.str('cookie'),
    },
  };
}

function antigravityFields(f: FileFields): ProviderFields {
  const accessToken = f.str('access_token');
  const refreshToken = f.str('refresh_token');
  if (!accessToken && !refreshToken)
    f.fail('access_token', 'needs an access_token or a refresh_token');
  let expiresAt = f.expiry();
  if (expiresAt === undefined) {
    // Older Antigravity files carry only the issue time (ms) and the lifetime (s).
    const issued = f.data.timestamp;
    const lifetime = f.data.expires_in;
    if (typeof issued === 'number' && typeof lifetime === 'number') {
      expiresAt = (fromUnix(issued) ?? 0) + lifetime * 1000 || undefined;
    }
  }
  return { secret: { accessToken, refreshToken, expiresAt, projectId: f.str('project_id') } };
}

function kimiFields(f: FileFields): ProviderFields {
  return {
    secret: {
      accessToken: f.requiredStr('access_token'),
      refreshToken: f.str('refresh_token'),
      expiresAt: f.expiry(),
      deviceId: f.str('device_id'),
    },
  };
}

function vertexFields(f: FileFields): ProviderFields {
  const sa =
    f.object('service_account') ??
    f.fail('service_account', 'is required (the service-account JSON key)');
  const clientEmail = f.requiredStr('client_email', sa, 'service_account.client_email');
  f.requiredStr('private_key', sa, 'service_account.private_key');
  const projectId =
    f.str('project_id') ??
    f.str('project_id', sa, 'service_account.project_id') ??
    f.fail('project_id', 'is required (top level or inside service_account)');
  return {
    secret: { serviceAccount: sa, projectId, location: f.str('location') },
    email: clientEmail,
  };
}

function aistudioFields(f: FileFields): ProviderFields {
  const apiKey = f.str('api_key');
  const accessToken = f.str('access_token');
  if (!apiKey && !accessToken) f.fail('api_key', 'needs an api_key or an access_token');
  return {
    secret: { apiKey, accessToken, refreshToken: f.str('refresh_token'), expiresAt: f.expiry() },
  };
}

const PROVIDER_FIELDS: Readonly<Record<string, (f: FileFields) => ProviderFields>> = {
  'gemini-cli': geminiCliFields,
  claude: claudeFields,
  codex: codexFields,
  qwen: qwenFields,
  iflow: iflowFields,
  antigravity: antigravityFields,
  kimi: kimiFields,
  vertex: vertexFields,
  aistudio: aistudioFields,
};

/** Parse an already-decoded auth file. Throws AuthFileError naming the file and field. */
export function parseAuthFileJson(fileName: string, data: unknown): Credential {
  if (!isObject(data)) throw new AuthFileError(fileName, '(root)', 'must be a JSON object');
  const f = new FileFields(fileName, data);
  const type =
    f.str('type')?.toLowerCase() ??
    f.fail('type', 'is required (e.g. "claude", "codex", "gemini")');
  const provider = FILE_TYPES[type] ?? f.fail('type', `unknown auth file type "${type}"`);
  const fields = PROVIDER_FIELDS[provider](f);
  const email = f.str('email') ?? fields.email;
  const apiKey = fields.secret.apiKey;
  const init: CredentialInit = {
    id: `file:${fileName}`,
    indexSeed: `file:${fileName}`,
    provider,
    channel: provider,
    kind: 'oauth',
    source: 'file',
    fileName,
    label: email ?? (apiKey ? maskKey(apiKey) : fileName),
    email,
    priority: f.priority(),
    prefix: f.prefix(),
    proxyUrl: f.str('proxy_url'),
    headers: f.headers(),
    excludedModels: f.stringList(f.either('excluded_models', 'excluded-models')),
    disabled: f.bool('disabled'),
    disableCooling: f.bool(f.either('disable_cooling', 'disable-cooling')),
    planType: fields.planType,
    secret: fields.secret,
  };
  return new Credential(init);
}

/** Parse one auth file's text (JSON parsed once). Throws AuthFileError. */
export function parseAuthFile(fileName: string, text: string): Credential {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new AuthFileError(fileName, '(json)', `not valid JSON: ${(err as Error).message}`);
  }
  return parseAuthFileJson(fileName, data);
}

/** Outcome of parsing many files: the usable credentials and one error per skipped file. */
export interface AuthFileParseResult {
  credentials: Credential[];
  errors: AuthFileError[];
}

/** Parse every file; invalid ones are reported, never fatal. */
export function parseAuthFiles(
  files: readonly { name: string; text: string }[],
): AuthFileParseResult {
  const credentials: Credential[] = [];
  const errors: AuthFileError[] = [];
  for (const file of files) {
    try {
      credentials.push(parseAuthFile(file.name, file.text));
    } catch (err) {
      errors.push(
        err instanceof AuthFileError
          ? err
          : new AuthFileError(file.name, '(file)', (err as Error).message),
      );
    }
  }
  return { credentials, errors };
}
