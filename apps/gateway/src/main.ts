import 'reflect-metadata';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { Logger } from '@nestjs/common';
import { NameTakenError, REFUSED_EXIT_CODE } from '@app/cluster';
import { ConfigService, loadConfigOrExit } from '@app/config';
import { AppLogger, appLoggerOptions, ProcessLogger } from '@app/logs';
import { ManagementAuthService } from '@app/management';
import { RedisService } from '@app/storage';
import { createGatewayApp } from '@app/gateway/app.factory';
import { LifecycleService } from '@app/gateway/lifecycle/lifecycle.service';
import { runGatewayPrimary } from '@app/gateway/primary/gateway-primary';
import { applyGcTuning } from '@app/gateway/runtime/gc-tuning';
import {
  CONFIG_EXIT_CODE,
  GATEWAY_WORKER_ENV,
  exampleClientKeys,
  installGracefulShutdown,
  listenProblem,
  notifySupervisor,
  parseGatewayWorkers,
  parseShutdownDelay,
  resolveProcessName,
} from '@app/common';

/** How long in-flight requests and streams get to finish after a SIGTERM. */
const DRAIN_MS = 15_000;

/** GATEWAY_WORKERS and SHUTDOWN_DELAY_MS, or exit 78 with the message. */
function processSettings(logger: AppLogger): { workers: number; delayMs: number } {
  try {
    return {
      workers: parseGatewayWorkers(process.env.GATEWAY_WORKERS, availableParallelism()),
      delayMs: parseShutdownDelay(process.env.SHUTDOWN_DELAY_MS),
    };
  } catch (err) {
    logger.error((err as Error).message, 'Gateway');
    process.exit(CONFIG_EXIT_CODE);
  }
}

async function main(): Promise<void> {
  // Before any traffic: the young collections of the proxy path depend on it.
  applyGcTuning();
  // The member name includes the listen port, known once config.yaml is read.
  const logger = new AppLogger(appLoggerOptions(resolveProcessName('gateway', process.env)));
  const { workers, delayMs } = processSettings(logger);
  const { path, config: loaded } = await loadConfigOrExit(logger);
  logger.rename(resolveProcessName('gateway', process.env, loaded.port));
  if (workers > 1 && cluster.isPrimary) {
    // Several gateway processes on this port: this one only runs them (config.yaml was checked,
    // and created on first run, once, above).
    runGatewayPrimary({ count: workers, port: loaded.port, drainMs: DRAIN_MS + delayMs, logger });
    return;
  }
  // The first (or only) gateway process of the port says what concerns them all.
  const first = (process.env[GATEWAY_WORKER_ENV] ?? '1') === '1';
  const app = await createGatewayApp({ logger, bufferLogs: true });
  // From here on every log line also goes to the cluster's shared process log.
  app.useLogger(app.get(ProcessLogger));
  const config = app.get(ConfigService);
  const cfg = config.current;
  if (first && cfg['api-keys'].length === 0) {
    Logger.warn('api-keys is empty: the proxy is open to anyone who can reach it', 'Gateway');
  }
  const examples = exampleClientKeys(cfg['api-keys']);
  if (first && examples.length > 0) {
    Logger.warn(
      `api-keys holds the example placeholder(s) ${examples.join(', ')}: they are refused as ` +
        `client keys; replace them in ${path} with long random strings`,
      'Gateway',
    );
  }
  // Start the services (they subscribe to the cluster's channels), then give Redis a moment so
  // the first /status is accurate and announcements made from now on (a pause, a config
  // change) reach this process; the gateway serves without Redis anyway.
  await app.init();
  const redis = app.get(RedisService);
  if (await redis.waitReady(3000)) await redis.waitSubscribed(2000);
  const host = cfg.host || '0.0.0.0';
  try {
    await app.listen(cfg.port, host);
  } catch (err) {
    // Errors only a setting can fix: say which, and do not get restarted.
    const problem = listenProblem(err, {
      host,
      port: cfg.port,
      portSetting: `PORT, or port in ${path}`,
      hostSetting: `host in ${path}`,
    });
    if (!problem) throw err;
    Logger.error(problem, 'Gateway');
    await app.close().catch(() => undefined);
    process.exit(CONFIG_EXIT_CODE);
  }
  const url = `http://${host}:${cfg.port}`;
  const panel = cfg['remote-management']['disable-control-panel'] ? undefined : '/management.html';
  Logger.log(`ready on ${url} (config ${path})`, 'Gateway');
  notifySupervisor({
    type: 'ready',
    kind: 'gateway',
    url,
    config: path,
    panel,
    management: app.get(ManagementAuthService).isEnabled(),
  });
  const lifecycle = app.get(LifecycleService);
  installGracefulShutdown({
    name: 'gateway',
    drainMs: DRAIN_MS + delayMs,
    delayMs,
    // One of several processes on a port: the primary relays the signals that concern it.
    signals: cluster.isWorker ? ['SIGTERM'] : undefined,
    beforeClose: () => lifecycle.startDraining(),
    close: async () => {
      // Connections busy when the drain began turn idle (keep-alive) as their last response
      // ends; close them as they do, or server.close() would wait for the clients to hang up.
      const server = app.getHttpServer();
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
    },
  });
}

main().catch((err: unknown) => {
  // Anything else that stops the start (Redis settings, a bug): one line, then exit non-zero.
  Logger.error((err as Error)?.message ?? String(err), 'Gateway');
  // A failure before the process logger took over would otherwise stay in Nest's buffer.
  Logger.flush();
  // A name a live member holds is refused like a config problem: restarting cannot fix it.
  process.exit(err instanceof NameTakenError ? REFUSED_EXIT_CODE : 1);
});
