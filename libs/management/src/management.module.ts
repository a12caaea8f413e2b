import { Module } from '@nestjs/common';
import { BcryptHasher } from '@app/management/bcrypt.hasher';
import { ConfigEditService } from '@app/management/config-edit.service';
import { ManagementAuthService } from '@app/management/management-auth.service';
import { ManagementBanRepository } from '@app/management/management-ban.repository';
import { ManagementGuard } from '@app/management/management.guard';

/**
 * Management API building blocks: authentication (ManagementGuard, ManagementAuthService) and
 * single-key config edits. Needs the global Config and Storage modules.
 */
@Module({
  providers: [
    BcryptHasher,
    ManagementBanRepository,
    ManagementAuthService,
    ManagementGuard,
    ConfigEditService,
  ],
  exports: [ManagementAuthService, ManagementGuard, ConfigEditService],
})
export class ManagementModule {}
