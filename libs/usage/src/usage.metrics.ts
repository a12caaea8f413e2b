import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';

/** Prometheus metrics of the usage recorder. */
@Injectable()
export class UsageMetrics {
  /** Records dropped because the buffer was full (Redis slow or down for long). */
  readonly dropped: Counter;
  /** Duration of one flushed batch. */
  readonly flushDuration: Histogram;
  /** Batches that failed to flush (retried later). */
  readonly flushErrors: Counter;
  /**
   * Batches written again after a reconnect (a failover may have lost them): `applied` were
   * lost and are now stored, `replayed` had survived and were not counted again.
   */
  readonly resent: Counter<'result'>;
  /** Records waiting in memory (read at scrape time). */
  readonly buffered: Gauge;
  private readBuffered: () => number = () => 0;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.dropped = new Counter({
      name: `${METRIC_PREFIX}usage_records_dropped_total`,
      help: 'Usage records dropped because the in-memory buffer was full',
      registers,
    });
    this.flushDuration = new Histogram({
      name: `${METRIC_PREFIX}usage_flush_duration_seconds`,
      help: 'Time to write one batch of usage records to Redis',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.flushErrors = new Counter({
      name: `${METRIC_PREFIX}usage_flush_errors_total`,
      help: 'Usage batches that failed to reach Redis (kept and retried)',
      registers,
    });
    this.resent = new Counter({
      name: `${METRIC_PREFIX}usage_batches_resent_total`,
      help: 'Usage batches written again after a Redis reconnect or failover, by result (applied: it had been lost; replayed: it had survived and was not counted again)',
      labelNames: ['result'],
      registers,
    });
    const read = () => this.readBuffered();
    this.buffered = new Gauge({
      name: `${METRIC_PREFIX}usage_records_buffered`,
      help: 'Usage records waiting in memory to be written to Redis',
      registers,
      collect() {
        this.set(read());
      },
    });
  }

  /** Where the buffered gauge reads its value at scrape time. */
  setBufferedReader(read: () => number): void {
    this.readBuffered = read;
  }
}
