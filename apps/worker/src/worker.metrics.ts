import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { JobRepository, QueueName } from '@app/jobs';
import { METRIC_PREFIX, MetricsService } from '@app/metrics';
import { QuotaSnapshotRepository, type QuotaSnapshot } from '@app/quota';
import { RedisService } from '@app/storage';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** The account label of quota metrics: a short, non-reversible id (never an email). */
export function quotaAccountLabel(s: QuotaSnapshot): string {
  return (s.authIndex ?? s.accountId).slice(0, 8);
}

/**
 * Gauges read at scrape time from Redis, so every worker reports the whole cluster's view:
 * quota left per account and window, and queue depth per queue and state.
 */
@Injectable()
export class WorkerMetrics {
  constructor(
    metrics: MetricsService,
    redis: RedisService,
    jobs: JobRepository,
    snapshots: QuotaSnapshotRepository,
  ) {
    new Gauge({
      name: `${METRIC_PREFIX}quota_remaining_ratio`,
      help: 'Quota left (0-1) per provider, account (short id) and window or model, from the latest poll',
      labelNames: ['provider', 'account', 'window'],
      registers: [metrics.registry],
      async collect() {
        this.reset();
        if (!redis.isReady) return;
        for (const s of await snapshots.list().catch(() => [])) {
          if (!s.success) continue;
          const account = quotaAccountLabel(s);
          for (const w of [...(s.windows ?? []), ...(s.models ?? [])]) {
            this.set({ provider: s.provider, account, window: w.name }, w.percentage / 100);
          }
        }
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}queue_jobs`,
      help: 'BullMQ jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [metrics.registry],
      async collect() {
        this.reset();
        if (!redis.isReady) return;
        for (const queue of Object.values(QueueName)) {
          const counts = await jobs.counts(queue).catch(() => undefined);
          if (!counts) continue;
          for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state]);
        }
      },
    });
  }
}
