// One file on purpose: this zod schema mirrors config.yaml key by key, so it is read and kept in
// step with the YAML as a whole; splitting it would scatter one document across files.
import { isIP } from 'node:net';
import { RE2JS } from 're2js';
import { z } from 'zod';
import { isHostName } from '@app/common';
import {
  API_KEY_SECTIONS,
  OAUTH_PROVIDERS,
  PROVIDER_DESCRIPTORS,
  PROVIDER_IDS,
  type ApiKeySection,
  type ApiKeySpec,
} from '@app/providers';
import { filePath, mapMarked, secret, type FieldMark } from '@app/config/config.marks';

export { filePath, secret, type SecretKind } from '@app/config/config.marks';

// config.yaml keys stay kebab-case exactly as written, because the management API returns the
// parsed config with the YAML names. Defaults for CLIProxyAPI keys are what CLIProxyAPI uses
// when the key is absent (Go zero values, plus the few it sets explicitly), so a migrated
// config.yaml behaves the same here.

/** Default listen port (CLIProxyAPI's). */
export const DEFAULT_PORT = 8317;

/** Where `GET /v0/management/latest-version` looks for the newest release by default. */
export const DEFAULT_RELEASE_FEED_URL =
  'https://api.github.com/repos/router-for-me/CLIProxyAPI/releases/latest';

// ---- field builders ---------------------------------------------------------------------------

// Go's YAML decoder turns a plain scalar into a string field (`api-key: 12345`), so we do too.
const scalarToString = (v: unknown): unknown =>
  typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : v;

// yaml.v3 (CLIProxyAPI) still reads YAML 1.1 booleans into bool fields; YAML 1.2 calls them strings.
const YAML11_BOOLEANS: Readonly<Record<string, boolean>> = {
  yes: true,
  no: false,
  on: true,
  off: false,
  y: true,
  n: false,
  true: true,
  false: false,
};
const toBoolean = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  const b = YAML11_BOOLEANS[v.trim().toLowerCase()];
  return b === undefined ? v : b;
};

/** A string field (plain scalars such as numbers are read as their text). */
const str = () => z.preprocess(scalarToString, z.string());
/** A string field that must not be empty. */
const name = () => z.preprocess(scalarToString, z.string().trim().min(1, 'must not be empty'));
/** A boolean field with a default. */
const bool = (def: boolean) => z.preprocess(toBoolean, z.boolean()).default(def);
/** A whole number with a default. */
const int = (def: number) => z.number().int().default(def);
/** A whole number ≥ 1 with a default. */
const positive = (def: number) => z.number().int().min(1).default(def);

function isIpOrCidr(entry: string): boolean {
  const [ip, bits, extra] = entry.trim().split('/');
  const family = isIP(ip);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return bits !== '' && Number.isInteger(n) && n >= 0 && n <= (family === 4 ? 32 : 128);
}

/** A `trusted-proxies` entry: an IP address, a CIDR or a host name (resolved every 30 s). */
export function isTrustedProxyEntry(entry: string): boolean {
  return isIpOrCidr(entry) || isHostName(entry);
}

/** `host:port`, `host` or `[v6]:port` (REDIS_SENTINELS, REDIS_CLUSTER_NODES entries). */
export function isHostPort(entry: string): boolean {
  const text = entry.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const [host, port, extra] = v6 ? [v6[1], v6[2]] : text.split(':');
  if (!host || extra !== undefined || /\s|\//.test(host)) return false;
  if (port === undefined) return true;
  const n = Number(port);
  return /^\d+$/.test(port) && n >= 1 && n <= 65535;
}

const hostPort = () =>
  z.preprocess(
    scalarToString,
    z.string().trim().refine(isHostPort, 'must be host:port, such as 10.0.0.5:26379'),
  );

/** Providers whose built-in base URL `provider-base-urls` may replace: every HTTP provider. */
const BASE_URL_PROVIDERS: readonly string[] = PROVIDER_IDS;

function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function isRedisUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'redis:' || u.protocol === 'rediss:';
  } catch {
    return false;
  }
}

