import cluster, { type Worker } from 'node:cluster';
import type { LoggerService } from '@nestjs/common';
import { RESTART_EXIT_CODE } from '@app/cluster';
import { serveClusterMetrics } from '@app/metrics';
import {
  CONFIG_EXIT_CODE,
  GATEWAY_WORKER_ENV,
  RestartPolicy,
  notifySupervisor,
  onSupervisorLost,
  resolveProcessName,
  workerExitAction,
  type ReadyMessage,
} from '@app/common';

/** What the primary needs to know. */
export interface GatewayPrimaryOptions {
  /** Gateway processes to run (GATEWAY_WORKERS). */
  count: number;
  /** The listen port (for the processes' names). */
  port: number;
  /** Longest a process takes to drain after SIGTERM (its own limit); then it is killed. */
  drainMs: number;
  logger: LoggerService;
}

/** One gateway process slot: its current process and its crash history. */
interface Slot {
  index: number;
  name: string;
  worker?: Worker;
  restarts: number;
  startedAt: number;
  policy: RestartPolicy;
  ready?: ReadyMessage;
  stopped: boolean;
  timer?: NodeJS.Timeout;
}

const CONTEXT = 'Gateway';
/** A second signal within this of the first is the same Ctrl-C relayed twice, not a repeat. */
const DUPLICATE_SIGNAL_MS = 2000;

/**
 * GATEWAY_WORKERS > 1: this process becomes the cluster primary of N gateway processes sharing
 * its port (Node's cluster module hands them the connections in turn). It serves nothing
 * itself. Each process is a cluster member of its own (`<name>-<n>`). The primary restarts a
 * process that asks to (exit 75) at once and one that crashed after a backoff, stops everything
 * on a configuration problem (exit 78), tells its own supervisor (the launcher) it is ready
 * once every process is, and on SIGTERM (or when its launcher goes away) drains them all, then
 * exits. Terminal signals are its alone: the processes react to its SIGTERM only.
 */
export function runGatewayPrimary(opts: GatewayPrimaryOptions): void {
  const { logger, count } = opts;
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({
    index: i + 1,
    name: resolveProcessName(
      'gateway',
      { ...process.env, [GATEWAY_WORKER_ENV]: String(i + 1) },
      opts.port,
    ),
    restarts: 0,
    startedAt: 0,
    policy: new RestartPolicy(),
    stopped: false,
  }));
  let announced = false;
  let stopping: { at: number } | undefined;

  const live = () => slots.filter((s) => s.worker && !s.worker.isDead());

  const stopAll = (reason: string, exitCode: number, signal = false) => {
    if (stopping) {
      if (signal && Date.now() - stopping.at > DUPLICATE_SIGNAL_MS) {
        logger.warn(`${reason} again: gateway processes exit now`, CONTEXT);
        for (const s of live()) s.worker?.process.kill('SIGTERM');
      }
      return;
    }
    stopping = { at: Date.now() };
    for (const s of slots) clearTimeout(s.timer);
    const running = live();
    logger.log(`${reason}: draining ${running.length} gateway processes`, CONTEXT);
    for (const s of running) s.worker?.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      for (const s of live()) s.worker?.process.kill('SIGKILL');
    }, opts.drainMs + 5000);
    deadline.unref();
    let failed = false;
    void Promise.all(
      running.map(
        (s) =>
          new Promise<void>((resolve) => {
            const w = s.worker as Worker;
            if (w.isDead()) return resolve();
            w.once('exit', (code: number | null) => {
              if (code !== 0) failed = true;
              resolve();
            });
          }),
      ),
    ).then(() => {
      logger.log('every gateway process stopped', CONTEXT);
      process.exit(exitCode !== 0 ? exitCode : failed ? 1 : 0);
    });
  };

  const start = (slot: Slot) => {
    slot.ready = undefined;
    slot.stopped = false;
    slot.startedAt = Date.now();
    const worker = cluster.fork({
      [GATEWAY_WORKER_ENV]: String(slot.index),
      SB_RESTARTS: String(slot.restarts),
    });
    slot.worker = worker;
    worker.on('message', (msg: unknown) => {
      if (!isReady(msg)) return;
      slot.ready = msg;
      if (announced || !slots.every((s) => s.ready || s.stopped)) return;
      announced = true;
      logger.log(`${count} gateway processes ready on ${msg.url}`, CONTEXT);
      notifySupervisor({ ...msg, processes: count });
    });
    worker.on('exit', (code: number | null, signal: string | null) => {
      if (stopping || slot.worker !== worker) return;
      const how = signal ?? `exit code ${code}`;
      switch (workerExitAction(code, { restart: RESTART_EXIT_CODE, config: CONFIG_EXIT_CODE })) {
        case 'stay-down':
          slot.stopped = true;
          logger.log(`${slot.name} stopped`, CONTEXT);
          if (slots.every((s) => s.stopped)) stopAll('every gateway process stopped', 0);
          return;
        case 'restart-now':
          slot.restarts += 1;
          logger.log(`${slot.name} restarting (asked by the cluster API)`, CONTEXT);
          start(slot);
          return;
        case 'stop-all':
          logger.error(
            `${slot.name} cannot run with this configuration (its message is above); stopping every gateway process`,
            CONTEXT,
          );
          stopAll('configuration problem', CONFIG_EXIT_CODE);
          return;
        case 'crashed': {
          const decision = slot.policy.crashed(Date.now(), slot.startedAt);
          if (decision.action === 'give-up') {
            logger.error(
              `${slot.name} crashed ${decision.crashes} times within 2 minutes (last: ${how}); giving up`,
              CONTEXT,
            );
            stopAll(`${slot.name} keeps crashing`, 1);
            return;
          }
          slot.restarts += 1;
          logger.warn(
            `${slot.name} crashed (${how}); restarting in ${decision.delayMs / 1000} s`,
            CONTEXT,
          );
          slot.timer = setTimeout(() => {
            if (!stopping) start(slot);
          }, decision.delayMs);
        }
      }
    });
  };

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => stopAll(signal, 0, true));
  }
  // A scrape of /metrics reaches one process; it asks here for every process's, added up.
  serveClusterMetrics();
  onSupervisorLost(() => stopAll('launcher exited', 0));
  logger.log(`starting ${count} gateway processes on port ${opts.port}`, CONTEXT);
  for (const slot of slots) start(slot);
}

function isReady(msg: unknown): msg is ReadyMessage {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'ready';
}
