import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import type { ClientIdentity } from '@app/proxy/admission/client-key.service';
import { PauseService } from '@app/proxy/admission/pause.service';
import type { ClientCall } from '@app/proxy/client-routes';
import { LimitsService, requestedModel, type Admission, type LeaseRef } from '@app/proxy/limits';

/** Seconds a client is asked to wait while the proxy is paused. */
const PAUSED_RETRY_AFTER = '30';

/**
 * Whether an identified request may enter the pipeline: not while an operator paused the proxy,
 * and within its client key's limits (docs/limits.md). The key itself is checked before the
 * body is read (ClientKeyService, from the request gate), so the identity arrives here ready.
 */
@Injectable()
export class AdmissionService {
  constructor(
    private readonly pause: PauseService,
    private readonly limits: LimitsService,
  ) {}

  /** The 503 of a paused proxy, or undefined when traffic flows (the usual, one branch). */
  paused(): AppError | undefined {
    if (!this.pause.paused) return undefined;
    return AppError.of(
      'SERVICE_UNAVAILABLE',
      { reason: 'Proxy traffic is paused by an operator; retry later' },
      { headers: { 'retry-after': PAUSED_RETRY_AFTER } },
    );
  }

  /** True when some client key has limits; otherwise `admit` need not be called at all. */
  get limited(): boolean {
    return this.limits.enabled;
  }

  /** Take the request's slot under its key's limits, or the refusal to answer with. */
  admit(who: ClientIdentity, call: ClientCall, body: unknown): Promise<Admission> {
    return this.limits.admit(who.keyId, requestedModel(call.model, body));
  }

  /** Give the slot back when the request ends. */
  release(lease: LeaseRef): void {
    this.limits.release(lease);
  }
}
