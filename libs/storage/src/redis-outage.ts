import type { EventEmitter } from 'node:events';

/**
 * Since when the request-path Redis connection has been down, for the panel's outage banner
 * ("since 07:35 — requests are buffered"). Watches the connection's events; `isUp` lets the
 * caller add what events cannot see (a stalled server that still holds the socket).
 */
export class RedisOutage {
  private downSince: number | undefined;

  constructor(
    conn: EventEmitter & { status: string },
    private readonly now: () => number = Date.now,
  ) {
    if (conn.status !== 'ready') this.downSince = this.now();
    conn.on('ready', () => {
      this.downSince = undefined;
    });
    const lost = () => {
      this.downSince ??= this.now();
    };
    conn.on('close', lost);
    conn.on('end', lost);
    conn.on('error', lost);
  }

  /** The outage as seen now: `up` from the caller's check, `since` from the first sign of it. */
  state(up: boolean): { up: boolean; downSince?: number } {
    if (up) {
      this.downSince = undefined;
      return { up: true };
    }
    this.downSince ??= this.now();
    return { up: false, downSince: this.downSince };
  }
}
