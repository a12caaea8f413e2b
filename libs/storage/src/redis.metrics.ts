import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';
import {
  DEFAULT_SAMPLE_EVERY,
  instrumentCommands,
  type RedisErrorKind,
} from '@app/storage/redis.instrument';
import { RedisService } from '@app/storage/redis.service';

/**
 * Metrics of the request-path Redis connection (`RedisService.command`): commands sent, failures
 * by kind, and the round-trip time of one command in 16. The BullMQ connection is left alone:
 * its blocking commands would only blur the latency a request sees.
 */
@Injectable()
export class RedisMetrics implements OnApplicationShutdown {
  /** Failed commands by kind (timeout, unavailable, reply, other). */
  readonly errors: Counter<'kind'>;
  /** Sampled command round-trip time by command name. */
  readonly duration: Histogram<'command'>;
  private readonly instrumented: { sent: () => number; remove: () => void };

  constructor(metrics: MetricsService, redis: RedisService) {
    const registers = [metrics.registry];
    this.errors = new Counter({
      name: `${METRIC_PREFIX}redis_command_errors_total`,
      help: 'Failed Redis commands on the request-path connection by kind (timeout, unavailable, reply, other)',
      labelNames: ['kind'],
      registers,
    });
    this.duration = new Histogram({
      name: `${METRIC_PREFIX}redis_command_duration_seconds`,
      help: `Round-trip time of Redis commands on the request-path connection, one in ${DEFAULT_SAMPLE_EVERY} sampled`,
      labelNames: ['command'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    metrics.setRedisReadyReader(() => redis.isReady);
    const errors = this.errors;
    const duration = this.duration;
    this.instrumented = instrumentCommands(redis.command, {
      onError: (kind: RedisErrorKind) => {
        errors.inc({ kind });
        // A stalled Redis: let request-path callers use their local fallbacks meanwhile.
        if (kind === 'timeout') redis.markSuspect();
      },
      onSample: (command, seconds) => duration.observe({ command }, seconds),
    });
    // The per-command cost stays a number increment; the counter catches up at scrape time.
    const sent = this.instrumented.sent;
    let reported = 0;
    new Counter({
      name: `${METRIC_PREFIX}redis_commands_total`,
      help: 'Redis commands sent on the request-path connection',
      registers,
      collect() {
        const now = sent();
        if (now > reported) this.inc(now - reported);
        reported = now;
      },
    });
  }

  onApplicationShutdown(): void {
    this.instrumented.remove();
  }
}
