import { Logger, type LogLevel } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { nestLogLevels, readRuntimeEnv } from '@app/config';
import { type LogFields, formatAccessLine } from '@app/logs';

/**
 * Paths polled by machines, not people: probes, scrapes and the Management Center's own log
 * poll would bury every other line (and a log poll would log itself).
 */
const QUIET_PATHS: ReadonlySet<string> = new Set([
  '/healthz',
  '/readyz',
  '/status',
  '/metrics',
  '/keep-alive',
  '/v0/management/logs',
]);

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * One process-log line per answered request, in CLIProxyAPI's request-log layout (see
 * `formatAccessLine`) so the Management Center's log filters work on it: info for 1xx-3xx, warn
 * for 4xx, error for 5xx, as CLIProxyAPI logs them. No logger context, so the stored line reads
 * `[time] [level] [member] 200 | … | GET "/path"`. It is logged as a structured message: the
 * shared log stores `msg` as it is, and JSON stdout also gets `request_id`, `route`, `method`,
 * `status`, `latency_ms` and `ip` as fields (docs/operations.md). Lines of a level LOG_LEVEL
 * leaves out (`levels`) are not even built: at `warn`, a success costs one comparison.
 */
export function installAccessLog(
  app: FastifyInstance,
  addressOf: (req: FastifyRequest) => string,
  levels: readonly LogLevel[] = nestLogLevels(readRuntimeEnv().logLevel),
): void {
  const logger = new Logger();
  // The lowest status that is logged: LOG_LEVEL is read once, at start.
  const from = levels.includes('log')
    ? 0
    : levels.includes('warn')
      ? 400
      : levels.includes('error')
        ? 500
        : 600;
  app.addHook('onResponse', (req, reply, done) => {
    const status = reply.statusCode;
    if (status < from || QUIET_PATHS.has(pathOf(req.url))) return done();
    const ip = addressOf(req);
    const requestId = String(req.id);
    const latencyMs = reply.elapsedTime;
    const line: LogFields = {
      msg: formatAccessLine({ status, latencyMs, ip, method: req.method, url: req.url, requestId }),
      request_id: requestId,
      route: req.routeOptions.url ?? 'unmatched',
      method: req.method,
      status,
      latency_ms: Math.round(latencyMs * 1000) / 1000,
      ip,
    };
    if (status >= 500) logger.error(line);
    else if (status >= 400) logger.warn(line);
    else logger.log(line);
    done();
  });
}
