/**
 * Startup failures a person can fix, each as one line: what went wrong, then what to do.
 * The apps print these instead of a stack trace (a stack says where the code was, not what the
 * operator should change).
 */

/** Where a process tried to listen, and which settings move it. */
export interface ListenTarget {
  host: string;
  port: number;
  /** How to set another port, e.g. "PORT or port in /etc/switchboard/config.yaml". */
  portSetting: string;
  /** How to set another interface, e.g. "host in config.yaml". */
  hostSetting: string;
}

function codeOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * A listen error that only a setting can fix (port in use, privileged port, no such address),
 * or undefined for anything else.
 */
export function listenProblem(err: unknown, at: ListenTarget): string | undefined {
  const where = `cannot listen on ${at.host}:${at.port}`;
  switch (codeOf(err)) {
    case 'EADDRINUSE':
      return (
        `${where}: the port is already in use (EADDRINUSE). Stop what holds it ` +
        `(\`ss -ltnp 'sport = :${at.port}'\` shows it) or set another port (${at.portSetting})`
      );
    case 'EACCES':
      return (
        `${where}: permission denied (EACCES; ports below 1024 need privileges). ` +
        `Set a port above 1023 (${at.portSetting})`
      );
    case 'EADDRNOTAVAIL':
      return (
        `${where}: this machine has no such address (EADDRNOTAVAIL). ` +
        `Set ${at.hostSetting} to one of its addresses, or 0.0.0.0 for all`
      );
    default:
      return undefined;
  }
}

/**
 * A failure to create, read or write config.yaml (or its directory), with the fix; undefined
 * when the error is not a file-system one.
 */
export function configFileProblem(err: unknown, path: string): string | undefined {
  const code = codeOf(err);
  const detail = (err as Error | undefined)?.message ?? String(err);
  const elsewhere = 'or set CONFIG_PATH to a file in a writable directory';
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return (
        `cannot use config file ${path}: permission denied (${detail}). Give the user this ` +
        `process runs as${uid()} read and write access to the file and its directory, ${elsewhere}`
      );
    case 'EROFS':
      return `cannot use config file ${path}: the file system is read-only (${detail}). Mount it writable, ${elsewhere}`;
    case 'ENOTDIR':
      return `cannot use config file ${path}: part of the path is a file, not a directory (${detail}). Fix the path, ${elsewhere}`;
    case 'EISDIR':
      return `cannot use config file ${path}: it is a directory. Point CONFIG_PATH at a file (e.g. ${path.replace(/\/+$/, '')}/config.yaml)`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `cannot write config file ${path}: no space left (${detail}). Free some space, ${elsewhere}`;
    default:
      return undefined;
  }
}

/** The Redis connection errors that mean "nothing usable at that address". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/**
 * A Redis connection error with the fix (Redis not running, wrong host, wrong password), or
 * undefined when the error says nothing the operator can act on. `url` must be redacted.
 */
export function redisProblem(err: unknown, url: string): string | undefined {
  const code = codeOf(err);
  const message = (err as Error | undefined)?.message ?? String(err);
  const setting = 'REDIS_URL (or redis.url in config.yaml)';
  if (UNREACHABLE.has(code) || /connect ETIMEDOUT|getaddrinfo/.test(message)) {
    return (
      `Redis at ${url} is unreachable (${message}). Start Redis there, or point ${setting} at a ` +
      'running one; retrying meanwhile (the proxy serves from its last config)'
    );
  }
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    return `Redis at ${url} refused the credentials (${message}). Set the password in ${setting}: redis://:<password>@host:6379`;
  }
  return undefined;
}

function uid(): string {
  return typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
}
