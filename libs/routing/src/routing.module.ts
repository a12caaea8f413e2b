import { Module } from '@nestjs/common';
import { CredentialService } from '@app/routing/credential.service';

/**
 * Credentials, model registry, selection and cooldown state. Needs ConfigService and
 * RedisService from the global ConfigModule and StorageModule.
 */
@Module({
  providers: [CredentialService],
  exports: [CredentialService],
})
export class RoutingModule {}
