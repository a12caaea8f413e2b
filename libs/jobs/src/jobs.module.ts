import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobRepository } from '@app/jobs/job.repository';
import { JobDiscoveryService } from '@app/jobs/job-discovery.service';

@Module({
  imports: [DiscoveryModule],
  providers: [JobRepository, JobDiscoveryService],
  exports: [JobRepository, JobDiscoveryService],
})
export class JobsModule {}
