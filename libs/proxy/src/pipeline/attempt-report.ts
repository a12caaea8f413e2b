import { Injectable } from '@nestjs/common';
import { CandidateSource, upstreamName, type Candidate } from '@app/proxy/candidate-source';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import type { AttemptFailure } from '@app/proxy/upstream-request';

/**
 * How an attempt on a credential went, told to routing (cooldown bookkeeping, shared by every
 * replica) and to the metrics. A failure is reported before the client's answer ends, so the
 * client's next request already sees the cooldown.
 */
@Injectable()
export class AttemptReport {
  constructor(
    private readonly candidates: CandidateSource,
    private readonly metrics: ProxyMetrics,
  ) {}

  /** The credential answered: its failure state for the model clears. */
  success(cand: Candidate): void {
    this.candidates.reportSuccess(cand);
  }

  /** The credential failed; returns the failure for the caller to pass on. */
  async failure(cand: Candidate, f: AttemptFailure): Promise<AttemptFailure> {
    await this.candidates.reportFailure(cand, f.status, f.retryAfterSec, f.error.message);
    this.metrics.countUpstreamError(upstreamName(cand), f.status);
    return f;
  }
}
