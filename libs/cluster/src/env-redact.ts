import { redactRedisUrl } from '@app/storage';

/** Variables shown in a member's detail: the ones that shape how Switchboard runs. */
const SHOWN = new Set([
  'NODE_ENV',
  'NODE_OPTIONS',
  'PORT',
  'WORKER_PORT',
  'WORKER_HOST',
  'CONFIG_PATH',
  'DATA_DIR',
  'AUTH_DIR',
  'REDIS_URL',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'MANAGEMENT_PASSWORD',
  'USAGE_BUFFER_MAX',
  'HOSTNAME',
  'TZ',
]);
const SHOWN_PREFIX = 'SB_';

/** Names whose values are secrets (`AUTH_DIR` is a path, not a credential). */
const SECRET_NAME =
  /PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|(?:^|_)KEY$|(?:^|_)AUTH$/i;
/** Values that carry a password in a URL (`scheme://user:pass@host`). */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i;

/**
 * The environment a member shows in `/api/v1/processes/:name`: only Switchboard's own variables
 * (`SB_*` and the documented ones), with secret values replaced by `****` and URL passwords
 * hidden.
 */
export function redactEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    if (!SHOWN.has(name) && !name.startsWith(SHOWN_PREFIX)) continue;
    const value = env[name];
    if (value === undefined) continue;
    if (SECRET_NAME.test(name)) out[name] = value ? '****' : '';
    else if (URL_WITH_PASSWORD.test(value)) out[name] = redactRedisUrl(value);
    else out[name] = value;
  }
  return out;
}
