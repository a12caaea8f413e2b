import { UsageRecorder, type UsageRecord } from '@app/usage';

/** A usage recorder for specs: totals and the last records (bounded). */
export class MemoryUsageRecorder extends UsageRecorder {
  readonly recent: UsageRecord[] = [];
  total = 0;
  failed = 0;

  constructor(private readonly keep = 1000) {
    super();
  }

  record(rec: UsageRecord): void {
    this.total++;
    if (rec.failed) this.failed++;
    this.recent.push(rec);
    if (this.recent.length > this.keep) this.recent.shift();
  }
}
