import { createServer, type Server } from 'node:http';
import { QueueName, type JobRepository, type QueueCounts } from '@app/jobs';
import type { MetricsService } from '@app/metrics';
import type { RedisService } from '@app/storage';
import type { WorkerService } from '@app/worker/worker.service';

export interface WorkerHealth {
  status: 'ok' | 'unhealthy';
  process: string;
  redis: boolean;
  queuesRunning: boolean;
  queues: Partial<Record<QueueName, QueueCounts>>;
}

/**
 * The worker's small HTTP server: GET /health (details), /healthz (alive) and /readyz (can
 * work: Redis reachable, config loaded, not draining; no details) for orchestrators, and
 * GET /metrics.
 */
export class HealthServer {
  private server: Server | undefined;

  constructor(
    private readonly deps: {
      redis: RedisService;
      jobs: JobRepository;
      worker: WorkerService;
      metrics: MetricsService;
      processName: string;
      /** `metrics.enabled` (hot-reloaded); /metrics answers 404 while it is false. */
      metricsEnabled?: () => boolean;
      /** Config loaded and not draining (Redis is checked here); /readyz is 503 while false. */
      ready?: () => boolean;
    },
  ) {}

  /** Readiness: Redis answers a PING, and the process says it can work. */
  async ready(): Promise<boolean> {
    if (this.deps.ready?.() === false) return false;
    return this.deps.redis.ping();
  }

  async health(): Promise<WorkerHealth> {
    const redis = await this.deps.redis.ping();
    const queues: WorkerHealth['queues'] = {};
    if (redis) {
      for (const q of Object.values(QueueName)) {
        try {
          queues[q] = await this.deps.jobs.counts(q);
        } catch {
          // counted as unknown below
        }
      }
    }
    const queuesRunning = this.deps.worker.isStarted && this.deps.jobs.workersRunning();
    return {
      status: redis && queuesRunning ? 'ok' : 'unhealthy',
      process: this.deps.processName,
      redis,
      queuesRunning,
      queues,
    };
  }

  listen(port: number, host: string): Promise<number> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (status: number, type: string, body: string) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      };
      if (req.method !== 'GET')
        return send(405, 'application/json', '{"error":"method not allowed"}');
      if (path === '/health') {
        this.health().then(
          (h) => send(h.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(h)),
          () => send(503, 'application/json', '{"status":"unhealthy"}'),
        );
        return;
      }
      if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
      if (path === '/readyz') {
        this.ready().then(
          (ok) =>
            ok
              ? send(200, 'application/json', '{"status":"ready"}')
              : send(503, 'application/json', '{"status":"unavailable"}'),
          () => send(503, 'application/json', '{"status":"unavailable"}'),
        );
        return;
      }
      if (path === '/metrics' && this.deps.metricsEnabled?.() !== false) {
        this.deps.metrics.redisUp.set(this.deps.redis.isReady ? 1 : 0);
        this.deps.metrics.render().then(
          (m) => send(200, m.contentType, m.body),
          () => send(500, 'text/plain', 'metrics unavailable'),
        );
        return;
      }
      send(
        404,
        'application/json',
        '{"error":"not found; try /health, /healthz, /readyz or /metrics"}',
      );
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => {
        const addr = this.server!.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
