import { Module } from '@nestjs/common';
import { ConfigModule } from '@app/config';
import { JobsModule } from '@app/jobs';
import { MetricsModule } from '@app/metrics';
import { OAuthModule } from '@app/oauth';
import { QuotaModule } from '@app/quota';
import { RoutingModule } from '@app/routing';
import { ConfigSyncService, StorageModule } from '@app/storage';
import { UsageRepository } from '@app/usage';
import { WORKER_CLUSTER } from '@app/worker/cluster/worker-cluster';
import { HeartbeatHandler } from '@app/worker/heartbeat/heartbeat.handler';
import { ModelCatalogHandler } from '@app/worker/maintenance/model-catalog.handler';
import { RetentionHandler } from '@app/worker/maintenance/retention.handler';
import { RefreshScheduler } from '@app/worker/oauth/refresh-scheduler.service';
import { TokenRefreshHandler } from '@app/worker/oauth/token-refresh.handler';
import { QuotaPollHandler } from '@app/worker/quota/quota-poll.handler';
import { QuotaScheduler } from '@app/worker/quota/quota-scheduler.service';
import { WorkerMetrics } from '@app/worker/worker.metrics';
import { WorkerService } from '@app/worker/worker.service';

/** Wires the worker: BullMQ processors, their handlers and the schedulers that feed them. */
@Module({
  imports: [
    ConfigModule,
    MetricsModule,
    StorageModule.forRoot('worker'),
    JobsModule,
    RoutingModule,
    OAuthModule,
    QuotaModule,
    ...WORKER_CLUSTER.imports,
  ],
  providers: [
    ConfigSyncService,
    WorkerService,
    WorkerMetrics,
    HeartbeatHandler,
    TokenRefreshHandler,
    RefreshScheduler,
    QuotaPollHandler,
    QuotaScheduler,
    RetentionHandler,
    ModelCatalogHandler,
    UsageRepository,
    ...WORKER_CLUSTER.providers,
  ],
})
export class WorkerModule {}
