import { Injectable } from '@nestjs/common';
import { RedisService } from '@app/storage';
import type { QuotaProvider, QuotaSnapshot } from '@app/quota/quota.types';

/** Snapshots outlive several missed polls, then expire so a removed account leaves no trace. */
const SNAPSHOT_TTL_SECONDS = 7 * 24 * 3600;

/** Latest quota snapshot per provider account, written by the worker, read by every gateway. */
@Injectable()
export class QuotaSnapshotRepository {
  constructor(private readonly redis: RedisService) {}

  private snapshotKey(provider: QuotaProvider, accountId: string): string {
    return this.redis.key('quota', provider, accountId);
  }

  private get indexKey(): string {
    return this.redis.key('quota', 'index');
  }

  /** Store the latest snapshot of one account. */
  async put(snapshot: QuotaSnapshot): Promise<void> {
    const member = `${snapshot.provider}\u0000${snapshot.accountId}`;
    await this.redis.command
      .multi()
      .set(
        this.snapshotKey(snapshot.provider, snapshot.accountId),
        JSON.stringify(snapshot),
        'EX',
        SNAPSHOT_TTL_SECONDS,
      )
      .sadd(this.indexKey, member)
      .exec();
  }

  /** The latest snapshot of one account, or undefined when none was taken. */
  async get(provider: QuotaProvider, accountId: string): Promise<QuotaSnapshot | undefined> {
    const raw = await this.redis.command.get(this.snapshotKey(provider, accountId));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as QuotaSnapshot;
    } catch {
      return undefined;
    }
  }

  /** Every stored snapshot (for metrics and the panel); stale index entries are dropped. */
  async list(): Promise<QuotaSnapshot[]> {
    const members = await this.redis.command.smembers(this.indexKey);
    if (members.length === 0) return [];
    const keys = members.map((m) => {
      const [provider, accountId] = m.split('\u0000') as [QuotaProvider, string];
      return this.snapshotKey(provider, accountId);
    });
    const values = await this.redis.command.mget(...keys);
    const out: QuotaSnapshot[] = [];
    const stale: string[] = [];
    values.forEach((raw, i) => {
      if (raw === null) {
        stale.push(members[i]);
        return;
      }
      try {
        out.push(JSON.parse(raw) as QuotaSnapshot);
      } catch {
        stale.push(members[i]);
      }
    });
    if (stale.length > 0) await this.redis.command.srem(this.indexKey, ...stale);
    return out;
  }

  /** Forget one account's snapshot. */
  async delete(provider: QuotaProvider, accountId: string): Promise<void> {
    const member = `${provider}\u0000${accountId}`;
    await this.redis.command
      .multi()
      .del(this.snapshotKey(provider, accountId))
      .srem(this.indexKey, member)
      .exec();
  }
}
