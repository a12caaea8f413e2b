import { Module } from '@nestjs/common';
import { ConfigModule } from '@app/config';
import { JobsModule } from '@app/jobs';
import { MetricsModule } from '@app/metrics';
import { ConfigSyncService, StorageModule } from '@app/storage';
import { HeartbeatHandler } from '@app/worker/heartbeat/heartbeat.handler';
import { WorkerService } from '@app/worker/worker.service';

/** Wires the worker: BullMQ processors and their handlers. */
@Module({
  imports: [ConfigModule, MetricsModule, StorageModule.forRoot('worker'), JobsModule],
  providers: [ConfigSyncService, WorkerService, HeartbeatHandler],
})
export class WorkerModule {}
