import { hostname } from 'node:os';

/** This process's cluster name: SB_PROCESS_NAME, else `<kind>-<hostname>`. */
export function resolveProcessName(kind: 'gateway' | 'worker', env = process.env): string {
  const explicit = env.SB_PROCESS_NAME?.trim();
  return explicit || `${kind}-${hostname()}`;
}
