import { Module } from '@nestjs/common';
import { JobsModule } from '@app/jobs';
import { OAuthModule } from '@app/oauth';
import { RoutingModule } from '@app/routing';
import { QuotaPollQueue } from '@app/quota/quota-poll.queue';
import { QuotaPollService } from '@app/quota/quota-poll.service';
import { QuotaSnapshotRepository } from '@app/quota/quota-snapshot.repository';

/** Quota snapshots (read by gateways), polling (worker) and on-demand poll requests. */
@Module({
  imports: [RoutingModule, OAuthModule, JobsModule],
  providers: [QuotaSnapshotRepository, QuotaPollService, QuotaPollQueue],
  exports: [QuotaSnapshotRepository, QuotaPollService, QuotaPollQueue],
})
export class QuotaModule {}
