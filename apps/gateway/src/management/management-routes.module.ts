import { Module } from '@nestjs/common';
import {
  ManagementModule,
  ConfigRoutesModule,
  ManagementToolsModule,
  ClientKeysModule,
} from '@app/management';
import { UsageModule } from '@app/usage';
import { LogsModule } from '@app/logs';
import { ApiCallController } from '@app/gateway/management/api-call.controller';
import { AuthFilesController } from '@app/gateway/management/auth-files.controller';
import { LatestVersionController } from '@app/gateway/management/latest-version.controller';
import { AmpcodeController } from '@app/gateway/management/ampcode.controller';
import { ConfigListsController } from '@app/gateway/management/config-lists.controller';
import { ConfigScalarsController } from '@app/gateway/management/config-scalars.controller';
import { ConfigController } from '@app/gateway/management/config.controller';
import { RequestLogsController } from '@app/gateway/management/request-logs.controller';
import { UsageController } from '@app/gateway/management/usage.controller';
import { ApiKeyUsageController } from '@app/gateway/management/api-key-usage.controller';
import { UnsupportedController } from '@app/gateway/management/unsupported.controller';
import { ClientKeysController } from '@app/gateway/management/client-keys.controller';

/** The `/v0/management/*` routes (wiring only; the decisions live in libs/management, libs/usage). */
@Module({
  imports: [
    ManagementModule,
    ConfigRoutesModule,
    UsageModule,
    LogsModule,
    ManagementToolsModule,
    ClientKeysModule,
  ],
  controllers: [
    UsageController,
    RequestLogsController,
    AuthFilesController,
    ApiCallController,
    LatestVersionController,
    ConfigController,
    ConfigScalarsController,
    ConfigListsController,
    AmpcodeController,
    ApiKeyUsageController,
    ClientKeysController,
    UnsupportedController,
  ],
})
export class ManagementRoutesModule {}
