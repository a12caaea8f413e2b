import { hostname } from 'node:os';
import { GATEWAY_WORKER_ENV } from '@app/common/gateway-workers';

/** Worker health and metrics port when WORKER_PORT is unset. */
export const DEFAULT_WORKER_PORT = 8318;

/**
 * This process's cluster name: SB_PROCESS_NAME, else `<kind>-<hostname>-<port>`. The port (the
 * gateway's listen port, the worker's WORKER_PORT) tells apart processes that share a host, such
 * as two `npm start` on one machine; a gateway on an ephemeral port (0) uses its pid instead.
 * One of several gateway processes sharing a port (GATEWAY_WORKERS) adds its number:
 * `gateway-<hostname>-<port>-2`.
 */
export function resolveProcessName(
  kind: 'gateway' | 'worker',
  env: NodeJS.ProcessEnv = process.env,
  gatewayPort?: number,
): string {
  const index = kind === 'gateway' ? env[GATEWAY_WORKER_ENV]?.trim() : undefined;
  const suffix = index ? `-${index}` : '';
  const explicit = env.SB_PROCESS_NAME?.trim();
  if (explicit) return explicit + suffix;
  const port = kind === 'gateway' ? gatewayPort : Number(env.WORKER_PORT ?? DEFAULT_WORKER_PORT);
  const id = port !== undefined && Number.isInteger(port) && port > 0 ? port : process.pid;
  return `${kind}-${hostname()}-${id}${suffix}`;
}
