import { Module } from '@nestjs/common';
import { RoutingModule } from '@app/routing';
import { UpstreamModule } from '@app/upstream';
import { UsageModule } from '@app/usage';
import { ApiCallService } from '@app/management/api-call/api-call.service';
import { AuthFileStore } from '@app/management/auth-files/auth-file.store';
import { AuthFilesService } from '@app/management/auth-files/auth-files.service';
import { ReleaseFeedService } from '@app/management/release-feed/release-feed.service';

/**
 * Management tools beyond config edits: auth files, `api-call` and the release feed. Shares the
 * process's upstream HTTP pools (UpstreamModule), routing's credentials and the per-credential
 * counters of UsageModule, without depending on the proxy pipeline.
 */
@Module({
  imports: [RoutingModule, UpstreamModule, UsageModule],
  providers: [AuthFileStore, AuthFilesService, ApiCallService, ReleaseFeedService],
  exports: [AuthFilesService, ApiCallService, ReleaseFeedService],
})
export class ManagementToolsModule {}
