import { Module } from '@nestjs/common';
import { ManagementModule } from '@app/management/management.module';
import { ConfigLockRepository } from '@app/management/config-routes/config-lock.repository';
import { ConfigRoutesService } from '@app/management/config-routes/config-routes.service';

/**
 * The config, scalar and list routes' building blocks: ConfigRoutesService (reads, locked
 * single-key edits, whole-file replacement). Needs the global Config and Storage modules.
 */
@Module({
  imports: [ManagementModule],
  providers: [ConfigLockRepository, ConfigRoutesService],
  exports: [ConfigRoutesService],
})
export class ConfigRoutesModule {}
