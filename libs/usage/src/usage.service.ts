import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { ConfigService } from '@app/config';
import { RedisUsageRecorder } from '@app/usage/redis-usage.recorder';
import { cleanLabel, type UsageEntry } from '@app/usage/usage-entry';
import { isUnfiltered } from '@app/usage/usage-query';
import { UsageRepository } from '@app/usage/usage.repository';
import {
  dayInRange,
  daysOf,
  pairsOf,
  snapshotFromAggregates,
  snapshotFromCells,
} from '@app/usage/usage-snapshot';
import type {
  UsageExport,
  UsageFilter,
  UsageImportResult,
  UsageSnapshot,
} from '@app/usage/usage-snapshot.types';

const DAY_MS = 86_400_000;
/** A snapshot waits this long for this replica's own buffered records to reach Redis. */
const READ_YOUR_WRITES_MS = 1000;
/** Imported details per script call (each call is atomic; a huge import is several). */
const IMPORT_BATCH = 500;

/** Snapshot, export and import of the shared usage statistics. */
@Injectable()
export class UsageService {
  constructor(
    private readonly config: ConfigService,
    private readonly repo: UsageRepository,
    private readonly recorder: RedisUsageRecorder,
  ) {}

  /** The usage snapshot, whole or narrowed by time range, API key and model. */
  async snapshot(filter: UsageFilter = {}): Promise<UsageSnapshot> {
    this.ensureReady();
    await this.recorder.flushWithin(READ_YOUR_WRITES_MS);
    const f: UsageFilter = { ...filter };
    if (f.api !== undefined) f.api = cleanLabel(f.api);
    if (f.model !== undefined) f.model = cleanLabel(f.model);
    const usage = this.config.current.usage;
    const keep = usage['details-max-per-model'];
    const oldest = Date.now() - usage['details-max-age-days'] * DAY_MS;
    return this.unavailableOnError(async () => {
      if (isUnfiltered(f)) {
        const raw = await this.repo.readAggregates();
        const details = await this.repo.readDetails(pairsOf(raw.model), oldest, Infinity, keep);
        return snapshotFromAggregates(raw, details);
      }
      const index = await this.repo.readIndex();
      const days = daysOf(index.day).filter((d) => dayInRange(d, f));
      const cells = await this.repo.readCells(days);
      const pairs = pairsOf(index.model).filter(
        (p) =>
          (f.api === undefined || p.api === f.api) &&
          (f.model === undefined || p.model === f.model),
      );
      const details = await this.repo.readDetails(
        pairs,
        Math.max(oldest, f.fromMs ?? 0),
        f.toMs ?? Infinity,
        keep,
      );
      return snapshotFromCells(cells, f, details);
    });
  }

  /** `{"version":1,"exported_at","usage"}` for backup or migration. */
  async exportUsage(filter: UsageFilter = {}): Promise<UsageExport> {
    const usage = await this.snapshot(filter);
    return { version: 1, exported_at: new Date().toISOString(), usage };
  }

  /** Merge parsed import entries, skipping duplicates; answers CLIProxyAPI's import result. */
  async importUsage(entries: readonly UsageEntry[]): Promise<UsageImportResult> {
    this.ensureReady();
    const usage = this.config.current.usage;
    return this.unavailableOnError(async () => {
      let added = 0;
      let skipped = 0;
      for (let i = 0; i < entries.length; i += IMPORT_BATCH) {
        const r = await this.repo.apply(entries.slice(i, i + IMPORT_BATCH), {
          dedupe: true,
          keep: usage['details-max-per-model'],
          minScore: Date.now() - usage['details-max-age-days'] * DAY_MS,
        });
        added += r.added;
        skipped += r.skipped;
      }
      const totals = await this.repo.readTotals();
      return {
        added,
        skipped,
        total_requests: Number(totals.requests ?? 0),
        failed_requests: Number(totals.failure ?? 0),
      };
    });
  }

  private ensureReady(): void {
    if (!this.repo.isReady) throw unavailable();
  }

  private async unavailableOnError<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!this.repo.isReady) throw unavailable();
      throw err;
    }
  }
}

function unavailable(): ServiceUnavailableException {
  return new ServiceUnavailableException(
    'usage statistics are unavailable: Redis is unreachable (records are buffered and written when it is back)',
  );
}