// ---- shared pieces ----------------------------------------------------------------------------

/** `{ name, alias }`: an upstream model and the name clients use for it. */
const modelAlias = z.object({
  name: name(),
  alias: str().default(''),
});

/** Extra headers sent upstream; values of auth-like headers are secrets. */
const headers = z.record(secret(str(), 'header')).default({});

/** An outbound proxy (`socks5://user:pass@host:1080`, `direct`, `none`); its password is a secret. */
const proxyUrl = () => secret(str(), 'url').optional();

/** Fields shared by every API-key provider entry (gemini/claude/codex/vertex-api-key). */
const providerKeyShape = {
  'api-key': secret(str()),
  /** Higher priority credentials are used first (CLIProxyAPI semantics). */
  priority: int(0),
  prefix: str().optional(),
  'base-url': str().optional(),
  'proxy-url': proxyUrl(),
  headers,
  models: z.array(modelAlias).default([]),
  'excluded-models': z.array(str()).default([]),
};

const providerKey = z.object(providerKeyShape);

const claudeKey = z.object({
  ...providerKeyShape,
  cloak: z
    .object({
      mode: z.enum(['auto', 'always', 'never']).default('auto'),
      'strict-mode': bool(false),
      'sensitive-words': z.array(str()).default([]),
    })
    .optional(),
});

/** The API-key lists whose entries also take CLIProxyAPI's `cloak` block (Claude's). */
type CloakSection = Extract<
  (typeof PROVIDER_DESCRIPTORS)[number],
  { apiKeys: { cloak: true } }
>['apiKeys']['section'];
const CLOAK_SECTIONS: readonly string[] = PROVIDER_DESCRIPTORS.flatMap((d) => {
  const keys: ApiKeySpec | undefined = 'apiKeys' in d ? d.apiKeys : undefined;
  return keys?.cloak ? [keys.section] : [];
});

/** One list per API-key provider of the registry (`gemini-api-key`…), in registry order. */
const apiKeySections = Object.fromEntries(
  API_KEY_SECTIONS.map((section) => [
    section,
    z.array(CLOAK_SECTIONS.includes(section) ? claudeKey : providerKey).default([]),
  ]),
) as {
  [S in ApiKeySection]: z.ZodDefault<
    z.ZodArray<S extends CloakSection ? typeof claudeKey : typeof providerKey>
  >;
};

const openAICompatibility = z.object({
  name: name(),
  priority: int(0),
  prefix: str().optional(),
  'base-url': name(),
  'api-key-entries': z
    .array(z.object({ 'api-key': secret(str()), 'proxy-url': proxyUrl() }))
    .default([]),
  models: z.array(modelAlias).default([]),
  headers,
  /** The entry stays in the file but serves nothing (the Management Center's on/off switch). */
  disabled: z.boolean().optional(),
});

const payloadModel = z.object({
  name: name(),
  /** Wire format the rule applies to (openai, gemini, claude, codex, antigravity…). */
  protocol: str().optional(),
});

const payloadRule = z.object({
  models: z.array(payloadModel).default([]),
  params: z.record(z.unknown()).default({}),
});

function isJsonText(v: unknown): boolean {
  if (typeof v !== 'string') return true;
  try {
    JSON.parse(v);
    return true;
  } catch {
    return false;
  }
}

/** `default-raw` / `override-raw`: each string value is JSON text, inserted as parsed. */
const payloadRawRule = payloadRule.superRefine((rule, ctx) => {
  for (const [path, value] of Object.entries(rule.params)) {
    if (!isJsonText(value)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['params', path],
        message: 'must be JSON text (quote strings: \'"text"\')',
      });
    }
  }
});

/** Go's regexp (CLIProxyAPI) is RE2: a pattern must compile in the same syntax. */
function isRe2(pattern: string): boolean {
  try {
    RE2JS.compile(pattern);
    return true;
  } catch {
    return false;
  }
}

/** `ampcode.model-mappings` items; a `regex: true` entry needs a valid RE2 pattern. */
const ampModelMapping = z
  .object({ from: name(), to: name(), regex: bool(false) })
  .refine((m) => !m.regex || isRe2(m.from), {
    message: 'from is not a valid regular expression (RE2 syntax)',
    path: ['from'],
  });

