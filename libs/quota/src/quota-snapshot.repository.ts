import { Injectable } from '@nestjs/common';
import { hashTag, RedisService } from '@app/storage';
import type { QuotaProvider, QuotaSnapshot } from '@app/quota/quota.types';

/** Snapshots outlive several missed polls, then expire so a removed account leaves no trace. */
const SNAPSHOT_TTL_SECONDS = 7 * 24 * 3600;

/** The snapshots and their index share a hash tag: one MULTI writes both, one MGET reads all. */
const QUOTA = hashTag('quota');

/**
 * Latest quota snapshot per credential (its `auth_index`), written by the worker, read by every
 * gateway. Keyed by credential, not by email: several credentials can share one email (Gemini
 * CLI projects, Codex personal and team plans), each with its own quota.
 */
@Injectable()
export class QuotaSnapshotRepository {
  constructor(private readonly redis: RedisService) {}

  private snapshotKey(provider: QuotaProvider, authIndex: string): string {
    return this.redis.key(QUOTA, provider, authIndex);
  }

  /** The key a snapshot is stored under: its credential, else (older writers) its account. */
  private static idOf(snapshot: QuotaSnapshot): string {
    return snapshot.authIndex ?? snapshot.accountId;
  }

  private get indexKey(): string {
    return this.redis.key(QUOTA, 'index');
  }

  /** Store the latest snapshot of one credential. */
  async put(snapshot: QuotaSnapshot): Promise<void> {
    const id = QuotaSnapshotRepository.idOf(snapshot);
    const member = `${snapshot.provider}\u0000${id}`;
    await this.redis.command
      .multi()
      .set(
        this.snapshotKey(snapshot.provider, id),
        JSON.stringify(snapshot),
        'EX',
        SNAPSHOT_TTL_SECONDS,
      )
      .sadd(this.indexKey, member)
      .exec();
  }

  /** The latest snapshot of one credential, or undefined when none was taken. */
  async get(provider: QuotaProvider, authIndex: string): Promise<QuotaSnapshot | undefined> {
    const raw = await this.redis.command.get(this.snapshotKey(provider, authIndex));
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
      const [provider, id] = m.split('\u0000') as [QuotaProvider, string];
      return this.snapshotKey(provider, id);
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

  /** Forget one credential's snapshot. */
  async delete(provider: QuotaProvider, authIndex: string): Promise<void> {
    const member = `${provider}\u0000${authIndex}`;
    await this.redis.command
      .multi()
      .del(this.snapshotKey(provider, authIndex))
      .srem(this.indexKey, member)
      .exec();
  }
}
