import { Injectable, Logger } from '@nestjs/common';
import { JobName, JobRepository, jobOptions } from '@app/jobs';
import {
  isRefreshable,
  lastRefreshOf,
  refreshDueAt,
  tokenFingerprint,
  TokenRefreshService,
  type OAuthProviderId,
} from '@app/oauth';
import { CredentialService, type Credential } from '@app/routing';
import { CredentialWatch } from '@app/worker/credential-watch';

/** A token with no known expiry is refreshed this long after its last refresh. */
const NO_EXPIRY_PERIOD_MS = 60 * 60_000;

/** One refresh to enqueue. */
export interface PlannedRefresh {
  authIndex: string;
  jobId: string;
  delayMs: number;
  expectedExpiresAt?: number;
}

/**
 * When to refresh one credential (pure): the job id names the token state, the delay runs to
 * `expiry − lead − jitter` (zero when that is past). Tokens with no expiry are refreshed an
 * hour after their last refresh.
 */
export function planRefresh(
  c: Credential,
  leadMs: number,
  lastRefreshAt: number | undefined,
  now: number,
): PlannedRefresh {
  const expiresAt = c.secret.expiresAt;
  const due =
    expiresAt === undefined
      ? (lastRefreshAt ?? 0) + Math.max(leadMs, NO_EXPIRY_PERIOD_MS)
      : refreshDueAt(c.authIndex, expiresAt, leadMs, lastRefreshAt);
  return {
    authIndex: c.authIndex,
    jobId: jobOptions(JobName.TokenRefresh, {
      authIndex: c.authIndex,
      expectedExpiresAt: expiresAt,
    }).jobId as string,
    delayMs: Math.max(0, due - now),
    expectedExpiresAt: expiresAt,
  };
}

/**
 * Keeps one delayed refresh job per OAuth credential. Runs in every worker: whenever the
 * credentials change (auth dir edited, token refreshed anywhere) and every few minutes, each
 * worker enqueues the same deterministic job ids, which BullMQ collapses into one job each.
 */
@Injectable()
export class RefreshScheduler {
  private readonly logger = new Logger('RefreshScheduler');
  private readonly watch: CredentialWatch;

  constructor(
    private readonly credentials: CredentialService,
    private readonly tokens: TokenRefreshService,
    private readonly jobs: JobRepository,
  ) {
    this.watch = new CredentialWatch(credentials, () => this.reconcile());
  }

  start(): void {
    this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }

  /** Enqueue the refresh of every refreshable credential (idempotent). */
  async reconcile(now = Date.now()): Promise<number> {
    let planned = 0;
    for (const c of this.credentials.snapshot().credentials) {
      if (!isRefreshable(c)) continue;
      try {
        if (await this.schedule(c, now)) planned++;
      } catch (err) {
        this.logger.warn(`cannot schedule the refresh of ${c.label}: ${(err as Error).message}`);
      }
    }
    return planned;
  }

  private async schedule(c: Credential, now: number): Promise<boolean> {
    const fingerprint = tokenFingerprint(c.secret.refreshToken as string);
    const marked = this.credentials.state.errorOf(c.authIndex);
    if (marked) {
      // Same refresh token as the one refused: wait for a new login. A new token clears it.
      if (marked.fingerprint === fingerprint) return false;
      await this.credentials.state.clearError(c.authIndex);
    }
    const ep = this.tokens.endpoints(c.provider as OAuthProviderId);
    const plan = planRefresh(c, ep.refreshLeadMs, await this.lastRefresh(c), now);
    // The job id (the token state), retries and record keeping come from the job catalogue.
    await this.jobs.add(
      JobName.TokenRefresh,
      { authIndex: c.authIndex, expectedExpiresAt: plan.expectedExpiresAt },
      { delayMs: plan.delayMs },
    );
    return true;
  }

  private async lastRefresh(c: Credential): Promise<number | undefined> {
    const repo = this.credentials.authFiles;
    if (!repo || !c.fileName) return undefined;
    try {
      return lastRefreshOf(JSON.parse(await repo.read(c.fileName)) as Record<string, unknown>);
    } catch {
      return undefined;
    }
  }
}
