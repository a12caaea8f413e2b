import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { movedKey, MOVE_SCRIPT } from '@app/storage/key-layout';
import { RedisService } from '@app/storage/redis.service';

/** Keys asked for per SCAN step. */
const SCAN_COUNT = 1000;

/** What one run did. */
export interface MigrationReport {
  renamed: number;
  merged: number;
}

/**
 * Brings the keys of an older version (before the hash-tagged layout, docs/redis.md) to their
 * new names: every process runs it once when Redis is first reachable, so an upgrade keeps
 * usage statistics, logs and counters whatever starts first. Each key moves in one atomic
 * script, so processes that start together, or that already wrote to the new name, never count
 * anything twice. A Redis Cluster never held the old layout (its multi-key scripts could not
 * run there), so there is nothing to do on one.
 */
@Injectable()
export class KeyLayoutMigration implements OnApplicationBootstrap {
  private readonly logger = new Logger('Redis');
  private done = false;
  private running: Promise<MigrationReport> | undefined;

  constructor(private readonly redis: RedisService) {}

  onApplicationBootstrap(): void {
    if (this.redis.topology === 'cluster') return;
    const attempt = () => {
      if (this.done || this.running) return;
      this.run()
        .then(() => this.redis.command.off('ready', attempt))
        .catch((err: unknown) => {
          this.logger.warn(`key layout update failed, retried on reconnect: ${String(err)}`);
        });
    };
    this.redis.command.on('ready', attempt);
    if (this.redis.command.status === 'ready') attempt();
  }

  /** Move every key of the old layout (concurrent calls share one run). */
  run(): Promise<MigrationReport> {
    this.running ??= this.migrate()
      .then((report) => {
        this.done = true;
        return report;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async migrate(): Promise<MigrationReport> {
    const conn = this.redis.command as Redis;
    const prefix = this.redis.settings.keyPrefix;
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    const report: MigrationReport = { renamed: 0, merged: 0 };
    let cursor = '0';
    do {
      const [next, keys] = await conn.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      cursor = next;
      for (const key of keys) {
        const move = movedKey(key.slice(prefix.length));
        if (!move) continue;
        const res = Number(await conn.eval(MOVE_SCRIPT, 2, key, prefix + move.to, move.mode));
        if (res === 1) report.renamed++;
        else if (res === 2) report.merged++;
      }
    } while (cursor !== '0');
    if (report.renamed + report.merged > 0) {
      this.logger.log(
        `moved ${report.renamed + report.merged} keys of the previous layout to their hash-tagged names (${report.merged} merged with keys written since)`,
      );
    }
    return report;
  }
}
