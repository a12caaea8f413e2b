import { Logger } from '@nestjs/common';
import { onSupervisorLost } from '@app/common/supervisor';

export interface ShutdownOptions {
  name: string;
  /** Longest time to wait for in-flight work before exiting anyway. */
  drainMs: number;
  /** Runs first and synchronously (e.g. mark the process as draining). */
  beforeClose?: () => void;
  /**
   * Keep serving this long after `beforeClose` before `close` stops accepting: long enough for
   * a load balancer's health check to see the replica draining and stop sending to it, so no
   * request reaches a closed port. Counted within `drainMs`. Default 0.
   */
  delayMs?: number;
  /**
   * The signals that start the drain (default SIGTERM, SIGINT, SIGHUP). Others of those three
   * are ignored: one of several gateway processes on a port reacts to its primary's SIGTERM
   * only, not to the Ctrl-C the terminal sends the whole process group.
   */
  signals?: readonly ('SIGTERM' | 'SIGINT' | 'SIGHUP')[];
  /** Stops accepting, drains, closes connections. */
  close: () => Promise<void>;
}

/**
 * `SHUTDOWN_DELAY_MS`: how long a draining gateway keeps serving before it stops accepting (0
 * to 60000, default 0). Behind a load balancer, set it above the balancer's time to mark a
 * replica down (check interval × failures).
 */
export function parseShutdownDelay(value: string | undefined): number {
  const text = value?.trim() ?? '';
  if (text === '') return 0;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 60_000) {
    throw new Error(
      `SHUTDOWN_DELAY_MS must be a whole number of ms from 0 to 60000, got "${value}"`,
    );
  }
  return n;
}

/**
 * SIGTERM / SIGINT / SIGHUP, or the death of the launcher that started this process: stop
 * accepting, drain in-flight work (bounded), close Redis and queues, exit 0. (Nest's
 * enableShutdownHooks re-raises the signal after closing, which exits non-zero.) A second
 * signal exits at once.
 */
export function installGracefulShutdown(opts: ShutdownOptions): void {
  const logger = new Logger(opts.name);
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) {
      logger.warn(`${reason} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.log(`${reason}: draining (up to ${opts.drainMs} ms)`);
    opts.beforeClose?.();
    const timer = setTimeout(() => {
      logger.warn('drain timed out: exiting with work still in flight');
      process.exit(1);
    }, opts.drainMs);
    timer.unref();
    const delay = Math.max(0, opts.delayMs ?? 0);
    const closing =
      delay > 0
        ? new Promise<void>((r) => setTimeout(r, delay)).then(() => opts.close())
        : opts.close();
    if (delay > 0) logger.log(`serving ${delay} ms more while load balancers see the drain`);
    closing
      .then(() => {
        logger.log('stopped cleanly');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error(`shutdown failed: ${(err as Error)?.message ?? String(err)}`);
        process.exit(1);
      });
  };
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, signals.includes(signal) ? stop : () => undefined);
  }
  onSupervisorLost(() => {
    if (!stopping) stop('launcher exited');
  });
}
