import type { ModuleMetadata } from '@nestjs/common';
import { CLUSTER_PROVIDERS, MemberControl } from '@app/cluster';
import { LogsModule } from '@app/logs';
import { ManagementModule } from '@app/management';
import { ClusterAuthGuard } from '@app/gateway/cluster/cluster-auth.guard';
import { ClusterSseService } from '@app/gateway/cluster/cluster-sse.service';
import { ClusterController } from '@app/gateway/cluster/cluster.controller';
import { GatewayMemberControl } from '@app/gateway/cluster/gateway-member.control';
import { ManagementLogsController } from '@app/gateway/cluster/management-logs.controller';

/**
 * The gateway's share of the cluster: membership, the `/api/v1` cluster API, the shared logs and
 * `/v0/management/logs`. Spread into GatewayModule (the member control needs its lifecycle).
 */
export const GATEWAY_CLUSTER = {
  imports: [LogsModule, ManagementModule],
  controllers: [ClusterController, ManagementLogsController],
  providers: [
    { provide: MemberControl, useClass: GatewayMemberControl },
    ...CLUSTER_PROVIDERS,
    ClusterAuthGuard,
    ClusterSseService,
  ],
} satisfies Required<Pick<ModuleMetadata, 'imports' | 'controllers' | 'providers'>>;