const payloadFilterRule = z.object({
  models: z.array(payloadModel).default([]),
  params: z.array(str()).default([]),
});

/**
 * One client key's limits (Switchboard extension, docs/limits.md). Every field is optional; a
 * field left out is not limited. Strict, so a misspelt field fails the load instead of silently
 * leaving the key unlimited.
 */
const clientLimits = z
  .object({
    /** Requests per minute (sliding window). */
    rpm: z.number().int().min(1).optional(),
    /** Tokens per minute (sliding window, counted from finished requests). */
    tpm: z.number().int().min(1).optional(),
    /** Tokens per day (sliding 24 hours). */
    tpd: z.number().int().min(1).optional(),
    /** Requests in flight at once, across every replica. */
    concurrency: z.number().int().min(1).optional(),
    /** The only models the key may use (`*` wildcards, case-insensitive). */
    models: z.array(str()).optional(),
  })
  .strict();

/** An ISO 8601 date (`2026-01-31`, midnight UTC) or date and time (`2026-01-31T18:00:00Z`). */
const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A point in time written as an ISO 8601 date or date-time (YAML timestamps are read too). */
const isoTime = () =>
  z.preprocess(
    (v) => (v instanceof Date ? v.toISOString() : scalarToString(v)),
    z
      .string()
      .trim()
      .refine(
        (t) => ISO_TIME.test(t) && Number.isFinite(Date.parse(t)),
        'expected an ISO 8601 date or time such as 2026-01-31 or 2026-01-31T18:00:00Z',
      ),
  );

/**
 * Who a client key belongs to (Switchboard extension, docs/panel.md). Kept beside `api-keys`,
 * which stays a plain list so CLIProxyAPI configs keep working. Strict: a misspelt field (an
 * `expire` that would never expire anything) fails the load.
 */
const clientKeyInfo = z
  .object({
    /** Short name shown wherever the key appears. */
    label: z
      .preprocess(scalarToString, z.string().trim().max(80, 'at most 80 characters'))
      .optional(),
    /** Person or team responsible for it. */
    owner: z
      .preprocess(scalarToString, z.string().trim().max(120, 'at most 120 characters'))
      .optional(),
    created: isoTime().optional(),
    /** From this instant the key is refused with 401. */
    expires: isoTime().optional(),
    note: z.preprocess(scalarToString, z.string().max(500, 'at most 500 characters')).optional(),
  })
  .strict();

/** The `limits` key whose entry applies to every client key that has none of its own. */
export const DEFAULT_LIMITS_KEY = '*';

/** Providers whose OAuth endpoints `oauth-endpoints` may override. */
const OAUTH_ENDPOINT_PROVIDERS: readonly string[] = OAUTH_PROVIDERS;

/** An http(s) URL field. */
const httpUrl = () =>
  z.preprocess(scalarToString, z.string().trim().refine(isHttpUrl, 'must be an http(s) URL'));

/** One provider's OAuth overrides; every field is optional and unknown fields are errors. */
const oauthEndpointOverride = z
  .object({
    'authorize-url': httpUrl().optional(),
    'token-url': httpUrl().optional(),
    'device-code-url': httpUrl().optional(),
    'userinfo-url': httpUrl().optional(),
    /** The provider API the worker and login call (Code Assist, chatgpt.com, api.anthropic.com…). */
    'api-base': httpUrl().optional(),
    /** iFlow's platform API-key endpoint (cookie login). */
    'api-key-url': httpUrl().optional(),
    'redirect-uri': str().optional(),
    'client-id': str().optional(),
    'client-secret': secret(str()).optional(),
    /** Space-separated, as OAuth sends them. */
    scopes: str().optional(),
    /** Refresh this long before the access token expires. */
    'refresh-lead-seconds': z.number().int().min(0).optional(),
  })
  .strict();

// ---- the schema -------------------------------------------------------------------------------

