import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { inMetricsCluster, joinClusterMetrics, scrapeCluster } from '@app/metrics/cluster-metrics';
import { HistogramSeries, LabelCache } from '@app/metrics/metric-series';

/** Prefix of every metric this project defines. */
export const METRIC_PREFIX = 'switchboard_';

/**
 * The process's Prometheus registry. Labels are always bounded: route patterns (never raw URLs),
 * methods, status codes. Metric objects are created once here and shared.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  /** HTTP request duration by route pattern, method and status. */
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;
  /** 1 while Redis answers, 0 otherwise. */
  readonly redisUp: Gauge;
  /** Config reloads by result. */
  readonly configReloads: Counter<'result'>;
  /** Where `redis_up` reads the connection state (set by the storage lib). */
  private redisReady: () => boolean | undefined = () => undefined;
  /** HTTP duration series by route → method → status: every request lands here. */
  private readonly httpSeries: LabelCache<
    string,
    LabelCache<string, LabelCache<number, HistogramSeries<'route' | 'method' | 'status'>>>
  >;

  constructor() {
    // prom-client's process and Node.js metrics keep their standard names
    // (process_resident_memory_bytes, nodejs_heap_size_used_bytes…): the usual Node.js
    // dashboards and alert rules read them as they are. Only our own metrics carry the prefix.
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'HTTP request duration by route pattern, method and status code',
      labelNames: ['route', 'method', 'status'],
      buckets: [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
      ],
      registers: [this.registry],
    });
    const redisReady = () => this.redisReady();
    this.redisUp = new Gauge({
      name: `${METRIC_PREFIX}redis_up`,
      help: '1 when the Redis command connection is ready',
      registers: [this.registry],
      // Several processes on one port (GATEWAY_WORKERS): up only when every one is.
      aggregator: 'min',
      // Read at collection, so a process asked for its metrics by its cluster primary (not
      // scraped itself) reports its own connection.
      collect() {
        const up = redisReady();
        if (up !== undefined) this.set(up ? 1 : 0);
      },
    });
    this.configReloads = new Counter({
      name: `${METRIC_PREFIX}config_reloads_total`,
      help: 'Config reloads by result: ok (a new config took effect), invalid (rejected, the previous one stays), error (unreadable)',
      labelNames: ['result'],
      registers: [this.registry],
    });
    // One of several gateway processes on a port: the primary can ask for this registry.
    joinClusterMetrics(this.registry);
    const http = this.httpDuration;
    this.httpSeries = new LabelCache(
      (route) =>
        new LabelCache(
          (method) =>
            new LabelCache(
              (status) => new HistogramSeries(http, { route, method, status: String(status) }),
            ),
        ),
    );
  }

  /**
   * Time one HTTP request: same series as `httpDuration.observe({route, method, status}, s)`,
   * without building and hashing a label object per request.
   */
  observeHttp(route: string, method: string, status: number, seconds: number): void {
    this.httpSeries.get(route).get(method).get(status).observe(seconds);
  }

  /** Let `redis_up` read the request-path connection's state at each collection. */
  setRedisReadyReader(read: () => boolean): void {
    this.redisReady = read;
  }

  /** Register a gauge whose value is read at scrape time. */
  gaugeFn(name: string, help: string, read: () => number): Gauge {
    return new Gauge({
      name: `${METRIC_PREFIX}${name}`,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /**
   * Prometheus text exposition: this process's metrics or, when it is one of several gateway
   * processes sharing a port, all of theirs added up (its own alone if the primary is slow).
   */
  async render(): Promise<{ contentType: string; body: string }> {
    const all = inMetricsCluster() ? await scrapeCluster() : undefined;
    return { contentType: this.registry.contentType, body: all ?? (await this.registry.metrics()) };
  }
}
