import { Injectable } from '@nestjs/common';
import { JobName, JobRepository } from '@app/jobs';
import { CredentialService } from '@app/routing';
import { findQuotaAccount } from '@app/quota/quota-account';
import type { QuotaProvider } from '@app/quota/quota.types';

/**
 * Asks the worker for an immediate quota poll (the control API's refresh). One pending poll
 * per account: repeated requests before the worker picks it up collapse into one job.
 */
@Injectable()
export class QuotaPollQueue {
  constructor(
    private readonly jobs: JobRepository,
    private readonly credentials: CredentialService,
  ) {}

  /** Queue a poll of one account; false when no single credential is that account. */
  async requestPoll(provider: QuotaProvider, accountId: string): Promise<boolean> {
    const found = findQuotaAccount(this.credentials.snapshot().credentials, provider, accountId);
    if (found.kind !== 'one') return false;
    await this.requestPollOf(found.credential.authIndex);
    return true;
  }

  /** Queue a poll of the account behind one credential. */
  async requestPollOf(authIndex: string): Promise<void> {
    await this.jobs.add(JobName.QuotaPoll, { authIndex, reason: 'on-demand' });
  }
}
