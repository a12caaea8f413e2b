import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@app/config';
import { JobName, JobRepository, QueueName, type SchedulerInfo } from '@app/jobs';
import { jitterMs } from '@app/oauth';
import { quotaAccounts } from '@app/quota';
import { CredentialService } from '@app/routing';
import { CredentialWatch } from '@app/worker/credential-watch';

const SCHEDULER_PREFIX = 'quota-';

/** The BullMQ scheduler id of one account's quota poll. */
export function quotaSchedulerId(authIndex: string): string {
  return `${SCHEDULER_PREFIX}${authIndex}`;
}

/** A stable offset in [0, every) so accounts polled at the same interval spread out. */
export function quotaOffsetMs(authIndex: string, everyMs: number): number {
  return jitterMs(`quota:${authIndex}`, everyMs);
}

/** What to change so the schedulers match the accounts (pure). */
export function diffSchedulers(
  existing: readonly SchedulerInfo[],
  wanted: ReadonlyMap<string, { every: number; offset: number }>,
): { upsert: string[]; remove: string[] } {
  const have = new Map(existing.map((s) => [s.id, s]));
  const upsert: string[] = [];
  for (const [id, w] of wanted) {
    const s = have.get(id);
    if (!s || s.every !== w.every || (s.offset ?? 0) !== w.offset) upsert.push(id);
  }
  const remove = existing
    .filter((s) => s.id.startsWith(SCHEDULER_PREFIX) && !wanted.has(s.id))
    .map((s) => s.id);
  return { upsert, remove };
}

/**
 * One repeatable quota poll per account (`worker.quota-poll-seconds`, offset per account).
 * Schedulers are shared by every worker; each worker reconciles them on credential changes,
 * which is idempotent.
 */
@Injectable()
export class QuotaScheduler {
  private readonly logger = new Logger('QuotaScheduler');
  private readonly watch: CredentialWatch;
  private offConfig: (() => void) | undefined;

  constructor(
    private readonly credentials: CredentialService,
    private readonly config: ConfigService,
    private readonly jobs: JobRepository,
  ) {
    this.watch = new CredentialWatch(credentials, () => this.reconcile());
  }

  start(): void {
    this.watch.start();
    this.offConfig = this.config.onChange((next, prev) => {
      if (next.worker['quota-poll-seconds'] !== prev.worker['quota-poll-seconds'])
        void this.reconcile();
    });
  }

  stop(): void {
    this.watch.stop();
    this.offConfig?.();
  }

  /** Make the schedulers match the current accounts and interval. */
  async reconcile(): Promise<void> {
    const every = this.config.current.worker['quota-poll-seconds'] * 1000;
    const wanted = new Map<string, { every: number; offset: number }>();
    for (const a of quotaAccounts(this.credentials.snapshot().credentials)) {
      const auth = a.credential.authIndex;
      wanted.set(quotaSchedulerId(auth), { every, offset: quotaOffsetMs(auth, every) });
    }
    const { upsert, remove } = diffSchedulers(await this.jobs.schedulers(QueueName.Quota), wanted);
    for (const id of upsert) {
      const w = wanted.get(id)!;
      await this.jobs.upsertScheduler(id, JobName.QuotaPoll, w.every, w.offset, {
        authIndex: id.slice(SCHEDULER_PREFIX.length),
        reason: 'scheduled',
      });
    }
    for (const id of remove) await this.jobs.removeScheduler(QueueName.Quota, id);
    if (upsert.length + remove.length > 0) {
      this.logger.log(`quota polls: ${upsert.length} scheduled, ${remove.length} removed`);
    }
  }
}
