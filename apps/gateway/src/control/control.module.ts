import { Module } from '@nestjs/common';
import { MEMBER_SESSIONS, MembershipRepository, type SessionCounter } from '@app/cluster';
import { LogsModule } from '@app/logs';
import { ManagementModule, ManagementToolsModule } from '@app/management';
import { ProxyModule } from '@app/proxy';
import { QuotaModule } from '@app/quota';
import { ControlAuthGuard } from '@app/gateway/control/control-auth.guard';
import { ControlConfigController } from '@app/gateway/control/control-config.controller';
import { ControlDataController } from '@app/gateway/control/control-data.controller';
import { ProxyControlController } from '@app/gateway/control/proxy-control.controller';
import { ProxyPauseService } from '@app/gateway/control/proxy-pause.service';
import { SessionCountService } from '@app/gateway/control/session-count.service';

/**
 * The control API `/api/cliproxy/*` (docs/control-api.md). Also hands the cluster heartbeat this
 * gateway's open-session count (MEMBER_SESSIONS) so proxy-status can sum the cluster.
 */
@Module({
  imports: [ProxyModule, ManagementModule, ManagementToolsModule, LogsModule, QuotaModule],
  controllers: [ProxyControlController, ControlDataController, ControlConfigController],
  providers: [
    ControlAuthGuard,
    ProxyPauseService,
    SessionCountService,
    MembershipRepository,
    {
      provide: MEMBER_SESSIONS,
      inject: [SessionCountService],
      useFactory:
        (sessions: SessionCountService): SessionCounter =>
        () =>
          sessions.local(),
    },
  ],
  exports: [MEMBER_SESSIONS, ProxyPauseService],
})
export class ControlModule {}
