import { Module } from '@nestjs/common';
import { ProxyModule } from '@app/proxy';
import { UsageModule } from '@app/usage';
import { ApiCallService } from '@app/management/api-call/api-call.service';
import { AuthFileStore } from '@app/management/auth-files/auth-file.store';
import { AuthFilesService } from '@app/management/auth-files/auth-files.service';
import { ReleaseFeedService } from '@app/management/release-feed/release-feed.service';

/**
 * Management tools beyond config edits: auth files, `api-call` and the release feed. Shares the
 * proxy's upstream HTTP pools and routing's credentials (ProxyModule exports both), and the
 * per-credential counters of UsageModule.
 */
@Module({
  imports: [ProxyModule, UsageModule],
  providers: [AuthFileStore, AuthFilesService, ApiCallService, ReleaseFeedService],
  exports: [AuthFilesService, ApiCallService, ReleaseFeedService],
})
export class ManagementToolsModule {}
