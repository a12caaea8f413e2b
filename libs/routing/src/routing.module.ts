import { Module } from '@nestjs/common';
import { CredentialService } from '@app/routing/credential.service';
import { ModelCatalogSync } from '@app/routing/model-catalog.sync';
import { RoutingMetrics } from '@app/routing/routing.metrics';

/**
 * Credentials, model registry, selection and cooldown state. Needs ConfigService, RedisService
 * and MetricsService from the global ConfigModule, StorageModule and MetricsModule.
 */
@Module({
  providers: [CredentialService, ModelCatalogSync, RoutingMetrics],
  exports: [CredentialService, ModelCatalogSync, RoutingMetrics],
})
export class RoutingModule {}
