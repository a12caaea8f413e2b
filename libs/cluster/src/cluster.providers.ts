import type { Provider } from '@nestjs/common';
import { ClusterTokenService } from '@app/cluster/cluster-token.service';
import { ClusterService } from '@app/cluster/cluster.service';
import { MembershipRepository } from '@app/cluster/membership.repository';
import { MembershipService } from '@app/cluster/membership.service';

/**
 * Cluster membership and commands, provided in the app's root module next to the app's own
 * `MemberControl` (how this member pauses, resumes and checks its health), which usually needs
 * app-level services such as the gateway's lifecycle.
 */
export const CLUSTER_PROVIDERS: Provider[] = [
  MembershipRepository,
  ClusterTokenService,
  MembershipService,
  ClusterService,
];
