import { Module } from '@nestjs/common';
import { UsageModule } from '@app/usage';
import { ConfigRoutesModule } from '@app/management/config-routes/config-routes.module';
import { ClientKeysService } from '@app/management/client-keys/client-keys.service';

/** Named client keys (`/v0/management/client-keys`). Needs the global Config and Storage modules. */
@Module({
  imports: [ConfigRoutesModule, UsageModule],
  providers: [ClientKeysService],
  exports: [ClientKeysService],
})
export class ClientKeysModule {}
