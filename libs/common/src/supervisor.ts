/**
 * How a member process and its supervisor (`npm start`, scripts/start.mjs) talk. The launcher
 * starts each member with an IPC channel: the member reports when it listens, and notices the
 * launcher's death when the channel closes. Without a channel (Docker, systemd, tests) every
 * function here does nothing.
 */

/**
 * Exit code of a process that stopped because its configuration is invalid (sysexits'
 * EX_CONFIG). Restarting it would only print the same problems again, so supervisors do not.
 */
export const CONFIG_EXIT_CODE = 78;

/** What a member tells the launcher once it listens. */
export interface ReadyMessage {
  type: 'ready';
  kind: 'gateway' | 'worker';
  /** The address it listens on, as `http://host:port`. */
  url: string;
  /** Config file in force. */
  config?: string;
  /** Path of the web panel, when it is served. */
  panel?: string;
  /** True when a management key is configured (the panel can sign in). */
  management?: boolean;
  /** Gateway processes sharing the port (GATEWAY_WORKERS), when more than one. */
  processes?: number;
}

/** True when this process runs under the launcher (it has an IPC channel to it). */
export function isSupervised(): boolean {
  return typeof process.send === 'function';
}

/** Tell the launcher something; never throws (the channel may be closing). */
export function notifySupervisor(message: ReadyMessage): void {
  if (!isSupervised() || !process.connected) return;
  try {
    process.send?.(message);
  } catch {
    // the launcher is gone: its disconnect handler takes care of this process
  }
}

/**
 * Call `onLost` once when the launcher goes away (its IPC channel closes: it exited or was
 * killed). From then on nobody reads this process's stdout: writes to the broken pipe are
 * ignored instead of crashing the drain.
 */
export function onSupervisorLost(onLost: () => void): void {
  if (!isSupervised()) return;
  const lost = () => {
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    onLost();
  };
  // Gone already (it died while this process was starting): act now.
  if (!process.connected) setImmediate(lost);
  else process.once('disconnect', lost);
}
