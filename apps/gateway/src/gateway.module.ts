import { Module } from '@nestjs/common';
import { ConfigModule } from '@app/config';
import { MetricsModule } from '@app/metrics';
import { ProxyModule } from '@app/proxy';
import { ConfigSyncService, StorageModule } from '@app/storage';
import { AMP_PROVIDERS } from '@app/gateway/amp/amp.providers';
import { GATEWAY_CLUSTER } from '@app/gateway/cluster/gateway-cluster';
import { ControlModule } from '@app/gateway/control/control.module';
import { PeerService } from '@app/gateway/http/peer.service';
import { ManagementRoutesModule } from '@app/gateway/management/management-routes.module';
import { PanelModule } from '@app/gateway/panel/panel.module';
import { PANEL_API } from '@app/gateway/panel/panel-api';
import { ProxyEntry } from '@app/gateway/proxy/proxy-entry';
import { ProxyRoutes } from '@app/gateway/proxy/proxy.routes';
import { RefusalCapture } from '@app/gateway/proxy/refusal-capture';
import { LifecycleService } from '@app/gateway/lifecycle/lifecycle.service';
import { MetricsController } from '@app/gateway/metrics/metrics.controller';
import { OAuthLoginModule } from '@app/gateway/oauth/oauth-login.module';
import { ProviderSummaryService } from '@app/gateway/status/provider-summary.service';
import { StatusController } from '@app/gateway/status/status.controller';
import { WS_RELAY_PROVIDERS } from '@app/gateway/ws/ws-relay.providers';

/** Wires the gateway: decisions live in libs/, this module only assembles them. */
@Module({
  imports: [
    ConfigModule,
    MetricsModule,
    StorageModule.forRoot('gateway'),
    ProxyModule,
    ManagementRoutesModule,
    PanelModule,
    ControlModule,
    OAuthLoginModule,
    ...GATEWAY_CLUSTER.imports,
    ...PANEL_API.imports,
  ],
  controllers: [
    StatusController,
    MetricsController,
    ...GATEWAY_CLUSTER.controllers,
    ...PANEL_API.controllers,
  ],
  providers: [
    LifecycleService,
    PeerService,
    ProviderSummaryService,
    ConfigSyncService,
    ProxyEntry,
    ProxyRoutes,
    RefusalCapture,
    ...AMP_PROVIDERS,
    ...WS_RELAY_PROVIDERS,
    ...GATEWAY_CLUSTER.providers,
    ...PANEL_API.providers,
  ],
})
export class GatewayModule {}
