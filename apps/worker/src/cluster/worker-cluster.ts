import type { ModuleMetadata } from '@nestjs/common';
import { CLUSTER_PROVIDERS, MemberControl } from '@app/cluster';
import { LogsModule } from '@app/logs';
import { WorkerMemberControl } from '@app/worker/cluster/worker-member.control';

/** The worker's share of the cluster: membership, commands and the shared process log. */
export const WORKER_CLUSTER = {
  imports: [LogsModule],
  providers: [
    WorkerMemberControl,
    { provide: MemberControl, useExisting: WorkerMemberControl },
    ...CLUSTER_PROVIDERS,
  ],
} satisfies Required<Pick<ModuleMetadata, 'imports' | 'providers'>>;
