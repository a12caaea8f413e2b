import type { ModuleMetadata } from '@nestjs/common';
import { QuotaModule } from '@app/quota';
import { UsageModule } from '@app/usage';
import { AttentionService } from '@app/gateway/panel/attention.service';
import { PanelApiController } from '@app/gateway/panel/panel-api.controller';

/**
 * The panel's data routes (traffic, attention, credential test). Spread into GatewayModule: the
 * attention list reads the cluster members, which the root module provides.
 */
export const PANEL_API = {
  imports: [UsageModule, QuotaModule],
  controllers: [PanelApiController],
  providers: [AttentionService],
} satisfies Required<Pick<ModuleMetadata, 'imports' | 'controllers' | 'providers'>>;
