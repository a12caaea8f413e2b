import { Injectable } from '@nestjs/common';
import { ClusterService } from '@app/cluster';
import { clientKeyTable, ConfigService } from '@app/config';
import {
  attentionItems,
  type AttentionItem,
  type KeyExpiry,
  type QuotaStatus,
} from '@app/management';
import { QuotaSnapshotRepository } from '@app/quota';
import { CredentialService } from '@app/routing';
import { routingHealth } from '@app/gateway/panel/routing-health';
import { RedisOutage, RedisService } from '@app/storage';
import { TrafficService, type FailureSpike } from '@app/usage';

/** `GET /v0/management/attention`. */
export interface AttentionReport {
  generated_at: string;
  redis: { status: 'up' | 'down'; down_since: string | null };
  items: AttentionItem[];
  counts: { bad: number; warn: number };
  /** Sources that could not be read (their problems are not listed): quota, members, traffic. */
  unavailable: string[];
}

/**
 * Gathers the state the "needs attention" list is decided from (libs/management/attention):
 * Redis, cluster members, credentials and their cooldowns, quota snapshots, models without a
 * usable credential, the failure rate and client-key expiries. A source that cannot be read
 * (Redis down) is named in `unavailable` instead of failing the whole answer.
 */
@Injectable()
export class AttentionService {
  private readonly outage: RedisOutage;

  constructor(
    private readonly redis: RedisService,
    private readonly config: ConfigService,
    private readonly credentials: CredentialService,
    private readonly quotas: QuotaSnapshotRepository,
    private readonly cluster: ClusterService,
    private readonly traffic: TrafficService,
  ) {
    this.outage = new RedisOutage(redis.command);
  }

  /** Redis as the outage banner shows it. */
  async redisState(): Promise<{ up: boolean; downSince?: number }> {
    return this.outage.state(this.redis.isReady && (await this.redis.ping()));
  }

  async report(now = Date.now()): Promise<AttentionReport> {
    const unavailable: string[] = [];
    const redis = await this.redisState();
    const routing = routingHealth(this.credentials, now);
    const snap = this.credentials.snapshot();
    const [quotas, members, spike] = await Promise.all([
      redis.up
        ? this.quotas.list().then(
            (list) =>
              list
                .filter((q) => q.success && q.authIndex)
                .map((q): QuotaStatus => {
                  const c = snap.byAuthIndex.get(q.authIndex ?? '');
                  return {
                    authIndex: q.authIndex ?? '',
                    label: c?.label ?? q.fileName ?? q.accountId,
                    provider: c?.provider ?? q.provider,
                    windows: [...(q.windows ?? []), ...(q.models ?? [])],
                  };
                })
                .filter((q) => !snap.byAuthIndex.get(q.authIndex)?.disabled),
            () => unavailableSource(unavailable, 'quota'),
          )
        : unavailableSource(unavailable, 'quota'),
      redis.up
        ? this.cluster.processes().catch(() => unavailableSource(unavailable, 'members'))
        : unavailableSource(unavailable, 'members'),
      redis.up
        ? this.traffic.spike(now).then(
            (s): FailureSpike | null => s ?? null,
            () => unavailableSource(unavailable, 'traffic'),
          )
        : unavailableSource(unavailable, 'traffic'),
    ]);
    const table = clientKeyTable(this.config.current);
    const keys: KeyExpiry[] = [];
    for (const info of table.byKeyId.values()) {
      if (info.expiresAt !== undefined) {
        keys.push({ keyId: info.keyId, label: info.label ?? '', expiresAt: info.expiresAt });
      }
    }
    const items = attentionItems({
      now,
      redis,
      credentials: routing.credentials,
      quotas,
      unserved: routing.unserved,
      spike,
      members,
      keys,
    });
    return {
      generated_at: new Date(now).toISOString(),
      redis: {
        status: redis.up ? 'up' : 'down',
        down_since: redis.downSince ? new Date(redis.downSince).toISOString() : null,
      },
      items,
      counts: {
        bad: items.filter((i) => i.severity === 'bad').length,
        warn: items.filter((i) => i.severity === 'warn').length,
      },
      unavailable,
    };
  }
}

function unavailableSource(list: string[], name: string): undefined {
  list.push(name);
  return undefined;
}