/** The whole config.yaml. Add a key here (with its default) and document it in config.example.yaml. */
export const configSchema = z.object({
  // -- server
  host: str().default(''),
  port: z.number().int().min(1).max(65535).default(DEFAULT_PORT),
  tls: z
    .object({
      enable: bool(false),
      cert: filePath(str()).default(''),
      key: filePath(str()).default(''),
    })
    .default({}),
  'remote-management': z
    .object({
      'allow-remote': bool(false),
      'secret-key': secret(str()).default(''),
      'disable-control-panel': bool(false),
      'disable-auto-update-panel': bool(false),
      'panel-github-repository': str().optional(),
    })
    .default({}),
  'auth-dir': filePath(str()).default('./auths'),
  'api-keys': z.array(secret(str())).default([]),

  // -- logging and statistics
  debug: bool(false),
  'logging-to-file': bool(false),
  'logs-max-total-size-mb': int(0),
  'error-logs-max-files': int(10),
  'usage-statistics-enabled': bool(false),
  'request-log': bool(false),

  // -- upstream behaviour
  'proxy-url': secret(str(), 'url').default(''),
  'force-model-prefix': bool(false),
  'passthrough-headers': bool(false),
  'request-retry': int(0),
  'max-retry-credentials': int(0),
  'max-retry-interval': int(0),
  'disable-cooling': bool(false),
  'quota-exceeded': z
    .object({
      'switch-project': bool(false),
      'switch-preview-model': bool(false),
    })
    .default({}),
  routing: z
    .object({
      strategy: z
        .preprocess(
          (v) => (typeof v === 'string' ? v.trim().toLowerCase() || undefined : v),
          z.enum(['round-robin', 'fill-first']).default('round-robin'),
        )
        .default('round-robin'),
    })
    .default({}),
  'ws-auth': bool(false),
  'enable-gemini-cli-endpoint': bool(false),
  'nonstream-keepalive-interval': int(0),
  streaming: z
    .object({
      'keepalive-seconds': int(0),
      'bootstrap-retries': int(0),
    })
    .default({}),

  // -- credentials in config.yaml
  ...apiKeySections,
  'openai-compatibility': z.array(openAICompatibility).default([]),

  // -- Amp CLI integration
  ampcode: z
    .object({
      'upstream-url': z
        .preprocess(
          scalarToString,
          z
            .string()
            .trim()
            .refine((v) => v === '' || isHttpUrl(v), 'must be an http(s) URL or empty'),
        )
        .default(''),
      'upstream-api-key': secret(str()).default(''),
      'upstream-api-keys': z
        .array(
          z.object({
            'upstream-api-key': secret(str()),
            'api-keys': z.array(secret(str())).default([]),
          }),
        )
        .default([]),
      'restrict-management-to-localhost': bool(false),
      'model-mappings': z.array(ampModelMapping).default([]),
      'force-model-mappings': bool(false),
    })
    .default({}),

  // -- OAuth (auth-dir) credentials
  'oauth-excluded-models': z.record(z.array(str())).default({}),
  'oauth-model-alias': z
    .record(z.array(z.object({ name: name(), alias: name(), fork: bool(false) })))
    .default({}),

  // -- request body rewriting
  payload: z
    .object({
      default: z.array(payloadRule).default([]),
      'default-raw': z.array(payloadRawRule).default([]),
      override: z.array(payloadRule).default([]),
      'override-raw': z.array(payloadRawRule).default([]),
      filter: z.array(payloadFilterRule).default([]),
    })
    .default({}),

  // -- Switchboard extensions
  redis: z
    .object({
      url: secret(
        z.preprocess(
          scalarToString,
          z.string().refine(isRedisUrl, 'must be a redis:// or rediss:// URL'),
        ),
        'url',
      ).default('redis://127.0.0.1:6379'),
      /** ACL user, when the URL cannot say it (REDIS_USERNAME). */
      username: str().default(''),
      /** Password, when the URL cannot say it (REDIS_PASSWORD). */
      password: secret(str()).default(''),
      /** PEM file of the CA that signed the server certificates, for rediss:// (REDIS_TLS_CA). */
      'tls-ca': filePath(str()).default(''),
      /** Sentinels to ask for the primary (REDIS_SENTINELS); the URL's host is then unused. */
      sentinels: z.array(hostPort()).default([]),
      /** The primary's name the sentinels monitor (REDIS_SENTINEL_NAME). */
      'sentinel-name': name().default('mymaster'),
      /** The sentinels' own password (REDIS_SENTINEL_PASSWORD). */
      'sentinel-password': secret(str()).default(''),
      /** Redis Cluster seed nodes (REDIS_CLUSTER_NODES); the URL's host is then unused. */
      'cluster-nodes': z.array(hostPort()).default([]),
      'key-prefix': str().default('sb:'),
      'command-timeout-ms': positive(1000),
      'connect-timeout-ms': positive(2000),
    })
    .refine((r) => r.sentinels.length === 0 || r['cluster-nodes'].length === 0, {
      message: 'set either sentinels or cluster-nodes, not both',
      path: ['cluster-nodes'],
    })
    .default({}),
  /**
   * Where config.yaml and the auth files live durably: `file` (this host's files, the default)
   * or `redis` (a versioned store in Redis that every replica mirrors to its local files).
   */
  'config-store': z
    .preprocess(
      (v) => (typeof v === 'string' ? v.trim().toLowerCase() || undefined : v),
      z.enum(['file', 'redis']).default('file'),
    )
    .default('file'),
  'trusted-proxies': z
    .array(
      z.preprocess(
        scalarToString,
        z
          .string()
          .refine(
            isTrustedProxyEntry,
            'must be an IP address, a CIDR such as 10.0.0.0/8, or a host name such as lb',
          ),
      ),
    )
    .default([]),
  metrics: z
    .object({
      enabled: bool(true),
      'client-key-label': z.enum(['off', 'short-id']).default('off'),
    })
    .default({}),
  'body-limit-mb': z.number().positive().default(50),
  /**
   * Total MB of request bodies one gateway process holds at once (read per request). A body that
   * would go past it is refused with 503 and Retry-After before it is read.
   */
  'body-budget-mb': z.number().positive().default(256),
  /** Replaces a provider's built-in base URL (auth files carry none): provider id → URL. */
  'provider-base-urls': z
    .record(
      z.preprocess(scalarToString, z.string().trim().refine(isHttpUrl, 'must be an http(s) URL')),
    )
    .superRefine((map, ctx) => {
      for (const key of Object.keys(map)) {
        if (!BASE_URL_PROVIDERS.includes(key)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: [key],
            message: `unknown provider; use one of ${BASE_URL_PROVIDERS.join(', ')}`,
          });
        }
      }
    })
    .default({}),
  /** Per-provider OAuth endpoint and client overrides (tests point them at fakes). */
  'oauth-endpoints': z
    .record(oauthEndpointOverride)
    .superRefine((map, ctx) => {
      for (const key of Object.keys(map)) {
        if (!OAUTH_ENDPOINT_PROVIDERS.includes(key)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: [key],
            message: `unknown OAuth provider; use one of ${OAUTH_ENDPOINT_PROVIDERS.join(', ')}`,
          });
        }
      }
    })
    .default({}),
  /** Background jobs of the worker process. */
  worker: z
    .object({
      /** Quota poll interval per account (each account's runs are offset by a stable jitter). */
      'quota-poll-seconds': positive(300),
      /** Where to fetch the model catalog from ('' = the built-in catalog only). */
      'model-catalog-url': z
        .preprocess(
          scalarToString,
          z
            .string()
            .trim()
            .refine((v) => v === '' || isHttpUrl(v), 'must be an http(s) URL or empty'),
        )
        .default(''),
      'model-catalog-refresh-minutes': positive(360),
      /** How often age-capped logs and usage details are trimmed. */
      'retention-minutes': positive(60),
    })
    .default({}),
  'upstream-timeouts': z
    .object({
      /** TCP/TLS connect limit (read at start-up). */
      'connect-seconds': z.number().positive().default(10),
      /** Time until the upstream's response headers; past it the next credential is tried. */
      'header-seconds': z.number().positive().default(300),
      /** Longest silence inside a response body before it is cut (read at start-up). */
      'idle-seconds': z.number().positive().default(300),
    })
    .default({}),
  /** The gateway's own HTTP server (read at start-up): slow or idle clients cannot hold sockets. */
  'server-timeouts': z
    .object({
      /** Time for a client to send complete request headers (slowloris defence). */
      'headers-seconds': z.number().positive().default(30),
      /** Time for a client to send the whole request, body included (0 = no limit). */
      'request-seconds': z.number().min(0).default(300),
      /** How long an idle keep-alive connection stays open between requests. */
      'keep-alive-seconds': z.number().positive().default(72),
    })
    .refine((t) => t['request-seconds'] === 0 || t['headers-seconds'] <= t['request-seconds'], {
      message: 'headers-seconds must not be longer than request-seconds',
      path: ['headers-seconds'],
    })
    .default({}),
  usage: z
    .object({
      'details-max-per-model': positive(1000),
      'details-max-age-days': positive(30),
    })
    .default({}),
  'request-log-max-entries': positive(10000),
  /** Per client key (a key from api-keys, its 8-hex key id, or `*` for every other key). */
  limits: secret(
    z.record(z.string().trim().min(1, 'must not be empty'), clientLimits),
    'map-keys',
  ).default({}),
  /** Label, owner, dates and note per client key (a key from api-keys or its 8-hex key id). */
  'api-key-info': secret(
    z.record(z.string().trim().min(1, 'must not be empty'), clientKeyInfo),
    'map-keys',
  ).default({}),
  'release-feed-url': str().default(DEFAULT_RELEASE_FEED_URL),
});

