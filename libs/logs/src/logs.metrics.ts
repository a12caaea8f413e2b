import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';

/** Which shared log a metric is about. */
export type LogStreamName = 'process' | 'requests' | 'errors' | 'bodies';

/** Prometheus metrics of the shared logs and of their live (SSE) readers. */
@Injectable()
export class LogsMetrics {
  /** Entries that never reached Redis (buffer full while Redis was down, or refused). */
  readonly dropped: Counter<'stream' | 'reason'>;
  /** Live events not sent to a slow SSE client (its socket buffer was full). */
  readonly sseDropped: Counter<'stream'>;
  /** SSE clients cut off because they stayed too slow for too long. */
  readonly sseDisconnected: Counter<'stream'>;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.dropped = new Counter({
      name: `${METRIC_PREFIX}log_entries_dropped_total`,
      help: 'Log entries (process, request, error logs) dropped before reaching Redis',
      labelNames: ['stream', 'reason'],
      registers,
    });
    this.sseDropped = new Counter({
      name: `${METRIC_PREFIX}sse_events_dropped_total`,
      help: 'Live log events skipped for an SSE client whose socket buffer was full',
      labelNames: ['stream'],
      registers,
    });
    this.sseDisconnected = new Counter({
      name: `${METRIC_PREFIX}sse_slow_clients_disconnected_total`,
      help: 'SSE clients disconnected for staying too slow to keep up',
      labelNames: ['stream'],
      registers,
    });
  }
}
