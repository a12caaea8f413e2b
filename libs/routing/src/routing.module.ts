import { Module } from '@nestjs/common';
import { CredentialService } from '@app/routing/credential.service';
import { ModelCatalogSync } from '@app/routing/model-catalog.sync';

/**
 * Credentials, model registry, selection and cooldown state. Needs ConfigService and
 * RedisService from the global ConfigModule and StorageModule.
 */
@Module({
  providers: [CredentialService, ModelCatalogSync],
  exports: [CredentialService, ModelCatalogSync],
})
export class RoutingModule {}
