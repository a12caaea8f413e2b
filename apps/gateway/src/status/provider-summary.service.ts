import { Injectable } from '@nestjs/common';
import { CredentialService, type ProviderSummary } from '@app/routing';

export type { ProviderSummary };

/** Providers with at least one enabled credential (config entries and auth files), for /status. */
@Injectable()
export class ProviderSummaryService {
  constructor(private readonly routing: CredentialService) {}

  summary(): ProviderSummary {
    return this.routing.providerSummary();
  }
}
