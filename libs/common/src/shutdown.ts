import { Logger } from '@nestjs/common';
import { onSupervisorLost } from '@app/common/supervisor';

export interface ShutdownOptions {
  name: string;
  /** Longest time to wait for in-flight work before exiting anyway. */
  drainMs: number;
  /** Runs first and synchronously (e.g. mark the process as draining). */
  beforeClose?: () => void;
  /** Stops accepting, drains, closes connections. */
  close: () => Promise<void>;
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
    opts
      .close()
      .then(() => {
        logger.log('stopped cleanly');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error(`shutdown failed: ${(err as Error)?.message ?? String(err)}`);
        process.exit(1);
      });
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, stop);
  onSupervisorLost(() => {
    if (!stopping) stop('launcher exited');
  });
}