/** The loaded config: every defaulted key is present. */
export type AppConfig = z.infer<typeof configSchema>;

// ---- masking ----------------------------------------------------------------------------------

const SENSITIVE_HEADER = /authorization|api[-_]?key|token|secret|password|cookie|credential/i;
const MASKED_PASSWORD = '****';

/** Hide a secret for display: short values fully, longer ones keep at most the last 4 characters. */
export function maskSecret(value: string): string {
  if (!value) return '';
  if (value.length < 12) return '****';
  // A 3-character head (`sk-`, `AIz`) says which kind of key it is without weakening long keys.
  const head = value.length >= 20 ? value.slice(0, 3) : '';
  return `${head}…${value.slice(-4)}`;
}

/** Hide the password in a URL (`redis://:pw@host` → `redis://:****@host`); other parts stay. */
export function maskUrlPassword(value: string): string {
  if (!value.includes('@')) return value;
  try {
    const u = new URL(value);
    if (!u.password && !u.username) return value;
    if (u.password) u.password = MASKED_PASSWORD;
    else u.username = maskSecret(decodeURIComponent(u.username));
    return u.toString();
  } catch {
    return maskSecret(value);
  }
}

/** The listing form of a marked value (`key` is its key in the parent: the header name). */
export function maskMarkedValue(
  m: FieldMark,
  value: unknown,
  key: string | number | undefined,
): unknown {
  if (typeof value !== 'string') return value;
  switch (m.secret) {
    case 'token':
      return maskSecret(value);
    case 'url':
      return maskUrlPassword(value);
    case 'header':
      return typeof key === 'string' && SENSITIVE_HEADER.test(key) ? maskSecret(value) : value;
    case 'map-keys':
    case undefined:
      return value;
  }
}

/**
 * Map keys that are secrets (client keys under `limits` and `api-key-info`); the `*` default
 * entry and 8-hex key ids (a hash prefix, not the key) are not.
 */
export function maskMapKey(key: string): string {
  return key === DEFAULT_LIMITS_KEY || /^[0-9a-f]{8}$/.test(key) ? key : maskSecret(key);
}

/** A deep copy of the config with every secret field masked, for listings and logs. */
export function maskConfig(config: AppConfig): Record<string, unknown> {
  return mapMarked(configSchema, config, { value: maskMarkedValue, key: maskMapKey }) as Record<
    string,
    unknown
  >;
}
