/** Injection token for this process's cluster name (e.g. `gateway-1`, `worker-1`). */
export const PROCESS_NAME = 'SB_PROCESS_NAME';
