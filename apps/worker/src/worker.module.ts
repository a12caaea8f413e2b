import { Module } from '@nestjs/common';
import { ConfigModule } from '@app/config';
import { JobsModule } from '@app/jobs';
import { MetricsModule } from '@app/metrics';
import { ConfigSyncService, StorageModule } from '@app/storage';
import { WORKER_CLUSTER } from '@app/worker/cluster/worker-cluster';
import { HeartbeatHandler } from '@app/worker/heartbeat/heartbeat.handler';
import { WorkerService } from '@app/worker/worker.service';

/** Wires the worker: BullMQ processors and their handlers. */
@Module({
  imports: [
    ConfigModule,
    MetricsModule,
    StorageModule.forRoot('worker'),
    JobsModule,
    ...WORKER_CLUSTER.imports,
  ],
  providers: [ConfigSyncService, WorkerService, HeartbeatHandler, ...WORKER_CLUSTER.providers],
})
export class WorkerModule {}
