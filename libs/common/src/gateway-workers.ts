/**
 * `GATEWAY_WORKERS`: how many gateway processes share one port on this host (Node's cluster
 * module). `auto` is one per core; the image defaults to 1 (containers are the unit of scale
 * there), `npm start` to `auto`.
 */

/** Env variable that names a gateway process's place among its host's gateway processes. */
export const GATEWAY_WORKER_ENV = 'SB_GATEWAY_WORKER';

/** More processes than this on one port is a typo, not a plan. */
export const MAX_GATEWAY_WORKERS = 64;

/**
 * The number of gateway processes `value` asks for: a whole number from 1 to 64, or `auto` (one
 * per core, `cores`). Unset or empty means `fallback`. Throws a message naming the variable.
 */
export function parseGatewayWorkers(
  value: string | undefined,
  cores: number,
  fallback: 'auto' | number = 1,
): number {
  const text = value?.trim().toLowerCase() || String(fallback);
  if (text === 'auto') return Math.max(1, Math.min(MAX_GATEWAY_WORKERS, Math.floor(cores)));
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_GATEWAY_WORKERS) {
    throw new Error(
      `GATEWAY_WORKERS must be "auto" or a whole number from 1 to ${MAX_GATEWAY_WORKERS}, got "${value}"`,
    );
  }
  return n;
}

/** How a gateway process (one of several on a port) ended, and what its parent does next. */
export type WorkerExitAction =
  /** Exit 0: it stopped on purpose (cluster shutdown, its own drain); it stays down. */
  | 'stay-down'
  /** Asked to restart (cluster API, exit 75): start it again at once. */
  | 'restart-now'
  /** A configuration problem (exit 78): every process would fail the same way; stop all. */
  | 'stop-all'
  /** Anything else: a crash, restarted after a backoff. */
  | 'crashed';

/** Classify a process exit (`code` null when a signal ended it). */
export function workerExitAction(
  code: number | null,
  codes: { restart: number; config: number },
): WorkerExitAction {
  if (code === 0) return 'stay-down';
  if (code === codes.restart) return 'restart-now';
  if (code === codes.config) return 'stop-all';
  return 'crashed';
}
