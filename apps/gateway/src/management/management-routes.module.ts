import { Module } from '@nestjs/common';
import { ManagementModule } from '@app/management';
import { UsageModule } from '@app/usage';
import { UsageStatisticsController } from '@app/gateway/management/usage-statistics.controller';
import { UsageController } from '@app/gateway/management/usage.controller';

/** The `/v0/management/*` routes (wiring only; the decisions live in libs/management, libs/usage). */
@Module({
  imports: [ManagementModule, UsageModule],
  controllers: [UsageController, UsageStatisticsController],
})
export class ManagementRoutesModule {}
