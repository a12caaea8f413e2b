import { Controller, Get } from '@nestjs/common';
import { ManagementRoute } from '@app/management';
import { CredentialActivityService, type ApiKeyUsage } from '@app/usage';

/**
 * `GET /v0/management/api-key-usage` (CLIProxyAPI ≥ 6.9.47): per provider and `base_url|api_key`,
 * each config API key's attempt counters with 20 buckets of 10 minutes, from the counters every
 * replica shares.
 */
@Controller('v0/management/api-key-usage')
@ManagementRoute()
export class ApiKeyUsageController {
  constructor(private readonly activity: CredentialActivityService) {}

  @Get()
  usage(): Promise<ApiKeyUsage> {
    return this.activity.apiKeyUsage();
  }
}
