import { JobName, type JobPayloads } from '@app/jobs/job.types';

/** How BullMQ identifies, retries and keeps one job: derived from its name and payload. */
export interface JobOptions {
  /**
   * Deterministic id: every replica enqueuing the same work gets the same id, and BullMQ
   * collapses them into one job. Undefined lets BullMQ number it.
   */
  jobId?: string;
  /** Tries in all (1 = no retry). */
  attempts?: number;
  /** First retry delay; each further retry doubles it (BullMQ's exponential backoff). */
  backoffMs?: number;
  /** Finished records kept: `true` drops the record at once, so the same id can run again. */
  removeOnComplete: true | number;
  /** Failed records kept (retries spent): `true` drops it, so a later pass can enqueue again. */
  removeOnFail: true | number;
}

/** Tries of one scheduled token refresh: 30 s, 1, 2, 4… min apart (about two hours in all). */
export const TOKEN_REFRESH_ATTEMPTS = 9;
/** First retry of a failed token refresh. */
export const TOKEN_REFRESH_BACKOFF_MS = 30_000;

/** Records of routine jobs kept for the queue counts and for a look at recent failures. */
const KEEP = { removeOnComplete: 100, removeOnFail: 500 } as const;

/**
 * BullMQ job id of one scheduled token refresh. It names the token state it was scheduled for,
 * so every replica enqueuing the same state collapses into one job, and a refreshed token (new
 * expiry) gets a new job rather than colliding with the finished one.
 */
export function tokenRefreshJobId(authIndex: string, expiresAt: number | undefined): string {
  // BullMQ reserves `:` in custom job ids.
  return `refresh-${authIndex}-${expiresAt ?? 'none'}`;
}

/** BullMQ job id of an on-demand quota poll: one pending poll per account. */
export function quotaPollNowJobId(authIndex: string): string {
  return `quota-now-${authIndex}`;
}

type OptionsOf = { [N in JobName]: (data: JobPayloads[N]) => JobOptions };

/** The options of every job, in one place (call sites pass only the payload and a delay). */
const JOB_OPTIONS: OptionsOf = {
  [JobName.Heartbeat]: () => KEEP,
  [JobName.Retention]: () => KEEP,
  [JobName.ModelCatalogRefresh]: () => KEEP,
  [JobName.TokenRefresh]: (d) => ({
    jobId: tokenRefreshJobId(d.authIndex, d.expectedExpiresAt),
    attempts: TOKEN_REFRESH_ATTEMPTS,
    backoffMs: TOKEN_REFRESH_BACKOFF_MS,
    removeOnComplete: 100,
    // Spent retries leave no record, so the next scheduling pass tries again (provider back up).
    removeOnFail: true,
  }),
  [JobName.QuotaPoll]: (d) =>
    d.reason === 'on-demand'
      ? // Collapses repeated clicks until the worker picks it up; gone once done, so the next
        // click queues a fresh poll.
        { jobId: quotaPollNowJobId(d.authIndex), removeOnComplete: true, removeOnFail: true }
      : { removeOnComplete: 100, removeOnFail: 100 },
};

/** The BullMQ options of one job, from the catalogue. */
export function jobOptions<N extends JobName>(name: N, data: JobPayloads[N]): JobOptions {
  return (JOB_OPTIONS[name] as (d: JobPayloads[N]) => JobOptions)(data);
}
