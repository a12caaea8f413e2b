import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';

/** Per-key limit metrics; the only label is the limit kind (bounded). */
@Injectable()
export class LimitsMetrics {
  /** Requests refused by a limit: rpm, tpm, tpd, concurrency or model. */
  readonly rejected: Counter<'kind'>;
  /** Requests admitted without a check because Redis did not answer (fail open). */
  readonly failOpen: Counter;
  /** Token or lease updates that could not reach Redis. */
  readonly writeErrors: Counter<'op'>;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.rejected = new Counter({
      name: `${METRIC_PREFIX}limits_rejected_total`,
      help: 'Requests refused by a per-key limit, by kind (rpm, tpm, tpd, concurrency, model)',
      labelNames: ['kind'],
      registers,
    });
    this.failOpen = new Counter({
      name: `${METRIC_PREFIX}limits_fail_open_total`,
      help: 'Requests admitted unchecked because Redis was unreachable (limits fail open)',
      registers,
    });
    this.writeErrors = new Counter({
      name: `${METRIC_PREFIX}limits_write_errors_total`,
      help: 'Limit counter updates that failed to reach Redis, by operation (tokens, renew, release)',
      labelNames: ['op'],
      registers,
    });
  }
}
