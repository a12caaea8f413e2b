import { managementError } from '@app/common';
import { readValue } from '@app/management/management-body';

/** The JSON type of a scalar route's `{"value": …}`. */
export type ScalarKind = 'boolean' | 'integer' | 'string';

/** Extra checks on a string value. */
export type StringCheck = 'proxy-url' | 'http-url';

/**
 * One `/v0/management/<route>` scalar: GET answers `{"<last segment>": value}`, PUT and PATCH take
 * `{"value": …}`, DELETE (when `deletable`) empties it. The route's segments are its YAML path.
 */
export interface ScalarRoute {
  readonly route: string;
  readonly kind: ScalarKind;
  /** Smallest integer accepted. */
  readonly min?: number;
  /** The only strings accepted (after `aliases`), compared case-insensitively. */
  readonly oneOf?: readonly string[];
  /** Other spellings accepted for `oneOf` values. */
  readonly aliases?: Readonly<Record<string, string>>;
  readonly check?: StringCheck;
  readonly deletable?: boolean;
}

/** Every scalar of the CLIProxyAPI management catalog served from config.yaml. */
export const SCALAR_ROUTES: readonly ScalarRoute[] = [
  { route: 'debug', kind: 'boolean' },
  { route: 'usage-statistics-enabled', kind: 'boolean' },
  { route: 'logging-to-file', kind: 'boolean' },
  { route: 'logs-max-total-size-mb', kind: 'integer', min: 0 },
  { route: 'error-logs-max-files', kind: 'integer', min: 0 },
  { route: 'request-retry', kind: 'integer', min: 0 },
  { route: 'max-retry-interval', kind: 'integer', min: 0 },
  { route: 'force-model-prefix', kind: 'boolean' },
  {
    route: 'routing/strategy',
    kind: 'string',
    oneOf: ['round-robin', 'fill-first'],
    // CLIProxyAPI's short spellings.
    aliases: {
      roundrobin: 'round-robin',
      rr: 'round-robin',
      fillfirst: 'fill-first',
      ff: 'fill-first',
    },
  },
  { route: 'ws-auth', kind: 'boolean' },
  { route: 'request-log', kind: 'boolean' },
  { route: 'quota-exceeded/switch-project', kind: 'boolean' },
  { route: 'quota-exceeded/switch-preview-model', kind: 'boolean' },
  { route: 'proxy-url', kind: 'string', check: 'proxy-url', deletable: true },
  { route: 'ampcode/upstream-url', kind: 'string', check: 'http-url', deletable: true },
  { route: 'ampcode/upstream-api-key', kind: 'string', deletable: true },
  { route: 'ampcode/restrict-management-to-localhost', kind: 'boolean' },
  { route: 'ampcode/force-model-mappings', kind: 'boolean' },
];

/** The config.yaml path of a scalar route (`routing/strategy` → `['routing', 'strategy']`). */
export function yamlPathOf(r: ScalarRoute): string[] {
  return r.route.split('/');
}

/** The key of a GET answer: the route's last segment, as CLIProxyAPI names it. */
export function responseKeyOf(r: ScalarRoute): string {
  const path = yamlPathOf(r);
  return path[path.length - 1];
}

/** The value of a scalar route in a config object (undefined when absent). */
export function scalarValue(config: unknown, r: ScalarRoute): unknown {
  let node: unknown = config;
  for (const key of yamlPathOf(r)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const PROXY_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'socks5:', 'socks5h:']);
const HTTP_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:']);

function hasScheme(value: string, schemes: ReadonlySet<string>): boolean {
  try {
    return schemes.has(new URL(value).protocol);
  } catch {
    return false;
  }
}

// The value itself stays out of these messages: a proxy URL may carry a password.
function checkString(check: StringCheck, value: string): string | undefined {
  switch (check) {
    case 'proxy-url': {
      const lower = value.toLowerCase();
      if (!value || lower === 'direct' || lower === 'none' || hasScheme(value, PROXY_SCHEMES))
        return undefined;
      return 'invalid body: value must be a proxy URL (http://, https://, socks5:// or socks5h://), "direct", "none" or ""';
    }
    case 'http-url':
      if (!value || hasScheme(value, HTTP_SCHEMES)) return undefined;
      return 'invalid body: value must be an http:// or https:// URL, or ""';
  }
}

/**
 * The value a PUT/PATCH body sets on `r`, normalized (strings trimmed, enum spellings mapped);
 * an AppError 400 saying what was expected otherwise.
 */
export function readScalarValue(r: ScalarRoute, body: unknown): boolean | number | string {
  switch (r.kind) {
    case 'boolean':
      return readValue(body, 'boolean');
    case 'integer': {
      const n = readValue(body, 'integer');
      if (r.min !== undefined && n < r.min) {
        throw managementError(400, `invalid body: value must be ≥ ${r.min}, got ${n}`);
      }
      return n;
    }
    case 'string': {
      const s = readValue(body, 'string').trim();
      if (r.oneOf) {
        const lower = s.toLowerCase();
        const v = r.aliases?.[lower] ?? lower;
        if (!r.oneOf.includes(v)) {
          throw managementError(
            400,
            `invalid body: value must be one of ${r.oneOf.join(', ')}, got ${JSON.stringify(s)}`,
          );
        }
        return v;
      }
      const problem = r.check && checkString(r.check, s);
      if (problem) throw managementError(400, problem);
      return s;
    }
  }
}
